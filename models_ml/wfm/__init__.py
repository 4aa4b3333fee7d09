"""Workforce-management maths: Erlang B, C and A staffing, vectorised over intervals
(docs/wfm.md)."""

from models_ml.wfm.erlang import (
    StaffingResult,
    erlang_b,
    erlang_c,
    offered_load,
    required_agents,
    service_level,
)
from models_ml.wfm.erlang_a import (
    ErlangAResult,
    ErlangAStaffing,
    erlang_a,
    required_agents_erlang_a,
)

__all__ = [
    "ErlangAResult",
    "ErlangAStaffing",
    "StaffingResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "offered_load",
    "required_agents",
    "required_agents_erlang_a",
    "service_level",
]
