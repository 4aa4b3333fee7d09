"""Remediation rules: what an operator could do about an incident, as a suggestion to approve.

Rules read the ``incidents`` mart (its series, direction and status) and the KPI series (which
providers a tenant has); each yields at most one suggestion per incident. Suggestions are
recorded pending in ``warehouse.remediation.RemediationStore`` and NEVER executed.

| rule | when | action, target |
|---|---|---|
| ``carrier_outage`` | carrier series, asr down | route_away_from_carrier, the carrier |
| ``carrier_quality`` | carrier series, mos down | route_away_from_carrier, the carrier |
| ``sms_delivery_drop`` | provider series, sms_delivery_rate down | fail_over_sms_provider, the best other provider of the tenant |
| ``spend_burst`` | tenant or carrier series, cost / spend up | suspend_outbound_international, the tenant's customer driving it (not in the KPI series: named by the operator) |
| ``queue_abandonment`` | queue series, abandon_rate up | add_queue_staffing, the queue |
"""  # noqa: E501

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from warehouse.remediation import Suggestion

#: A carrier outage shows as calls over the carrier failing: its ASR falls.
CALL_KPIS_OF_OUTAGE = frozenset({"asr"})


@dataclass(frozen=True)
class RuleContext:
    """What rules may look at besides the incident: per tenant, its SMS providers' recent
    delivery rate (mean of the KPI rows read), best first."""

    sms_providers: Mapping[str, list[tuple[str, float]]]


def _suggestion_id(incident_id: str, rule: str) -> str:
    return hashlib.sha256(f"{incident_id}|{rule}".encode()).hexdigest()[:16]


Rule = Callable[[Mapping[str, Any], RuleContext], tuple[str, str | None, str] | None]


def _carrier_outage(
    incident: Mapping[str, Any], _: RuleContext
) -> tuple[str, str | None, str] | None:
    if (
        incident["dimension"] == "carrier"
        and incident["kpi"] in CALL_KPIS_OF_OUTAGE
        and incident["direction"] == "down"
    ):
        carrier = incident["dimension_value"]
        return (
            "route_away_from_carrier",
            carrier,
            f"Route new calls away from carrier {carrier}: {incident['kpi']} fell "
            f"({incident['explanation']})",
        )
    return None


def _carrier_quality(
    incident: Mapping[str, Any], _: RuleContext
) -> tuple[str, str | None, str] | None:
    if (
        incident["dimension"] == "carrier"
        and incident["kpi"] == "mos"
        and incident["direction"] == "down"
    ):
        carrier = incident["dimension_value"]
        return (
            "route_away_from_carrier",
            carrier,
            f"Route calls away from carrier {carrier} until its call quality recovers: MOS fell "
            f"({incident['explanation']})",
        )
    return None


def _sms_delivery_drop(
    incident: Mapping[str, Any], context: RuleContext
) -> tuple[str, str | None, str] | None:
    if not (
        incident["dimension"] == "provider"
        and incident["kpi"] == "sms_delivery_rate"
        and incident["direction"] == "down"
    ):
        return None
    failing = incident["dimension_value"]
    others = [p for p, _ in context.sms_providers.get(incident["tenant_id"], []) if p != failing]
    if not others:
        return (
            "fail_over_sms_provider",
            None,
            f"SMS delivery over {failing} fell ({incident['explanation']}); the tenant has no "
            "other SMS provider to fail over to",
        )
    return (
        "fail_over_sms_provider",
        others[0],
        f"Fail SMS over from {failing} to {others[0]} (the tenant's provider with the best "
        f"recent delivery rate): delivery over {failing} fell ({incident['explanation']})",
    )


def _spend_burst(incident: Mapping[str, Any], _: RuleContext) -> tuple[str, str | None, str] | None:
    if (
        incident["dimension"] in ("tenant", "carrier")
        and incident["kpi"] in ("cost", "spend")
        and incident["direction"] == "up"
    ):
        return (
            "suspend_outbound_international",
            None,
            f"Possible toll fraud: {incident['kpi']} of {incident['dimension']} "
            f"{incident['dimension_value']} jumped ({incident['explanation']}). Suspend "
            "outbound international calling of the customer driving it (the KPI series do not "
            "break spend down by customer: name the customer when approving)",
        )
    return None


def _queue_abandonment(
    incident: Mapping[str, Any], _: RuleContext
) -> tuple[str, str | None, str] | None:
    if (
        incident["dimension"] == "queue"
        and incident["kpi"] == "abandon_rate"
        and incident["direction"] == "up"
    ):
        queue = incident["dimension_value"]
        return (
            "add_queue_staffing",
            queue,
            f"Move agents to queue {queue}: abandonment rose ({incident['explanation']})",
        )
    return None


RULES: dict[str, Rule] = {
    "carrier_outage": _carrier_outage,
    "carrier_quality": _carrier_quality,
    "sms_delivery_drop": _sms_delivery_drop,
    "spend_burst": _spend_burst,
    "queue_abandonment": _queue_abandonment,
}


def rule_context(kpi_rows: pd.DataFrame) -> RuleContext:
    """Each tenant's SMS providers by mean delivery rate over the rows given, best first."""
    if kpi_rows.empty:
        return RuleContext({})
    rows = kpi_rows[
        (kpi_rows["dimension"] == "provider") & (kpi_rows["kpi"] == "sms_delivery_rate")
    ]
    providers: dict[str, list[tuple[str, float]]] = {}
    for (tenant, provider), group in rows.groupby(["tenant_id", "dimension_value"]):
        providers.setdefault(str(tenant), []).append((str(provider), float(group["value"].mean())))
    return RuleContext(
        {
            tenant: sorted(found, key=lambda item: (-item[1], item[0]))
            for tenant, found in providers.items()
        }
    )


def suggest(incidents: pd.DataFrame, context: RuleContext, now: datetime) -> list[Suggestion]:
    """Suggestions for the incidents that raised an alert (a repeat in cooldown gets none of
    its own: the first incident's suggestion stands)."""
    suggestions: list[Suggestion] = []
    if incidents.empty:
        return suggestions
    for incident in incidents.to_dict("records"):
        if not incident.get("alert", True) or incident.get("direction") is None:
            continue
        for name, rule in RULES.items():
            found = rule(incident, context)
            if found is None:
                continue
            action, target, description = found
            suggestions.append(
                Suggestion(
                    suggestion_id=_suggestion_id(incident["incident_id"], name),
                    tenant_id=str(incident["tenant_id"]),
                    incident_id=str(incident["incident_id"]),
                    rule=name,
                    action=action,
                    target=target,
                    description=description,
                    created_at=now,
                )
            )
    return suggestions
