"""Inbound traffic behaves like a contact center: seasonality, Little's law, agents vs CDRs,
abandonment under understaffing."""

from __future__ import annotations

from datetime import date

import duckdb

from telephony.simulator import SimulationConfig, simulate
from tests.telephony.conftest import Run


def _tenant_zones(run: Run) -> dict[str, str]:
    return {t["tenant_id"]: t["timezone"] for t in run.result.manifest["tenants"]}


def test_weekday_business_hours_dwarf_nights_and_weekends(week_run: Run) -> None:
    db = week_run.db()
    for tenant, zone in _tenant_zones(week_run).items():
        # Arrivals per local hour, averaged over the local days of each kind.
        [(peak, night, weekend)] = db.sql(
            f"""
            with arrivals as (
                select timezone('{zone}', start_at) as local_at
                from call where tenant_id = '{tenant}' and queue_id is not null
            ),
            hourly as (
                select date_trunc('hour', local_at) as hour_start, count(*) as calls
                from arrivals group by 1
            ),
            labelled as (
                select calls, extract(hour from hour_start) as h, isodow(hour_start) as dow
                from hourly
            )
            select
                sum(calls) filter (where dow <= 5 and h between 10 and 15) / (5.0 * 6),
                sum(calls) filter (where dow <= 5 and h between 0 and 4) / (5.0 * 5),
                sum(calls) filter (where dow >= 6 and h between 10 and 15) / (2.0 * 6)
            from labelled
            """
        ).fetchall()
        assert peak >= 3 * night, (tenant, peak, night)
        assert peak >= 2.5 * weekend, (tenant, peak, weekend)


def _state_durations(run: Run) -> duckdb.DuckDBPyRelation:
    """Seconds each inbound agent spent in each state inside the window (state lasts until the
    agent's next event)."""
    return run.db().sql(
        f"""
        with events as (
            select agent_id, state, occurred_at as entered,
                   lead(occurred_at) over (partition by agent_id order by occurred_at, state)
                       as left_at
            from agent where queue_id is not null
        )
        select state,
               sum(epoch(least(left_at, '{run.window_end}'::timestamptz))
                   - epoch(greatest(entered, '{run.window_start}'::timestamptz))) as seconds
        from events
        where left_at > '{run.window_start}'::timestamptz
          and entered < '{run.window_end}'::timestamptz
        group by state
        """
    )


def test_littles_law_for_calls_in_service(week_run: Run) -> None:
    """L (agents on a call or in wrap-up, time-averaged from agent events) = lambda * W (answered
    arrivals and mean handle time from the CDRs)."""
    window_s = 7 * 86400
    busy_s = dict(_state_durations(week_run).fetchall())
    service_l = (busy_s["on_call"] + busy_s["wrap_up"]) / window_s
    [(answered, handle_s)] = (
        week_run.db()
        .sql(
            f"""
            select count(*), avg(epoch(end_at) - epoch(answer_at) + wrapup_sec)
            from call
            where queue_id is not null and answer_at is not null
              and answer_at >= '{week_run.window_start}'::timestamptz
              and answer_at < '{week_run.window_end}'::timestamptz
            """
        )
        .fetchall()
    )
    arrival_rate = answered / window_s
    assert answered > 2000
    assert abs(service_l - arrival_rate * handle_s) / (arrival_rate * handle_s) < 0.03


def test_littles_law_for_the_waiting_line(week_run: Run) -> None:
    """Time-average queue length from CDR timestamps = arrival rate x mean queue_wait_sec."""
    window_s = 7 * 86400
    [(queue_seconds, arrivals, mean_wait)] = (
        week_run.db()
        .sql(
            f"""
            with waits as (
                select start_at, coalesce(answer_at, end_at) as left_queue, queue_wait_sec
                from call where queue_id is not null
            )
            select
                sum(greatest(0, epoch(least(left_queue, '{week_run.window_end}'::timestamptz))
                              - epoch(greatest(start_at, '{week_run.window_start}'::timestamptz)))),
                count(*) filter (where start_at < '{week_run.window_end}'::timestamptz),
                avg(queue_wait_sec) filter (where start_at < '{week_run.window_end}'::timestamptz)
            from waits
            """
        )
        .fetchall()
    )
    queue_l = queue_seconds / window_s
    assert queue_l > 0
    assert abs(queue_l - arrivals / window_s * mean_wait) / queue_l < 0.03


def test_agents_are_busy_exactly_while_handling_their_calls(week_run: Run) -> None:
    db = week_run.db()
    [(mismatches, on_call_events, answered_with_agent)] = db.sql(
        """
        with ordered as (
            select agent_id, state, call_id, occurred_at,
                   lead(state) over w as next_state, lead(call_id) over w as next_call,
                   lead(occurred_at) over w as next_at,
                   lead(occurred_at, 2) over w as after_wrap_at
            from agent window w as (partition by agent_id order by occurred_at, state)
        ),
        on_call as (
            select o.*, c.answer_at, c.end_at, c.wrapup_sec, c.agent_id as cdr_agent
            from ordered o left join call c using (call_id)
            where o.state = 'on_call'
        )
        select
            count(*) filter (where cdr_agent is distinct from agent_id
                               or occurred_at <> answer_at
                               or next_state <> 'wrap_up' or next_call <> call_id
                               or next_at <> end_at
                               or after_wrap_at <> end_at + to_seconds(wrapup_sec)),
            count(*),
            (select count(*) from call where agent_id is not null)
        from on_call
        """
    ).fetchall()
    assert on_call_events == answered_with_agent > 1000
    assert mismatches == 0


def test_agent_sessions_are_well_formed(week_run: Run) -> None:
    db = week_run.db()
    [(logins, logouts, agents)] = db.sql(
        "select count(*) filter (where state = 'login'), count(*) filter (where state = 'logout'),"
        " count(distinct agent_id) from agent"
    ).fetchall()
    assert logins == logouts > 0
    assert agents > 5
    [(bad_reasons,)] = db.sql(
        "select count(*) from agent where (state = 'not_ready') = (reason is null)"
    ).fetchall()
    assert bad_reasons == 0


def test_abandoned_calls_look_like_abandoned_calls(week_run: Run) -> None:
    [(abandoned, offered, bad)] = (
        week_run.db()
        .sql(
            """
            select count(*) filter (where answer_at is null), count(*),
                   count(*) filter (where answer_at is null and (
                       hangup_cause not in ('ORIGINATOR_CANCEL', 'NORMAL_CLEARING')
                       or billsec <> 0 or agent_id is not null
                       or abs(epoch(end_at) - epoch(start_at) - queue_wait_sec) > 1e-6))
            from call where queue_id is not null
            """
        )
        .fetchall()
    )
    assert 0.005 < abandoned / offered < 0.4
    assert bad == 0


def _abandon_rate_outside_spikes(staffing_level: float) -> float:
    config = SimulationConfig(
        days=5,
        tenants=1,
        seed=3,
        start=date(2024, 4, 8),
        staffing_level=staffing_level,
        families=frozenset({"call"}),
    )
    result = simulate(config)
    db = duckdb.connect()
    db.register("calls", result.tables["call"])
    spikes = [g for g in result.ground_truth if g["kind"] == "traffic_spike"]
    outside = " and ".join(
        f"not (start_at >= '{g['start']}'::timestamptz and start_at < '{g['end']}'::timestamptz)"
        for g in spikes
    )
    [(rate,)] = db.sql(
        "select avg((answer_at is null)::int) from calls"
        f" where queue_id is not null and {outside or 'true'}"
    ).fetchall()
    return float(rate)


def test_abandonment_grows_when_understaffed() -> None:
    """Same arrivals (same seed), fewer agents scheduled: more callers give up."""
    planned = _abandon_rate_outside_spikes(1.0)
    short = _abandon_rate_outside_spikes(0.65)
    assert 0.005 < planned < 0.12
    assert short > 1.5 * planned
