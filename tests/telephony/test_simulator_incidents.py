"""Every injected incident in ground_truth.json is visible in the simulated data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.telephony.conftest import Run

KINDS = {
    "carrier_outage",
    "quality_degradation",
    "traffic_spike",
    "toll_fraud_burst",
    "sms_delivery_drop",
}
#: International revenue share fraud favourites (Cuba, Sierra Leone, Somalia, Latvian premium,
#: Papua New Guinea, Iridium/inmarsat-style satellite and international networks).
PREMIUM_PREFIXES = ("+53", "+232", "+252", "+37190", "+675", "+881", "+882")


def _incidents(run: Run, kind: str) -> list[dict[str, Any]]:
    truth = json.loads((run.folder / "ground_truth.json").read_text())
    return [incident for incident in truth if incident["kind"] == kind]


def _between(column: str, incident: dict[str, Any]) -> str:
    return (
        f"{column} >= '{incident['start']}'::timestamptz and "
        f"{column} < '{incident['end']}'::timestamptz"
    )


def test_ground_truth_lists_every_kind_with_its_keys(week_run: Run) -> None:
    truth = json.loads((week_run.folder / "ground_truth.json").read_text())
    assert {incident["kind"] for incident in truth} == KINDS
    assert len({incident["incident_id"] for incident in truth}) == len(truth)
    window_start = datetime.fromisoformat(week_run.window_start)
    window_end = datetime.fromisoformat(week_run.window_end)
    for incident in truth:
        start = datetime.fromisoformat(incident["start"])
        end = datetime.fromisoformat(incident["end"])
        assert window_start <= start < end <= window_end, incident
        assert incident["expected_effect"]
        relevant = {
            "carrier_outage": "carrier_id",
            "quality_degradation": "carrier_id",
            "traffic_spike": "tenant_id",
            "toll_fraud_burst": "customer_id",
            "sms_delivery_drop": "provider",
        }[incident["kind"]]
        assert incident[relevant], incident


def test_calls_over_an_out_carrier_fail_and_only_then(week_run: Run) -> None:
    db = week_run.db()
    outages = _incidents(week_run, "carrier_outage")
    inside_any = []
    for outage in outages:
        condition = f"carrier_id = '{outage['carrier_id']}' and {_between('start_at', outage)}"
        inside_any.append(f"({condition})")
        [(calls, failed)] = db.sql(
            "select count(*), count(*) filter (where hangup_cause = 'NETWORK_OUT_OF_ORDER'"
            f" and sip_code = 503 and answer_at is null) from call where {condition}"
        ).fetchall()
        assert calls > 0, outage
        assert failed == calls, outage
    [(stray,)] = db.sql(
        "select count(*) from call where hangup_cause = 'NETWORK_OUT_OF_ORDER'"
        f" and not ({' or '.join(inside_any)})"
    ).fetchall()
    assert stray == 0


def test_degraded_carrier_shows_loss_and_jitter_in_rtcp(week_run: Run) -> None:
    db = week_run.db()
    checked = 0
    for incident in _incidents(week_run, "quality_degradation"):
        rows = db.sql(
            f"""
            select ({_between("c.answer_at", incident)}) as during,
                   count(*), avg(r.fraction_lost / 256.0),
                   avg(r.interarrival_jitter * 1000.0 / r.clock_rate_hz)
            from rtcp r join call c using (call_id)
            where c.carrier_id = '{incident["carrier_id"]}'
            group by 1
            """
        ).fetchall()
        stats = {during: (n, loss, jitter) for during, n, loss, jitter in rows}
        if stats.get(True, (0,))[0] < 20:
            continue  # the carrier carried almost nothing then (e.g. at night)
        checked += 1
        (_, loss_in, jitter_in), (_, loss_out, jitter_out) = stats[True], stats[False]
        assert loss_in > 3 * loss_out, incident
        assert jitter_in > 2 * jitter_out, incident
    assert checked >= 1


def test_traffic_spike_triples_the_tenants_inbound_arrivals(week_run: Run) -> None:
    db = week_run.db()
    for spike in _incidents(week_run, "traffic_spike"):
        start = datetime.fromisoformat(spike["start"])
        end = datetime.fromisoformat(spike["end"])
        start_of_day_s = start.hour * 3600 + start.minute * 60 + start.second
        length_s = (end - start).total_seconds()
        # The same clock window on the other weekdays of the run is the baseline.
        [(during, usual, abandon_in, abandon_out)] = db.sql(
            f"""
            with inbound as (
                select start_at, answer_at is null as abandoned,
                       {_between("start_at", spike)} as in_spike,
                       (epoch(start_at) - {start_of_day_s}) % 86400 < {length_s} as same_clock,
                       isodow(start_at) <= 5 as weekday
                from call where tenant_id = '{spike["tenant_id"]}' and queue_id is not null
            )
            select count(*) filter (where in_spike),
                   count(*) filter (where same_clock and weekday and not in_spike)
                       / greatest(1, count(distinct start_at::date)
                                       filter (where same_clock and weekday and not in_spike)),
                   avg(abandoned::int) filter (where in_spike),
                   avg(abandoned::int) filter (where not in_spike)
            from inbound
            """
        ).fetchall()
        assert during >= 2 * usual, spike
        assert abandon_in > abandon_out, spike


def test_toll_fraud_burst_is_premium_calls_at_night(week_run: Run) -> None:
    db = week_run.db()
    zones = {t["tenant_id"]: t["timezone"] for t in week_run.result.manifest["tenants"]}
    premium = " or ".join(f"to_number like '{prefix}%'" for prefix in PREMIUM_PREFIXES)
    for burst in _incidents(week_run, "toll_fraud_burst"):
        zone = zones[burst["tenant_id"]]
        [(during, outside, latest_hour, answered_share)] = db.sql(
            f"""
            select count(*) filter (where {_between("start_at", burst)}),
                   count(*) filter (where not ({_between("start_at", burst)})),
                   max(hour(timezone('{zone}', start_at)))
                       filter (where {_between("start_at", burst)}),
                   avg((answer_at is not null)::int) filter (where {_between("start_at", burst)})
            from call
            where customer_id = '{burst["customer_id"]}' and direction = 'outbound'
              and ({premium})
            """
        ).fetchall()
        assert during >= 100, burst
        assert outside <= 2, burst
        assert latest_hour <= 6, burst
        assert answered_share > 0.6, burst


def test_sms_delivery_rate_drops_for_the_provider(week_run: Run) -> None:
    db = week_run.db()
    for drop in _incidents(week_run, "sms_delivery_drop"):
        rates = dict(
            db.sql(
                f"""
                with sent as (
                    select message_id, {_between("occurred_at", drop)} as during
                    from message
                    where provider = '{drop["provider"]}' and channel = 'sms' and status = 'sent'
                )
                select s.during,
                       count(distinct m.message_id) filter (where m.status = 'delivered')
                           / count(distinct s.message_id)
                from sent s left join message m using (message_id)
                group by 1
                """
            ).fetchall()
        )
        assert rates[True] < 0.8 * rates[False], drop
