"""The ``irisx`` command line: the composition root that wires every component together."""
