"""Issue 5's acceptance test: the simulator's injected quality incidents show in carrier_scorecard
and raise exactly one alert each in quality_alerts, on both dbt targets, with no other alert.

The simulator (telephony.simulator.incidents) degrades every call over one carrier, for every
tenant, from ``start`` to ``end``: packet loss x 6-12, jitter x 2.5-4, RTT + 60-150 ms. Alerts are
per tenant, so "one alert per incident" means: per incident and tenant, at most one alert on that
carrier overlapping the window, and at least one tenant alerted. A tenant that sends the carrier
too few calls in the window (fewer than min_calls in every hour, or fewer than min_alert_calls in
all) has no evidence and no alert.

Every incident must be caught, those of the first simulated day too: until a tenant has
min_baseline_hours judged hours of the carrier, its hours are judged against the carrier's early
baseline (all its hours with calls, at least min_baseline_hours x min_calls calls; docs/quality.md,
"Quality alerts"). No false positive is accepted: an alert that overlaps no incident of its
carrier fails the test.

Robustness (default settings, 6 days x 3 tenants, scale 1, start 2024-03-04), run by hand with
the same check (``check_alerts``, DuckDB target) on seeds 4, 6, 9, 11, 17, 23, 26 and 37: 14
incidents, 4 of them starting in the first day (seeds 4, 17, and 26 twice); every one raised
exactly one alert per alerted tenant (1 or 2 tenants), none was missed, and no alert lay outside
an incident. Before the early baseline, 2 of the 4 first-day incidents raised none; the early
baseline caught them (seed 17 meridian: two tenants; seed 26 bluewave: one tenant, one hour only
0.057 MOS under its limit, the thinnest margin) and added a tenant to seed 4's; the 10 later
incidents' alerts did not change. Seeds 1, 2, 3, 5, 7 and 8, checked after the rule was chosen:
8 incidents (1 in the first day, caught by the threshold), 7 alerted exactly once per alerted
tenant, no false alert, and 1 missed, seed 7's bluewave (premium) on day 6: its hourly medians
fell by at most 0.26 MOS, under min_drop_mos (0.6), against an established baseline. CI runs
seed 6 (two incidents after the first day, one on a budget carrier, one on a standard one).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ingest import DeadLetterStore
from ingest.batch import ingest_file
from telephony.simulator import SimulationConfig, simulate, write_result
from tests.both_targets import BothTargets, RawLoader

SEED = 6
START = date(2024, 3, 4)
CONFIG = SimulationConfig(
    days=6, tenants=3, seed=SEED, start=START, scale=1.0, families=frozenset({"call", "rtcp"})
)
SELECT = ["--select", "+carrier_scorecard", "+quality_alerts", "--indirect-selection", "cautious"]
#: call_quality and quality_by_carrier_hour too: ~13,000 simulated calls hold exact rounding ties
#: (loss 2/256 = 0.78125 %) that DuckDB and ClickHouse round differently (macro round_ties_up).
MARTS = ("call_quality", "quality_by_carrier_hour", "carrier_scorecard", "quality_alerts")


@dataclass(frozen=True)
class Incident:
    incident_id: str
    carrier_id: str
    start: dt.datetime
    end: dt.datetime


def quality_incidents(ground_truth: list[dict[str, Any]]) -> list[Incident]:
    return [
        Incident(
            row["incident_id"],
            row["carrier_id"],
            dt.datetime.fromisoformat(row["start"]),
            dt.datetime.fromisoformat(row["end"]),
        )
        for row in ground_truth
        if row["kind"] == "quality_degradation"
    ]


def overlaps(alert: dict[str, Any], incident: Incident) -> bool:
    return (
        alert["carrier_id"] == incident.carrier_id
        and alert["window_start"] < incident.end
        and alert["window_end"] > incident.start
    )


@dataclass(frozen=True)
class AlertCheck:
    """Per incident, its alerts by tenant; and the alerts that overlap no incident."""

    by_incident: dict[str, Counter[str]]
    unexplained: list[dict[str, Any]]


def check_alerts(alerts: list[dict[str, Any]], incidents: list[Incident]) -> AlertCheck:
    by_incident = {
        incident.incident_id: Counter(
            alert["tenant_id"] for alert in alerts if overlaps(alert, incident)
        )
        for incident in incidents
    }
    unexplained = [
        alert for alert in alerts if not any(overlaps(alert, incident) for incident in incidents)
    ]
    return AlertCheck(by_incident, unexplained)


class _BothStores:
    """An ingest sink writing each validated batch to the lake and chDB (tests/both_targets)."""

    def __init__(self, load: RawLoader) -> None:
        self.load = load

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        self.load.write(family, table, batch_id)
        return []


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("quality_incidents")
    result = simulate(CONFIG)
    written = write_result(result, root / "simulated")
    warehouse = BothTargets(root)
    deadletters = DeadLetterStore(root / "deadletters")
    with warehouse.loading() as load:
        for family in ("call", "rtcp"):
            ingested = ingest_file(Path(written[family]), _BothStores(load), deadletters)
            assert ingested.unreadable is None, ingested
            assert ingested.counts[family].rejected == 0, ingested
    warehouse.build(SELECT)
    return {
        "marts": warehouse.read(MARTS),
        "incidents": quality_incidents(result.ground_truth),
    }


def test_both_targets_give_identical_rows(simulated: dict[str, Any]) -> None:
    for name in MARTS:
        assert simulated["marts"]["duckdb"][name], name
        assert simulated["marts"]["clickhouse"][name] == simulated["marts"]["duckdb"][name], name


def test_the_run_has_incidents_to_find(simulated: dict[str, Any]) -> None:
    # Seed 6: voxlink (budget) on 2024-03-07 17:38-20:18 and northstar (standard) on 03-08.
    incidents = simulated["incidents"]
    assert [(i.carrier_id, i.start.date()) for i in incidents] == [
        ("voxlink", date(2024, 3, 7)),
        ("northstar", date(2024, 3, 8)),
    ]


def test_each_incident_raises_exactly_one_alert_per_alerted_tenant(
    simulated: dict[str, Any],
) -> None:
    alerts = simulated["marts"]["duckdb"]["quality_alerts"]
    check = check_alerts(alerts, simulated["incidents"])
    for incident_id, tenants in check.by_incident.items():
        assert tenants, incident_id  # at least one tenant alerted
        assert all(count == 1 for count in tenants.values()), (incident_id, tenants)
    assert check.unexplained == []


def test_alerts_name_the_evidence(simulated: dict[str, Any]) -> None:
    alerts = simulated["marts"]["duckdb"]["quality_alerts"]
    for alert in alerts:
        assert alert["metric"] == "mos_p50"
        assert alert["window_end"] > alert["window_start"]
        assert alert["worst_hour_start"] >= alert["window_start"]
        assert alert["evidence_calls"] >= 10  # min_alert_calls
        assert alert["evidence_poor_calls"] <= alert["evidence_calls"]
        # the worst hour is below its baseline limit or the warning threshold
        below_baseline = (
            alert["baseline_limit_mos"] is not None
            and alert["observed_mos"] <= alert["baseline_limit_mos"]
        )
        assert below_baseline or alert["observed_mos"] < alert["warning_mos"], alert


def test_the_incident_day_scores_worse_for_the_alerted_tenants(simulated: dict[str, Any]) -> None:
    """On the incident's day the carrier's mean MOS and poor share are worse than on the median
    of its other days, for every tenant the incident alerted."""
    scorecard = simulated["marts"]["duckdb"]["carrier_scorecard"]
    alerts = simulated["marts"]["duckdb"]["quality_alerts"]
    for incident in simulated["incidents"]:
        for tenant in {a["tenant_id"] for a in alerts if overlaps(a, incident)}:
            days = {
                row["call_date"]: row
                for row in scorecard
                if row["tenant_id"] == tenant
                and row["carrier_id"] == incident.carrier_id
                and row["mos_mean"] is not None
            }
            hit = days.pop(incident.start.date())
            assert hit["mos_mean"] < statistics.median(r["mos_mean"] for r in days.values())
            assert hit["poor_share"] > statistics.median(r["poor_share"] for r in days.values())
            assert hit["mos_mean_change"] is not None
            assert hit["mos_mean_change"] < 0
