"""kpi_series_5m / _15m / _60m (dbt, both targets) from hand-made calls, RTCP and messages.

Hand-worked (tenant acme, 2024-05-30 UTC; calls count at start_at, messages at their outcome):

  c1 09:01:00 carrier-a outbound, answered 60 s, cost 0.012, price 0.030, RTCP: MOS 4.1044
  c2 09:03:00 carrier-a outbound, not answered, unrated (cost NULL)
  c3 09:04:59 carrier-b inbound, queue q-support, answered 120 s, cost 0.020, price 0.050
  c4 09:06:00 carrier-b inbound, queue q-support, abandoned, unrated
  c5 09:40:00 carrier-a outbound, answered 30 s, cost 0.006, price 0.015
  (globex's g1 09:02 carrier-a must never count for acme)

  5-minute tenant buckets:
    09:00  calls 3 (c1 c2 c3), answered 2 -> asr 2/3, acd (60 + 120) / 2 = 90,
           cost 0.012 + 0.020 = 0.032 over 2 rated calls, mos 4.1044 / 1, abandon 0/1 (c3 queued)
    09:05  calls 1 (c4), asr 0/1 = 0, no acd (no answered call), cost 0 over 0 rated calls,
           abandon 1/1
    09:40  calls 1 (c5), asr 1/1, acd 30, cost 0.006
  messages: m1 sms smsgate sent 09:00:11 delivered 09:00:20; m2 sms smsgate sent 09:01:00
    failed 09:02:00; m3 sms textly sent 09:02:00 delivered 09:03:00 (its delivered event sent
    twice under two event ids: one outcome); m4 email mailfast sent 09:05:30 bounced 09:06:00;
    m5 email mailfast sent 09:06:30 delivered 09:07:00, opened 09:20 (not an outcome).
    09:00 message_volume 3, sms_delivery_rate 2/3; 09:05 message_volume 2, email_bounce_rate 1/2.
  spend (billable calls at start, sent messages at sent): 09:00 c1 0.030 + c3 0.050 + m1 m2 m3
    3 × 0.0079 = 0.1037 over 5 units; 09:05 m4 + m5 = 0.002 over 2; 09:40 c5 0.015 over 1.

  15 minutes: call_volume 09:00 = 3 + 1 = 4, 09:15 = 0 (zero row: a sum KPI is regular),
    09:30 = 1; asr 09:00 = 2/4 = 0.5 (no ratio row at 09:15). carrier-a: 2, 0, 1.
  60 minutes: call_volume 5, asr 3/5 = 0.6, acd (60 + 120 + 30) / 3 = 70, cost 0.038 over 3,
    spend 0.1037 + 0.002 + 0.015 = 0.1207 over 8 units, abandon 1/2 = 0.5.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from cdr_builder import at, call_id, cdr

from ingest.contracts import (
    CallRecord,
    Codec,
    Direction,
    Leg,
    MessageEvent,
    RtcpReport,
    models_to_table,
)
from tests.both_targets import BothTargets, assert_same_column_types

MARTS = ("kpi_series_5m", "kpi_series_15m", "kpi_series_60m")
SELECT = ["--select", "+kpi_series_15m", "+kpi_series_60m", "--indirect-selection", "cautious"]
DAY = dt.date(2024, 5, 30)


def _call(record: CallRecord, carrier: str, cost: str | None) -> CallRecord:
    return record.model_copy(
        update={"carrier_id": carrier, "cost": Decimal(cost) if cost is not None else None}
    )


CALLS = [
    _call(
        cdr("c1", "acme", Direction.OUTBOUND, at(DAY, "09:01:00"), billsec=60, price="0.030"),
        "carrier-a",
        "0.012",
    ),
    _call(
        cdr("c2", "acme", Direction.OUTBOUND, at(DAY, "09:03:00"), answered=False),
        "carrier-a",
        None,
    ),
    _call(
        cdr(
            "c3",
            "acme",
            Direction.INBOUND,
            at(DAY, "09:04:59"),
            billsec=120,
            wait=10.0,
            agent="ag1",
            price="0.050",
        ),
        "carrier-b",
        "0.020",
    ),
    _call(
        cdr("c4", "acme", Direction.INBOUND, at(DAY, "09:06:00"), answered=False, wait=30.0),
        "carrier-b",
        None,
    ),
    _call(
        cdr("c5", "acme", Direction.OUTBOUND, at(DAY, "09:40:00"), billsec=30, price="0.015"),
        "carrier-a",
        "0.006",
    ),
    _call(
        cdr("g1", "globex", Direction.OUTBOUND, at(DAY, "09:02:00"), billsec=10, price="0.9"),
        "carrier-a",
        "0.5",
    ),
]

#: One G.729 report without loss, jitter or RTT: R = 93.2 - 11 = 82.2, MOS 4.104375 -> 4.1044
#: (the same report as k2 in tests/quality/test_call_quality_mart.py).
REPORTS = [
    RtcpReport(
        event_id="r1",
        tenant_id="acme",
        occurred_at=at(DAY, "09:01:20"),
        call_id=call_id("c1"),
        leg=Leg.A,
        ssrc=1,
        codec=Codec.G729,
        fraction_lost=0,
        cumulative_lost=0,
        extended_highest_seq=1250,
        interarrival_jitter=0,
    )
]


def _message(
    event: str, message: str, channel: str, provider: str, status: str, when: str,
    price: str | None = None,
) -> MessageEvent:  # fmt: skip
    email = channel == "email"
    return MessageEvent.model_validate(
        {
            "event_id": event,
            "tenant_id": "acme",
            "occurred_at": at(DAY, when),
            "message_id": message,
            "channel": channel,
            "status": status,
            "from_address": "news@acme.example" if email else "+14155550100",
            "to_address": "ann@mail.example" if email else "+14155550199",
            "provider": provider,
            "price": price,
            "error_code": "30003" if status == "failed" else None,
        }
    )


MESSAGES = [
    _message("e1", "m1", "sms", "smsgate", "queued", "09:00:10"),
    _message("e2", "m1", "sms", "smsgate", "sent", "09:00:11", "0.0079"),
    _message("e3", "m1", "sms", "smsgate", "delivered", "09:00:20"),
    _message("e4", "m2", "sms", "smsgate", "sent", "09:01:00", "0.0079"),
    _message("e5", "m2", "sms", "smsgate", "failed", "09:02:00"),
    _message("e6", "m3", "sms", "textly", "sent", "09:02:00", "0.0079"),
    _message("e7", "m3", "sms", "textly", "delivered", "09:03:00"),
    _message("e7-again", "m3", "sms", "textly", "delivered", "09:03:00"),
    _message("e8", "m4", "email", "mailfast", "sent", "09:05:30", "0.001"),
    _message("e9", "m4", "email", "mailfast", "bounced", "09:06:00"),
    _message("e10", "m5", "email", "mailfast", "sent", "09:06:30", "0.001"),
    _message("e11", "m5", "email", "mailfast", "delivered", "09:07:00"),
    _message("e12", "m5", "email", "mailfast", "opened", "09:20:00"),
]

Key = tuple[str, str, str, str, dt.datetime]


def _keyed(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {
        (r["tenant_id"], r["dimension"], r["dimension_value"], r["kpi"], r["bucket_start"]): r
        for r in rows
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    warehouse = BothTargets(tmp_path_factory.mktemp("kpi_series"))
    with warehouse.loading() as load:
        load.write("call", models_to_table(CALLS, CallRecord), "calls")
        load.write("rtcp", models_to_table(REPORTS, RtcpReport), "reports")
        load.write("message", models_to_table(MESSAGES, MessageEvent), "messages")
    warehouse.build(SELECT)
    marts = warehouse.read(MARTS)
    return {
        "rows": marts,
        "types": warehouse.column_types(MARTS),
        "duckdb": {name: _keyed(rows) for name, rows in marts["duckdb"].items()},
    }


def _at(hhmm: str) -> dt.datetime:
    return at(DAY, f"{hhmm}:00")


def _value(
    built: dict[str, Any], mart: str, dimension: str, value: str, kpi: str, hhmm: str
) -> Any:
    return built["duckdb"][mart][("acme", dimension, value, kpi, _at(hhmm))]


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: dict[str, Any], name: str) -> None:
    assert built["rows"]["duckdb"][name]
    assert built["rows"]["clickhouse"][name] == built["rows"]["duckdb"][name]
    # the harness maps no timestamp type: compare the others, then bucket_start on its own
    types = {
        target: {name: [c for c in by_mart[name] if c[0] != "bucket_start"]}
        for target, by_mart in built["types"].items()
    }
    assert_same_column_types(types, name)
    assert dict(built["types"]["duckdb"][name])["bucket_start"] == "TIMESTAMP WITH TIME ZONE"
    assert dict(built["types"]["clickhouse"][name])["bucket_start"].startswith("DateTime64(6")


def test_five_minute_call_kpis(built: dict[str, Any]) -> None:
    def row(kpi: str, hhmm: str) -> tuple[Any, Any, Any]:
        found = _value(built, "kpi_series_5m", "tenant", "all", kpi, hhmm)
        return found["numerator"], found["denominator"], found["value"]

    assert row("call_volume", "09:00") == (3, 3, 3.0)
    assert row("asr", "09:00") == (2, 3, pytest.approx(2 / 3))
    assert row("acd_sec", "09:00") == (180, 2, 90.0)
    assert row("cost", "09:00") == (Decimal("0.032"), 2, pytest.approx(0.032))
    assert row("mos", "09:00") == (Decimal("4.1044"), 1, pytest.approx(4.1044))
    assert row("abandon_rate", "09:00") == (0, 1, 0.0)
    assert row("asr", "09:05") == (0, 1, 0.0)
    assert row("cost", "09:05") == (0, 0, 0.0)
    assert row("abandon_rate", "09:05") == (1, 1, 1.0)
    assert row("acd_sec", "09:40") == (30, 1, 30.0)
    # no answered call at 09:05: no ACD row; nothing at all between 09:10 and 09:35
    five = built["duckdb"]["kpi_series_5m"]
    assert ("acme", "tenant", "all", "acd_sec", _at("09:05")) not in five
    volume_buckets = sorted(k[4] for k in five if k[:4] == ("acme", "tenant", "all", "call_volume"))
    assert volume_buckets == [_at("09:00"), _at("09:05"), _at("09:40")]


def test_five_minute_dimensions(built: dict[str, Any]) -> None:
    carrier_a = _value(built, "kpi_series_5m", "carrier", "carrier-a", "asr", "09:00")
    assert (carrier_a["numerator"], carrier_a["denominator"]) == (1, 2)  # c1 of c1, c2
    carrier_b = _value(built, "kpi_series_5m", "carrier", "carrier-b", "acd_sec", "09:00")
    assert carrier_b["value"] == 120.0
    queue = _value(built, "kpi_series_5m", "queue", "q-support", "abandon_rate", "09:05")
    assert (queue["numerator"], queue["denominator"]) == (1, 1)
    globex = built["duckdb"]["kpi_series_5m"][
        ("globex", "carrier", "carrier-a", "call_volume", _at("09:00"))
    ]
    assert globex["value"] == 1.0


def test_five_minute_messages_and_spend(built: dict[str, Any]) -> None:
    sms = _value(built, "kpi_series_5m", "tenant", "all", "sms_delivery_rate", "09:00")
    assert (sms["numerator"], sms["denominator"]) == (2, 3)
    smsgate = _value(built, "kpi_series_5m", "provider", "smsgate", "sms_delivery_rate", "09:00")
    assert (smsgate["numerator"], smsgate["denominator"], smsgate["value"]) == (1, 2, 0.5)
    channel = _value(built, "kpi_series_5m", "channel", "sms", "message_volume", "09:00")
    assert channel["value"] == 3.0  # m3's repeated delivered event is one outcome
    bounce = _value(built, "kpi_series_5m", "channel", "email", "email_bounce_rate", "09:05")
    assert (bounce["numerator"], bounce["denominator"], bounce["value"]) == (1, 2, 0.5)
    spend = {
        hhmm: _value(built, "kpi_series_5m", "tenant", "all", "spend", hhmm)
        for hhmm in ("09:00", "09:05", "09:40")
    }
    assert {h: (r["numerator"], r["denominator"]) for h, r in spend.items()} == {
        "09:00": (Decimal("0.1037"), 5),
        "09:05": (Decimal("0.002"), 2),
        "09:40": (Decimal("0.015"), 1),
    }


def test_fifteen_minutes_roll_up_and_fill_sum_kpis(built: dict[str, Any]) -> None:
    fifteen = built["duckdb"]["kpi_series_15m"]
    volume = {
        k[4]: r["value"]
        for k, r in fifteen.items()
        if k[:4] == ("acme", "tenant", "all", "call_volume")
    }
    assert volume == {_at("09:00"): 4.0, _at("09:15"): 0.0, _at("09:30"): 1.0}
    zero = fifteen[("acme", "tenant", "all", "call_volume", _at("09:15"))]
    assert (zero["numerator"], zero["denominator"], zero["grain_minutes"]) == (0, 0, 15)
    asr = {
        k[4]: r["value"] for k, r in fifteen.items() if k[:4] == ("acme", "tenant", "all", "asr")
    }
    assert asr == {_at("09:00"): 0.5, _at("09:30"): 1.0}
    carrier_a = {
        k[4]: r["value"]
        for k, r in fifteen.items()
        if k[:4] == ("acme", "carrier", "carrier-a", "call_volume")
    }
    assert carrier_a == {_at("09:00"): 2.0, _at("09:15"): 0.0, _at("09:30"): 1.0}


def test_sixty_minutes(built: dict[str, Any]) -> None:
    def row(kpi: str) -> tuple[Any, Any, Any]:
        found = _value(built, "kpi_series_60m", "tenant", "all", kpi, "09:00")
        return found["numerator"], found["denominator"], found["value"]

    assert row("call_volume") == (5, 5, 5.0)
    assert row("asr") == (3, 5, 0.6)
    assert row("acd_sec") == (210, 3, 70.0)
    assert row("cost") == (Decimal("0.038"), 3, pytest.approx(0.038))
    assert row("spend") == (Decimal("0.1207"), 8, pytest.approx(0.1207))
    assert row("abandon_rate") == (1, 2, 0.5)
    sixty = built["duckdb"]["kpi_series_60m"]
    assert {k[0] for k in sixty} == {"acme", "globex"}
    assert all(k[4] == _at("09:00") for k in sixty)
