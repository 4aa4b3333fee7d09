"""Field semantics of CDRs, RTCP, campaign attempts, transcripts and messages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tests.telephony.conftest import Run


def test_cdr_timeline_and_rating(week_run: Run) -> None:
    db = week_run.db()
    [(bad_direction, bad_pdd, priced, above_cost, unpriced_answer)] = db.sql(
        """
        select
            count(*) filter (where (queue_id is not null and direction <> 'inbound')
                              or (campaign_id is not null and direction <> 'outbound')),
            count(*) filter (where direction = 'inbound' and pdd_ms is not null),
            count(*) filter (where direction = 'outbound' and billsec > 0),
            count(*) filter (where direction = 'outbound' and billsec > 0 and price > cost),
            count(*) filter (where answer_at is not null and billsec >= 60 and cost = 0)
        from call
        """
    ).fetchall()
    assert bad_direction == 0
    assert bad_pdd == 0
    assert priced > 500
    assert above_cost / priced > 0.8  # price > cost usually, not always
    assert unpriced_answer == 0


def test_rtcp_counters_behave_like_rtcp(week_run: Run) -> None:
    db = week_run.db()
    [(legs_missing,)] = db.sql(
        """
        select count(*) from call c
        where c.answer_at is not null
          and (select count(distinct leg) from rtcp r where r.call_id = c.call_id) <> 2
        """
    ).fetchall()
    assert legs_missing == 0
    [(violations, rates_checked, bad_rate, outside_call, bad_fraction)] = db.sql(
        """
        with ordered as (
            select r.*, c.answer_at, c.end_at,
                   lag(cumulative_lost) over w as prev_lost,
                   lag(extended_highest_seq) over w as prev_seq,
                   lag(r.occurred_at) over w as prev_at
            from rtcp r join call c using (call_id)
            window w as (partition by call_id, leg order by r.occurred_at)
        )
        select
            count(*) filter (where cumulative_lost < prev_lost or extended_highest_seq <= prev_seq),
            count(*) filter (where prev_seq is not null and codec <> 'G723'),
            count(*) filter (where prev_seq is not null and codec <> 'G723' and abs(
                (extended_highest_seq - prev_seq) / (epoch(occurred_at) - epoch(prev_at)) - 50)
                > 1.0),
            count(*) filter (where occurred_at < answer_at or occurred_at > end_at),
            count(*) filter (where prev_seq is not null and abs(fraction_lost
                - least(255, floor(256.0 * (cumulative_lost - prev_lost)
                                   / (extended_highest_seq - prev_seq)))) > 1)
        from ordered
        """
    ).fetchall()
    assert violations == 0
    assert rates_checked > 1000
    assert bad_rate == 0  # 20 ms packetisation: 50 packets per second
    assert outside_call == 0
    assert bad_fraction == 0
    [(bad_clock,)] = db.sql(
        "select count(*) from rtcp where clock_rate_hz <> (case codec when 'OPUS' then 48000"
        " else 8000 end)"
    ).fetchall()
    assert bad_clock == 0
    [(correlation,)] = db.sql(
        "select corr(fraction_lost, xr_mos_lq) from rtcp where xr_mos_lq is not null"
    ).fetchall()
    assert correlation < -0.3  # more loss, lower listening quality


def test_campaign_attempts_link_to_their_calls(week_run: Run) -> None:
    db = week_run.db()
    [(blocked_with_call, dialled, unlinked, agent_mismatch, bad_funnel, variants)] = db.sql(
        """
        select
            count(*) filter (where outcome like 'blocked%' and a.call_id is not null),
            count(*) filter (where outcome not like 'blocked%'),
            count(*) filter (where outcome not like 'blocked%' and (c.call_id is null
                               or c.campaign_id <> a.campaign_id or c.to_number <> a.to_number
                               or c.direction <> 'outbound')),
            count(*) filter (where outcome = 'answered' and (c.agent_id is distinct from a.agent_id
                               or c.answer_at is null)),
            count(*) filter (where (converted and not right_party_contact)
                              or (outcome in ('no_answer', 'busy', 'failed')
                                  and c.answer_at is not null)),
            count(distinct variant)
        from campaign a left join call c using (call_id)
        """
    ).fetchall()
    assert blocked_with_call == 0
    assert dialled > 300
    assert unlinked == 0
    assert agent_mismatch == 0
    assert bad_funnel == 0
    assert variants == 2


def test_attempt_numbers_count_up_per_contact(week_run: Run) -> None:
    [(bad,)] = (
        week_run.db()
        .sql(
            """
            select count(*) from (
                select attempt_number,
                       row_number() over (partition by contact_id order by occurred_at,
                                                                          attempt_id) as nth
                from campaign
            ) where attempt_number <> nth
            """
        )
        .fetchall()
    )
    assert bad == 0


def test_single_timezone_contacts_are_never_dialled_outside_curfew(week_run: Run) -> None:
    """globex-retail's contacts are all in the UK: blocked exactly when 21:00-08:00 there."""
    rows = (
        week_run.db()
        .sql(
            "select occurred_at, outcome from campaign where tenant_id = 'globex-retail'"
            " and outcome <> 'blocked_dnc'"
        )
        .fetchall()
    )
    assert rows
    london = ZoneInfo("Europe/London")
    blocked = 0
    for at, outcome in rows:
        hour = at.astimezone(london).hour
        allowed = 8 <= hour < 21
        assert allowed == (outcome != "blocked_curfew"), (at, outcome)
        blocked += outcome == "blocked_curfew"
    assert blocked > 0


def test_transcripts_fit_inside_answered_inbound_calls(week_run: Run) -> None:
    db = week_run.db()
    [(calls, bad_counts, bad_offsets, not_inbound)] = db.sql(
        """
        with per_call as (
            select call_id, count(*) as segments, max(segment_index) as last_index,
                   max(end_offset_ms) as last_end, min(start_offset_ms) as first_start,
                   bool_and(end_offset_ms >= start_offset_ms) as ordered
            from transcript group by call_id
        )
        select count(*),
               count(*) filter (where segments not between 3 and 8 or last_index <> segments - 1),
               count(*) filter (where last_end > c.billsec * 1000 or first_start < 0
                                 or not ordered),
               count(*) filter (where c.direction <> 'inbound' or c.answer_at is null)
        from per_call p join call c using (call_id)
        """
    ).fetchall()
    [(answered_inbound,)] = db.sql(
        "select count(*) from call where direction = 'inbound' and answer_at is not null"
    ).fetchall()
    assert 0.05 < calls / answered_inbound < 0.15
    assert bad_counts == 0
    assert bad_offsets == 0
    assert not_inbound == 0
    [(first_speakers,)] = db.sql(
        "select count(distinct speaker) from transcript where segment_index = 0"
    ).fetchall()
    assert first_speakers == 1  # the agent greets first


def test_message_lifecycles_are_ordered(week_run: Run) -> None:
    db = week_run.db()
    [(messages, bad_order, priced_not_sent, unpriced_sent, email_segments)] = db.sql(
        """
        with per_message as (
            select message_id, any_value(channel) as channel,
                   min(occurred_at) filter (where status = 'queued') as queued,
                   min(occurred_at) filter (where status = 'sent') as sent,
                   min(occurred_at) filter (where status in ('delivered', 'bounced')) as landed,
                   min(occurred_at) filter (where status in ('opened', 'clicked')) as engaged,
                   count(*) filter (where price is not null and status <> 'sent'
                                    and direction = 'outbound') as priced_other,
                   count(*) filter (where status = 'sent' and price is null) as sent_unpriced,
                   count(*) filter (where channel = 'email' and segments is not null) as segs
            from message where direction = 'outbound' group by message_id
        )
        select count(*),
               count(*) filter (where sent < queued or landed < sent or engaged < landed),
               sum(priced_other), sum(sent_unpriced), sum(segs)
        from per_message
        """
    ).fetchall()
    assert messages > 1000
    assert bad_order == 0
    assert priced_not_sent == 0
    assert unpriced_sent == 0
    assert email_segments == 0
