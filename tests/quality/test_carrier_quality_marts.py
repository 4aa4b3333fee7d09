"""carrier_scorecard, quality_alerts and quality_revenue_impact (dbt, both targets) from hand-made
CDRs and RTCP reports, against hand-worked values.

Every call with quality has one PCMU report (leg a, no jitter, no RTT: Ta = 0 + 20 + 20 = 40 ms,
Idd 0) whose fraction_lost f sets the loss (f x 100 / 256 %), so its MOS is (G.107, Bpl 4.3):
  f 0:  R 93.2, MOS 4.409286 -> 4.4093 (call_quality rounds to 4 decimals)
  f 5:  1.953125 %, Ie,eff = 95 x 1.953125 / 6.253125 = 29.672664, R 63.527336, MOS 3.2807
  f 26: 10.15625 %, Ie,eff = 95 x 10.15625 / 14.45625 = 66.742326, R 26.457674, MOS 1.4692

Scorecard, tenant acme (USD), 2024-05-01:
  carrier-a: outbound o1 answered 60 s (price 0.60, cost 0.30, pdd 1000, f 0), o2 answered
    120 s (1.20, 0.50, pdd 3000, f 5), o3 USER_BUSY (pdd 2000), o4 NORMAL_TEMPORARY_FAILURE
    (no pdd); inbound i1 answered 30 s (0.03, 0.01, no report).
    calls 5, attempts 4, answered 2: ASR 0.5; NER (o1, o2, o3) 3/4 = 0.75; ACD 180/2 = 90;
    PDD over 1000, 2000, 3000: p50 2000, p95 2000 + 0.9 x 1000 = 2900.
    MOS over o1, o2: mean (4.4093 + 3.2807) / 2 = 3.845, p5 3.2807 + 0.05 x 1.1286 = 3.3371;
    poor 1, share 0.5. Rated o1, o2, i1: 210 s, revenue 1.83, cost 0.81: cost/min
    0.81 x 60 / 210 = 0.231429, revenue/min 109.8 / 210 = 0.522857, margin/min 61.2 / 210 =
    0.291429, margin % 1.02 / 1.83 = 0.557377.
    score = 50 x 2.845 / 3.5 + 50 x 0.557377 = 40.642857 + 27.86885 = 68.5117 -> rank 1.
  carrier-b: o5 answered 60 s (0.60, 0.50, pdd 1000, f 0), o6 ORIGINATOR_CANCEL after ringing
    (pdd 1500): ASR 0.5, NER 2/2 = 1 (the far end rang); PDD p50 1250, p95 1475; MOS 4.4093;
    margin % 0.1 / 0.6 = 0.166667; score = 50 x 3.4093 / 3.5 + 8.33335 = 57.0376 -> rank 2.
  2024-05-02, carrier-a: o7 answered 60 s (0.60, 0.30, f 0): ASR 1, MOS 4.4093, margin % 0.5,
    score 48.704286 + 25 = 73.7043; changes on 05-01: ASR +0.5, MOS +0.5643, score +5.1926,
    rank 1 -> 1 (0). carrier-b has no row on 05-02.

Alerts (vars: min_calls 2, min_baseline_hours 3, cooldown_hours 2, min_alert_calls 4; globex's
own thresholds warning 3.0 / critical 2.0; initech keeps the defaults 3.1 / 2.58), 2024-05-10:
  globex carrier-x, calls per hour (p50 = the hour's median MOS):
    00-03 two f-0 calls each: 4.4093. Baseline at 03: hours 00-02, B 4.4093, scale 0 ->
      required drop max(0.6, 0) = 0.6; 03 not flagged.
    04 two f-5 calls: 3.2807; B 4.4093 (00-03), drop 1.1286 >= 0.6: flagged (baseline), under
      2 x 0.6 -> warning; 3.2807 is not under globex's 3.0.
    05 one f-26 call: fewer than min_calls, not judged.
    06 two f-26 calls: 1.4692; B over 00-04 = median(4.4093 x 4, 3.2807) = 4.4093, scale
      median(0, 0, 0, 0, 1.1286 x sqrt 2) = 0 -> required 0.6; drop 2.9401 >= 1.2: critical;
      also under globex's critical 2.0. 06 - 04 = 2 h <= cooldown: the same alert.
    07, 08 two f-0 calls each; 09 two f-5 calls: flagged (drop 1.1286), but 09 - 06 = 3 h >
      cooldown: a new alert of 2 calls < min_alert_calls 4 -> no row.
    -> one alert: 04:00-07:00, 2 flagged hours, rule threshold+baseline, critical, worst hour
      06 (1.4692, baseline 4.4093 over 5 hours, limit 4.4093 - 0.6 = 3.8093), evidence 4 calls,
      4 poor, share 1.
  initech carrier-y: 00 and 01 two f-26 calls each: 1.4692 < 2.58 -> threshold, critical; no
    baseline (fewer than 3 earlier hours) -> one alert 00:00-02:00, rule threshold, worst hour
    00 (the earlier of the tie), baseline null.
  hooli carrier-z (a new carrier: early baseline over every hour with calls, needing >= 3 hours
  and >= 3 x 2 = 6 calls): 00, 01, 02 one f-0 call each (not judged).
    03 four f-5 calls: 3.2807, judged; no judged hour before it, and 00-02 are 3 hours of 3
      calls < 6: no early baseline either; 3.2807 >= 3.1: not flagged (flagged, its 4 calls
      would be an alert of its own: 07 is 4 h later).
    04, 05, 06 one f-0 call each.
    07 two f-5 calls: judged hours before: 03 only (< 3) -> early baseline over 00-06: 7 hours,
      10 calls, B = median(4.4093 x 6, 3.2807) = 4.4093, scale median(0 x 6, 1.1286 x sqrt 4)
      = 0 -> required 0.6; drop 1.1286: flagged (baseline), under 1.2 -> warning.
    08 two f-5 calls: judged hours before: 03, 07 (< 3) -> early over 00-07: 8 hours, 12 calls,
      B = median(3.2807 x 2, 4.4093 x 6) = 4.4093, scale median(2.2572, 1.596, 0 x 6) = 0:
      flagged.
    -> one alert 07:00-09:00, 2 flagged hours, rule baseline, warning, worst hour 07 (the earlier
      of the tie): 3.2807, baseline_kind early, baseline 4.4093 over 7 hours and 10 calls, limit
      3.8093; evidence 4 calls, 4 poor.

Revenue impact, tenant umbrella (subscriptions cu1 100/month and cu2 50/month from 2024-04-01,
cu2 cancelled 2024-05-10; as-of 2024-05-31):
  April: u1, u2 answered 60 s, f 0: MOS mean 4.4093 -> good; poor 0 -> low; voice 2 calls,
    120 s = 2 min; no March usage: change null.
  May: u3 f 26, u4 f 5, u5 f 0 (60 s each): mean (1.4692 + 3.2807 + 4.4093) / 3 = 3.0531 ->
    poor; poor 2 of 3 = 0.666667 -> high; voice 3 calls, 3 min; change (180 - 120) / 120 = 0.5.
  churn columns: churn_and_retention's row of the same tenant and month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from cdr_builder import at, call_id, cdr

from ingest.contracts import (
    BillingEvent,
    CallRecord,
    Codec,
    Direction,
    HangupCause,
    Leg,
    RtcpReport,
    models_to_table,
)
from tests.both_targets import BothTargets, assert_same_column_types

SELECT = [
    "--select",
    "+carrier_scorecard",
    "+quality_alerts",
    "+quality_revenue_impact",
    "--indirect-selection",
    "cautious",
]
MARTS = ("carrier_scorecard", "quality_alerts", "quality_revenue_impact")
VARS = {
    "as_of_date": "2024-05-31",
    "quality_alerts": {
        "min_calls": 2,
        "min_baseline_hours": 3,
        "cooldown_hours": 2,
        "min_alert_calls": 4,
        "tenants": {"globex": {"warning_mos": 3.0, "critical_mos": 2.0}},
    },
}
D1, D2, ALERT_DAY = dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 10)
MOS = {0: 4.4093, 5: 3.2807, 26: 1.4692}


def _call(
    name: str, tenant: str, start: dt.datetime, carrier: str, *, billsec: int = 60,
    direction: Direction = Direction.OUTBOUND, cause: HangupCause | None = None,
    pdd: int | None = None, price: str | None = None, cost: str | None = None,
) -> CallRecord:  # fmt: skip
    answered = cause is None
    record = cdr(
        name, tenant, direction, start, billsec=billsec if answered else 0, answered=answered,
        price=price,
    )  # fmt: skip
    update: dict[str, Any] = {
        "carrier_id": carrier,
        "pdd_ms": pdd,
        "cost": Decimal(cost) if cost is not None else None,
    }
    if cause is not None:
        update["hangup_cause"] = cause
    return record.model_copy(update=update)


def _report(name: str, tenant: str, start: dt.datetime, fraction: int) -> RtcpReport:
    return RtcpReport(
        event_id=f"{tenant}-{name}-r",
        tenant_id=tenant,
        occurred_at=start + dt.timedelta(seconds=30),
        call_id=call_id(name),
        leg=Leg.A,
        ssrc=1,
        codec=Codec.PCMU,
        fraction_lost=fraction,
        cumulative_lost=0,
        extended_highest_seq=1250,
        interarrival_jitter=0,
        rtt_ms=None,
    )


CALLS: list[CallRecord] = []
REPORTS: list[RtcpReport] = []


def _add(name: str, tenant: str, start: dt.datetime, carrier: str, fraction: int | None,
         **call: Any) -> None:  # fmt: skip
    CALLS.append(_call(name, tenant, start, carrier, **call))
    if fraction is not None:
        REPORTS.append(_report(name, tenant, start, fraction))


# Scorecard (acme).
_add("o1", "acme", at(D1, "09:00:00"), "carrier-a", 0, pdd=1000, price="0.60", cost="0.30")
_add("o2", "acme", at(D1, "09:10:00"), "carrier-a", 5, billsec=120, pdd=3000, price="1.20",
     cost="0.50")  # fmt: skip
_add("o3", "acme", at(D1, "09:20:00"), "carrier-a", None, cause=HangupCause.USER_BUSY, pdd=2000)
_add("o4", "acme", at(D1, "09:30:00"), "carrier-a", None,
     cause=HangupCause.NORMAL_TEMPORARY_FAILURE)  # fmt: skip
_add("i1", "acme", at(D1, "10:00:00"), "carrier-a", None, billsec=30,
     direction=Direction.INBOUND, price="0.03", cost="0.01")  # fmt: skip
_add("o5", "acme", at(D1, "11:00:00"), "carrier-b", 0, pdd=1000, price="0.60", cost="0.50")
_add("o6", "acme", at(D1, "11:10:00"), "carrier-b", None, cause=HangupCause.ORIGINATOR_CANCEL,
     pdd=1500)  # fmt: skip
_add("o7", "acme", at(D2, "09:00:00"), "carrier-a", 0, price="0.60", cost="0.30")

# Alerts: globex carrier-x hour by hour, initech carrier-y.
for hour, fractions in [
    (0, [0, 0]), (1, [0, 0]), (2, [0, 0]), (3, [0, 0]), (4, [5, 5]), (5, [26]), (6, [26, 26]),
    (7, [0, 0]), (8, [0, 0]), (9, [5, 5]),
]:  # fmt: skip
    for k, fraction in enumerate(fractions):
        _add(f"gx-{hour}-{k}", "globex", at(ALERT_DAY, f"{hour:02d}:{10 + k}:00"), "carrier-x",
             fraction)  # fmt: skip
for hour in (0, 1):
    for k in range(2):
        _add(f"iy-{hour}-{k}", "initech", at(ALERT_DAY, f"{hour:02d}:{10 + k}:00"), "carrier-y",
             26)  # fmt: skip
# hooli carrier-z: a new carrier, judged against its early baseline.
for hour, fractions in [
    (0, [0]), (1, [0]), (2, [0]), (3, [5, 5, 5, 5]), (4, [0]), (5, [0]), (6, [0]),
    (7, [5, 5]), (8, [5, 5]),
]:  # fmt: skip
    for k, fraction in enumerate(fractions):
        _add(f"hz-{hour}-{k}", "hooli", at(ALERT_DAY, f"{hour:02d}:{10 + k}:00"), "carrier-z",
             fraction)  # fmt: skip

# Revenue impact (umbrella).
for name, day, fraction in [
    ("u1", dt.date(2024, 4, 10), 0), ("u2", dt.date(2024, 4, 10), 0),
    ("u3", dt.date(2024, 5, 10), 26), ("u4", dt.date(2024, 5, 10), 5),
    ("u5", dt.date(2024, 5, 10), 0),
]:  # fmt: skip
    _add(name, "umbrella", at(day, "12:00:00"), "carrier-u", fraction)


def _billing(event_id: str, kind: str, customer: str, day: str, amount: str | None) -> BillingEvent:
    return BillingEvent(
        event_id=event_id,
        tenant_id="umbrella",
        occurred_at=dt.datetime.fromisoformat(f"{day}T00:00:00+00:00"),
        event_type=kind,
        customer_id=customer,
        subscription_id=f"sub-{customer}",
        interval="month" if amount is not None else None,
        amount=Decimal(amount) if amount is not None else None,
    )


BILLING = [
    _billing("b1", "subscription_created", "cu1", "2024-04-01", "100"),
    _billing("b2", "subscription_created", "cu2", "2024-04-01", "50"),
    _billing("b3", "subscription_cancelled", "cu2", "2024-05-10", None),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    warehouse = BothTargets(tmp_path_factory.mktemp("carrier_quality"))
    with warehouse.loading() as load:
        load.write("call", models_to_table(CALLS, CallRecord), "calls")
        load.write("rtcp", models_to_table(REPORTS, RtcpReport), "reports")
        load.write("billing", models_to_table(BILLING, BillingEvent), "billing")
    warehouse.build(SELECT, vars=VARS)
    churn = warehouse.read(["churn_and_retention"])["duckdb"]["churn_and_retention"]
    return {
        "marts": warehouse.read(MARTS),
        "types": warehouse.column_types([name for name in MARTS if name != "quality_alerts"]),
        "churn": churn,
    }


def _rows(built: dict[str, Any], mart: str, **equal: Any) -> list[dict[str, Any]]:
    return [
        row
        for row in built["marts"]["duckdb"][mart]
        if all(row[key] == value for key, value in equal.items())
    ]


def _one(built: dict[str, Any], mart: str, **equal: Any) -> dict[str, Any]:
    (row,) = _rows(built, mart, **equal)
    return row


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows(built: dict[str, Any], name: str) -> None:
    assert built["marts"]["duckdb"][name]
    assert built["marts"]["clickhouse"][name] == built["marts"]["duckdb"][name]


@pytest.mark.parametrize("name", ["carrier_scorecard", "quality_revenue_impact"])
def test_both_targets_give_the_same_column_types(built: dict[str, Any], name: str) -> None:
    assert_same_column_types(built["types"], name)


def test_scorecard_signalling_media_and_money(built: dict[str, Any]) -> None:
    row = _one(built, "carrier_scorecard", tenant_id="acme", carrier_id="carrier-a", call_date=D1)
    assert (row["currency"], row["calls"], row["attempts"], row["answered_attempts"]) == (
        "USD", 5, 4, 2,
    )  # fmt: skip
    assert (row["asr"], row["ner"], row["acd_sec"]) == (
        Decimal("0.5"), Decimal("0.75"), Decimal("90"),
    )  # fmt: skip
    assert (row["pdd_ms_p50"], row["pdd_ms_p95"]) == (2000.0, 2900.0)
    assert (row["quality_calls"], row["poor_calls"], row["poor_share"]) == (2, 1, Decimal("0.5"))
    assert row["mos_mean"] == pytest.approx(3.845, abs=1e-9)
    assert row["mos_p5"] == pytest.approx(3.3371, abs=1e-9)
    assert (row["rated_seconds"], row["rated_revenue"], row["rated_cost"]) == (
        210, Decimal("1.83"), Decimal("0.81"),
    )  # fmt: skip
    assert row["cost_per_minute"] == Decimal("0.231429")
    assert row["revenue_per_minute"] == Decimal("0.522857")
    assert row["margin_per_minute"] == Decimal("0.291429")
    assert row["margin_pct"] == Decimal("0.557377")


def test_scorecard_ranks_quality_and_margin_together(built: dict[str, Any]) -> None:
    a = _one(built, "carrier_scorecard", tenant_id="acme", carrier_id="carrier-a", call_date=D1)
    b = _one(built, "carrier_scorecard", tenant_id="acme", carrier_id="carrier-b", call_date=D1)
    assert b["ner"] == Decimal("1")  # the cancel came after the far end rang
    assert (b["pdd_ms_p50"], b["pdd_ms_p95"]) == (1250.0, 1475.0)
    assert b["margin_pct"] == Decimal("0.166667")
    # carrier-b sounds better (4.4093 > 3.845) but earns a third of carrier-a's margin share
    assert (a["score"], b["score"]) == (pytest.approx(68.5117), pytest.approx(57.0376))
    assert (a["score_rank"], b["score_rank"], a["ranked_carriers"]) == (1, 2, 2)
    assert a["asr_change"] is None
    assert a["rank_change"] is None


def test_scorecard_trend_against_the_day_before(built: dict[str, Any]) -> None:
    row = _one(built, "carrier_scorecard", tenant_id="acme", carrier_id="carrier-a", call_date=D2)
    assert (row["asr"], row["margin_pct"], row["score_rank"]) == (Decimal("1"), Decimal("0.5"), 1)
    assert row["score"] == pytest.approx(73.7043)
    assert row["asr_change"] == Decimal("0.5")
    assert row["mos_mean_change"] == pytest.approx(0.5643)
    assert row["score_change"] == pytest.approx(5.1926)
    assert row["rank_change"] == 0
    assert row["poor_share_change"] == Decimal("-0.5")


def test_alerts_merge_hours_within_the_cooldown(built: dict[str, Any]) -> None:
    (alert,) = _rows(built, "quality_alerts", tenant_id="globex")
    start = dt.datetime(2024, 5, 10, 4, tzinfo=dt.UTC)
    assert alert["alert_id"] == f"globex:carrier-x:mos_p50:{int(start.timestamp()) * 1_000_000}"
    assert (alert["carrier_id"], alert["metric"], alert["rule"], alert["severity"]) == (
        "carrier-x", "mos_p50", "threshold+baseline", "critical",
    )  # fmt: skip
    assert (alert["window_start"], alert["window_end"], alert["alert_date"]) == (
        start, dt.datetime(2024, 5, 10, 7, tzinfo=dt.UTC), ALERT_DAY,
    )  # fmt: skip
    assert alert["flagged_hours"] == 2
    assert alert["worst_hour_start"] == dt.datetime(2024, 5, 10, 6, tzinfo=dt.UTC)
    assert (alert["observed_mos"], alert["baseline_mos"], alert["baseline_hours"]) == (
        MOS[26], MOS[0], 5,
    )  # fmt: skip
    assert (alert["baseline_kind"], alert["baseline_calls"]) == ("judged", 10)
    assert alert["baseline_limit_mos"] == pytest.approx(3.8093)
    assert (alert["warning_mos"], alert["critical_mos"]) == (3.0, 2.0)
    assert (alert["evidence_calls"], alert["evidence_poor_calls"]) == (4, 4)
    assert alert["evidence_poor_share"] == Decimal("1")


def test_threshold_alert_without_a_baseline_uses_the_default_thresholds(
    built: dict[str, Any],
) -> None:
    (alert,) = _rows(built, "quality_alerts", tenant_id="initech")
    assert (alert["carrier_id"], alert["rule"], alert["severity"], alert["flagged_hours"]) == (
        "carrier-y", "threshold", "critical", 2,
    )  # fmt: skip
    assert (alert["window_start"], alert["window_end"], alert["worst_hour_start"]) == (
        dt.datetime(2024, 5, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 10, 2, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 10, 0, tzinfo=dt.UTC),
    )
    assert alert["observed_mos"] == MOS[26]
    assert (alert["baseline_mos"], alert["baseline_hours"], alert["baseline_limit_mos"]) == (
        None, 0, None,
    )  # fmt: skip
    assert (alert["baseline_kind"], alert["baseline_calls"]) == (None, 0)
    assert (alert["warning_mos"], alert["critical_mos"]) == (3.1, 2.58)


def test_a_new_carrier_is_judged_against_its_early_baseline(built: dict[str, Any]) -> None:
    (alert,) = _rows(built, "quality_alerts", tenant_id="hooli")
    start = dt.datetime(2024, 5, 10, 7, tzinfo=dt.UTC)
    assert (alert["carrier_id"], alert["rule"], alert["severity"], alert["flagged_hours"]) == (
        "carrier-z", "baseline", "warning", 2,
    )  # fmt: skip
    # 03:00 (the same median MOS, 4 calls) is no alert: 00-02 hold 3 calls, fewer than 3 x 2
    assert (alert["window_start"], alert["window_end"], alert["worst_hour_start"]) == (
        start, dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC), start,
    )  # fmt: skip
    assert (alert["observed_mos"], alert["baseline_kind"], alert["baseline_mos"]) == (
        MOS[5], "early", MOS[0],
    )  # fmt: skip
    assert (alert["baseline_hours"], alert["baseline_calls"]) == (7, 10)
    assert alert["baseline_limit_mos"] == pytest.approx(3.8093)
    assert (alert["evidence_calls"], alert["evidence_poor_calls"]) == (4, 4)


def test_no_other_alerts(built: dict[str, Any]) -> None:
    # acme's and umbrella's hours have one or two good calls; globex's 09:00 lacks evidence
    assert sorted(a["tenant_id"] for a in built["marts"]["duckdb"]["quality_alerts"]) == [
        "globex",
        "hooli",
        "initech",
    ]


def test_quality_revenue_impact_bands_and_usage_trend(built: dict[str, Any]) -> None:
    april = _one(built, "quality_revenue_impact", tenant_id="umbrella", month=dt.date(2024, 4, 1))
    may = _one(built, "quality_revenue_impact", tenant_id="umbrella", month=dt.date(2024, 5, 1))
    assert (april["quality_calls"], april["mos_mean"], april["mos_band"]) == (2, MOS[0], "good")
    assert (april["poor_calls"], april["poor_share"], april["poor_share_band"]) == (
        0, Decimal("0"), "low",
    )  # fmt: skip
    assert (april["voice_calls"], april["voice_billed_minutes"]) == (2, Decimal("2"))
    assert april["voice_minutes_change"] is None
    assert (may["quality_calls"], may["mos_band"], may["poor_calls"]) == (3, "poor", 2)
    assert may["mos_mean"] == pytest.approx(3.0531, abs=1e-9)
    assert (may["poor_share"], may["poor_share_band"]) == (Decimal("0.666667"), "high")
    assert (may["voice_calls"], may["voice_billed_minutes"]) == (3, Decimal("3"))
    assert may["previous_voice_billed_minutes"] == Decimal("2")
    assert may["voice_minutes_change"] == Decimal("0.5")


def test_quality_revenue_impact_carries_the_tenants_churn(built: dict[str, Any]) -> None:
    churn = {(r["tenant_id"], r["month"]): r for r in built["churn"]}
    rows = _rows(built, "quality_revenue_impact", tenant_id="umbrella")
    assert len(rows) == 2
    for row in rows:
        source = churn[("umbrella", row["month"])]
        for column in (
            "customers_at_start",
            "churned_customers",
            "logo_churn_rate",
            "gross_revenue_retention",
            "net_revenue_retention",
        ):
            assert row[column] == source[column], column
    may = churn[("umbrella", dt.date(2024, 5, 1))]
    assert may["customers_at_start"] == 2  # both subscriptions ran through April
