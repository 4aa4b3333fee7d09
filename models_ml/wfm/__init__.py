"""Workforce-management maths: Erlang B and C staffing, vectorised over intervals (docs/wfm.md)."""

from models_ml.wfm.erlang import (
    StaffingResult,
    erlang_b,
    erlang_c,
    offered_load,
    required_agents,
    service_level,
)

__all__ = [
    "StaffingResult",
    "erlang_b",
    "erlang_c",
    "offered_load",
    "required_agents",
    "service_level",
]
