"""The OpenAPI document is usable by a client generator."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_every_operation_has_a_unique_explicit_operation_id(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    found = {key: op.get("operationId") for key, op in operations(document).items()}

    assert found == {
        ("get", "/healthz"): "getHealth",
        ("get", "/v1/kpis/calls/daily"): "getDailyCallKpis",
        ("post", "/v1/events/{family}"): "postEvents",
        ("post", "/v1/webhooks/freeswitch"): "postFreeswitchCdrs",
        ("post", "/v1/webhooks/sendgrid"): "postSendgridEvents",
        ("post", "/v1/webhooks/smpp-dlr"): "postSmppDeliveryReceipts",
        ("post", "/v1/webhooks/stripe"): "postStripeEvents",
        ("get", "/v1/live/calls"): "getLiveCalls",
        ("get", "/v1/live/queues"): "getLiveQueues",
        ("get", "/v1/live/quality"): "getLiveQuality",
        ("get", "/v1/quality/calls/{call_id}"): "getCallQuality",
        ("get", "/v1/quality/agents"): "getAgentQuality",
        ("get", "/v1/ops/queues"): "getQueueIntervals",
        ("get", "/v1/ops/agents"): "getAgentPerformance",
        ("get", "/v1/campaigns/{campaign_id}/funnel"): "getCampaignFunnel",
        ("get", "/v1/quality/carriers"): "getCarrierScorecard",
        ("get", "/v1/quality/alerts"): "getQualityAlerts",
        ("get", "/v1/quality/revenue-impact"): "getQualityRevenueImpact",
        ("post", "/v1/wfm/forecast"): "postWfmForecast",
        ("post", "/v1/wfm/staffing"): "postWfmStaffing",
        ("get", "/v1/wfm/accuracy"): "getWfmAccuracy",
        ("get", "/v1/wfm/adherence"): "getWfmAdherence",
        ("get", "/v1/revenue/mrr"): "getRevenueMrr",
        ("get", "/v1/revenue/movements"): "getRevenueMovements",
        ("get", "/v1/revenue/bridge"): "getRevenueBridge",
        ("get", "/v1/revenue/churn"): "getRevenueChurn",
        ("get", "/v1/revenue/cohorts"): "getRevenueCohorts",
        ("get", "/v1/revenue/ltv"): "getRevenueLtv",
        ("get", "/v1/revenue/usage"): "getRevenueUsage",
        ("get", "/v1/revenue/usage-movements"): "getRevenueUsageMovements",
        ("get", "/v1/revenue/payment-recovery"): "getRevenuePaymentRecovery",
        ("get", "/v1/revenue/credits"): "getRevenueCredits",
        ("get", "/v1/revenue/spend-alerts"): "getRevenueSpendAlerts",
        ("get", "/v1/metrics/definitions"): "getMetricDefinitions",
        ("get", "/v1/anomalies"): "getAnomalies",
        ("get", "/v1/incidents"): "getIncidents",
    }


def test_security_schemes_are_declared_and_required_by_kpis(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["components"]["securitySchemes"] == {
        "BearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "irx_<key_id>_<secret>",
            "description": document["components"]["securitySchemes"]["BearerAuth"]["description"],
        },
        "ApiKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": document["components"]["securitySchemes"]["ApiKeyHeader"]["description"],
        },
    }
    kpis = document["paths"]["/v1/kpis/calls/daily"]["get"]
    # Either scheme suffices (a list of alternatives).
    assert kpis["security"] == [{"BearerAuth": []}, {"ApiKeyHeader": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_problem_responses_are_documented_as_problem_json(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    responses = document["paths"]["/v1/kpis/calls/daily"]["get"]["responses"]

    assert set(responses) == {"200", "401", "422", "500", "503"}
    for status in ("401", "500", "503"):
        assert responses[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert responses["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"title", "status"}
    assert "errors" in schemas["ValidationProblem"]["required"]
    # FastAPI's default validation schema is replaced, not listed beside ours.
    assert "HTTPValidationError" not in schemas


def test_query_parameters_are_documented(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    parameters = document["paths"]["/v1/kpis/calls/daily"]["get"]["parameters"]

    assert [(p["name"], p["in"], p["required"]) for p in parameters] == [
        ("from", "query", False),
        ("to", "query", False),
        ("direction", "query", False),
    ]
    # Optional parameters are plain types (no "anyOf: [..., null]"): generators make them optional.
    assert parameters[0]["schema"]["type"] == "string"
    assert parameters[0]["schema"]["format"] == "date"
    assert parameters[1]["schema"]["format"] == "date"
    assert parameters[2]["schema"]["$ref"] == "#/components/schemas/Direction"
    assert "30 days" in parameters[0]["description"]
