"""Deterministic traffic simulator: realistic CPaaS / contact-center events for all seven event
families, with labelled incidents. A pure library: ``simulate(config)`` returns Arrow tables in
the wire format; ``write_result`` writes them (Parquet or NDJSON) with the ground truth."""

from telephony.simulator.config import SimulationConfig, SimulationResult, default_start
from telephony.simulator.engine import simulate
from telephony.simulator.wire import FAMILY_NAMES, WIRE_SCHEMAS
from telephony.simulator.writer import OutputFormat, write_result

__all__ = [
    "FAMILY_NAMES",
    "WIRE_SCHEMAS",
    "OutputFormat",
    "SimulationConfig",
    "SimulationResult",
    "default_start",
    "simulate",
    "write_result",
]
