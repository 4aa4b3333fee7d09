"""Telephony side of IRISX: operational services and the traffic simulator (telephony.simulator).

Data-flow rule: nothing here imports ``ingest`` (or anything later in the flow); the simulator
writes the wire format that the ingest contracts define.
"""
