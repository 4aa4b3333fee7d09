"""A tiny hand-checked fixture of calls, RTCP reports and agent states for the hot store tests.

Tenant acme, minute 2024-05-01 10:00 (UTC):
  c1 answered, no queue, no agent, billsec 25            -> offered, answered
  c2 queued, wait 12 s, agent, billsec 25, hold 10, wrap 5 -> answered within 20 s, handle 40
  c3 queued, wait 30 s, not answered                        -> abandoned
  c4 queued, wait 25 s, agent, billsec 25                   -> answered (late), handle 25
  => offered 4, answered 3, abandoned 1, within 20 s 1, billsec 75, handle 65.
  Queue q1 (c2, c3, c4): offered 3, answered 2, abandoned 1, within 20 s 1 (c2), handled 2
  (c2, c4), handle 40 + 25 = 65 s, handled waits 12 + 25 = 37 s, longest wait 30 s (c3).
c5 is tenant "other" (must never show for acme); c6 is acme on 2024-05-02 10:00 (another day).
RTCP (PCMU, 8000 Hz): r1, r2 on c2 (carrier-a): jitter 160 and 80 units = 20 and 10 ms,
fraction_lost 64 and 0 /256 = 0.25 and 0, rtt 40 and 60 -> 2 reports, 15 ms, 0.125, 50 ms.
r3 on a call not in the store: jitter 240 = 30 ms, lost 128/256 = 0.5, no rtt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from event_samples import VALID_EVENTS, agent_record, call_record, rtcp_record

from ingest.contracts import FAMILIES, models_to_table
from warehouse.hotstore import CallStats, QueueStats

__all__ = ["VALID_EVENTS", "agent_states", "call_record", "calls", "rtcp_reports", "table"]

UNKNOWN_CALL_ID = "00000000-0000-4000-8000-999999999999"


#: The wallboard totals of acme's 10:00 minute, worked out in the docstring above.
ACME_1000_CALL_STATS = CallStats(
    offered=4,
    answered=3,
    abandoned=1,
    answered_within_20s=1,
    billsec=75,
    handle_sec=65,
    queued=3,  # c2, c3, c4
    handled=2,  # c2, c4 (answered by an agent)
)


#: Queue q1 of acme over the 10:00 minute (the docstring's working); ``minute`` None is the
#: window total, which for this one-minute queue has the same figures.
ACME_1000_Q1_STATS = QueueStats(
    queue_id="q1",
    minute=None,
    offered=3,
    answered=2,
    abandoned=1,
    answered_within_20s=1,
    handled=2,
    handle_sec=65,
    handled_wait_sec=37.0,
    longest_wait_sec=30.0,
)
ACME_1000_MINUTE = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def call_id(index: int) -> str:
    return call_record(index)["call_id"]


def table(family: str, records: list[dict[str, Any]]) -> pa.Table:
    model = FAMILIES[family]
    return models_to_table([model.model_validate(record) for record in records], model)


def calls() -> pa.Table:
    queued = {"queue_id": "q1", "agent_id": "agent-7"}
    return table(
        "call",
        [
            call_record(1),
            call_record(
                2, queue_wait_sec=12, hold_sec=10, wrapup_sec=5, carrier_id="carrier-a", **queued
            ),
            call_record(
                3,
                queue_id="q1",
                queue_wait_sec=30,
                answer_at=None,
                billsec=0,
                hangup_cause="ORIGINATOR_CANCEL",
            ),
            call_record(4, queue_wait_sec=25, **queued),
            call_record(5, tenant_id="other"),
            call_record(
                6,
                start_at="2024-05-02T10:00:00Z",
                answer_at="2024-05-02T10:00:05Z",
                end_at="2024-05-02T10:00:30Z",
                occurred_at="2024-05-02T10:00:30Z",
            ),
        ],
    )


def rtcp(
    index: int, call: str, jitter: int, lost: int, rtt: float | None, second: int
) -> dict[str, Any]:
    return rtcp_record(index, call, jitter, lost, rtt, f"2024-05-01T10:00:{second:02d}Z")


def rtcp_reports() -> pa.Table:
    return table(
        "rtcp",
        [
            rtcp(1, call_id(2), 160, 64, 40.0, 10),
            rtcp(2, call_id(2), 80, 0, 60.0, 20),
            rtcp(3, UNKNOWN_CALL_ID, 240, 128, None, 30),
        ],
    )


def agent_states() -> pa.Table:
    return table(
        "agent",
        [agent_record(1), agent_record(2, state="on_call", occurred_at="2024-05-01T10:00:05Z")],
    )
