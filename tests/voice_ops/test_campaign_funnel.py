"""campaign_funnel from hand-made dialer attempts on both dbt targets (identical rows).

Hand-worked (acme):
  spring (predictive), 2024-05-01: answered x3 (rpc+converted 'sale', rpc 'not_interested',
    wrong party 'wrong_party'), abandoned, voicemail, no_answer, busy, failed, blocked_dnc,
    blocked_curfew -> attempts 10, dialled 8, live connects 4, agent connects 3, rpc 2,
    conversions 1, dispositioned 3; contact rate 4/8, conversion 1/2, abandonment 1/4; 30 days:
    1/4 > 3 % -> exceeds the rule.
  spring, 2024-05-20: 30 answered -> abandonment 0; 30 days (Apr 21 .. May 20) 1 / 34 = 2.94 %
    -> within the rule.
  spring, 2024-06-05: 1 answered + 1 abandoned; 30 days (May 7 .. Jun 5) leave May 1 out:
    1 / 32 = 3.125 % -> exceeds.
  p1 (progressive), 2024-05-01: 1 answered + 1 abandoned -> 50 % but the rule is for predictive
    dialing only -> false.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ingest.contracts import CampaignAttempt, models_to_table
from tests.both_targets import BothTargets

SELECT = ["--select", "+campaign_funnel", "--indirect-selection", "cautious"]
MAY1, MAY20, JUN5 = dt.date(2024, 5, 1), dt.date(2024, 5, 20), dt.date(2024, 6, 5)


def _attempts() -> list[CampaignAttempt]:
    plan: list[tuple[str, str, dt.date, str, str | None, bool, bool]] = [
        ("spring", "predictive", MAY1, "answered", "sale", True, True),
        ("spring", "predictive", MAY1, "answered", "not_interested", True, False),
        ("spring", "predictive", MAY1, "answered", "wrong_party", False, False),
        *[
            ("spring", "predictive", MAY1, outcome, None, False, False)
            for outcome in (
                "abandoned",
                "voicemail",
                "no_answer",
                "busy",
                "failed",
                "blocked_dnc",
                "blocked_curfew",
            )
        ],
        *[("spring", "predictive", MAY20, "answered", None, False, False)] * 30,
        ("spring", "predictive", JUN5, "answered", None, False, False),
        ("spring", "predictive", JUN5, "abandoned", None, False, False),
        ("p1", "progressive", MAY1, "answered", None, False, False),
        ("p1", "progressive", MAY1, "abandoned", None, False, False),
    ]
    return [
        CampaignAttempt(
            event_id=f"att-{index}",
            tenant_id="acme",
            occurred_at=dt.datetime(day.year, day.month, day.day, 15, 0, index % 60, tzinfo=dt.UTC),
            campaign_id=campaign,
            attempt_id=f"a{index}",
            contact_id=f"contact-{index}",
            to_number="+14155550123",
            dial_mode=mode,
            outcome=outcome,
            disposition=disposition,
            right_party_contact=rpc,
            converted=converted,
        )
        for index, (campaign, mode, day, outcome, disposition, rpc, converted) in enumerate(plan)
    ]


def _by_campaign_day(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {(r["campaign_id"], r["attempt_date"]): r for r in rows}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[tuple[Any, ...], Any]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("campaign_funnel"))
    with warehouse.loading() as load:
        load.write("campaign", models_to_table(_attempts(), CampaignAttempt), "attempts")
    warehouse.build(SELECT)
    marts = warehouse.read(["campaign_funnel"])
    return {target: _by_campaign_day(rows["campaign_funnel"]) for target, rows in marts.items()}


def test_both_targets_give_identical_rows(built: dict[str, Any]) -> None:
    assert len(built["duckdb"]) == 4
    assert built["clickhouse"] == built["duckdb"]


def test_funnel_counts_are_the_hand_worked_ones(built: dict[str, Any]) -> None:
    day = built["duckdb"][("spring", MAY1)]
    funnel = (
        "attempts", "dialled", "live_connects", "agent_connects", "right_party_contacts",
        "conversions", "abandoned", "voicemail", "no_answer", "busy", "failed", "dnc_blocks",
        "curfew_blocks", "dispositioned",
    )  # fmt: skip
    assert tuple(day[name] for name in funnel) == (10, 8, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 3)
    assert (day["contact_rate"], day["conversion_rate"], day["abandonment_rate"]) == (
        0.5, 0.5, 0.25,
    )  # fmt: skip


def test_the_3_percent_rule_over_30_days(built: dict[str, Any]) -> None:
    rows = built["duckdb"]
    assert (
        rows[("spring", MAY1)]["abandonment_rate_30d"],
        rows[("spring", MAY1)]["exceeds_3pct_rule"],
    ) == (0.25, True)
    may20 = rows[("spring", MAY20)]
    assert (may20["abandoned_30d"], may20["live_connects_30d"]) == (1, 34)
    assert may20["abandonment_rate_30d"] == pytest.approx(1 / 34)
    assert may20["exceeds_3pct_rule"] is False
    jun5 = rows[("spring", JUN5)]
    assert (jun5["abandoned_30d"], jun5["live_connects_30d"]) == (1, 32)
    assert jun5["exceeds_3pct_rule"] is True
    progressive = rows[("p1", MAY1)]
    assert (progressive["abandonment_rate"], progressive["exceeds_3pct_rule"]) == (0.5, False)
