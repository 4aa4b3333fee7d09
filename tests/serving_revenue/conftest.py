"""The shared API fixtures (tests/api_support.py): ``settings`` over both profiles (from
the module's ``data_dir``), ``client``, and the ``acme`` and ``globex`` keys; a module
that defines one of them itself uses its own."""

from tests.api_support import acme, client, globex, settings  # noqa: F401
