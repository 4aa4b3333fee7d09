"""``GET /v1/metrics/definitions``: every metric definition the marts declare, versioned.

Definitions live next to the SQL, in each dbt model's ``meta.metrics`` (name, version, unit,
definition), and reach the API through the dbt manifest written at build time (``irisx dbt
prepare``; serving never runs dbt). A changed definition bumps its version and changes the
``definitions_hash`` (also the response's ETag), so a client can notice it was never silent.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, SettingsDep
from serving.api.problems import DEFINITIONS_UNAVAILABLE_TYPE, ProblemError, problem_responses

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


class MetricDefinition(BaseModel):
    model: str = Field(description="dbt model (mart) that computes the metric")
    name: str = Field(description="Metric name, unique within its model")
    version: int = Field(ge=1, description="Bumped whenever the definition changes")
    unit: str = Field(description="ratio, currency, seconds, count, ...")
    definition: str = Field(description="How the metric is computed, in words")


class MetricDefinitions(BaseModel):
    definitions_hash: str = Field(description="sha256 of the definitions (also the ETag)")
    metrics: list[MetricDefinition] = Field(description="By model, then name")


def definitions_from_manifest(manifest: dict[str, Any]) -> list[MetricDefinition]:
    """The ``meta.metrics`` entries of every model in a dbt manifest, sorted."""
    found: list[MetricDefinition] = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        meta = node.get("meta") or node.get("config", {}).get("meta") or {}
        for entry in meta.get("metrics", []):
            found.append(MetricDefinition(model=node["name"], **entry))
    return sorted(found, key=lambda metric: (metric.model, metric.name))


@router.get(
    "/definitions",
    operation_id="getMetricDefinitions",
    summary="Versioned definitions of every metric the marts compute",
    response_model=MetricDefinitions,
    responses={
        304: {"description": "Unchanged: `If-None-Match` holds the current ETag"},
        **problem_responses(
            401, 422, 500, 503, descriptions={503: "The dbt manifest is missing or unreadable"}
        ),
    },
)
def get_metric_definitions(
    _tenant: CurrentTenant,
    settings: SettingsDep,
    response: Response,
    if_none_match: Annotated[
        str | None,
        Header(description="ETag of definitions the client holds: 304 while they are current"),
    ] = None,
) -> MetricDefinitions | Response:
    """Every metric declared in the dbt models' ``meta``, with its version and unit."""
    try:
        manifest = json.loads(settings.dbt_manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProblemError(
            503,
            f"metric definitions unavailable: the dbt manifest could not be read ({exc}); "
            "run `irisx dbt prepare`",
            type_=DEFINITIONS_UNAVAILABLE_TYPE,
            title="Definitions unavailable",
        ) from exc
    metrics = definitions_from_manifest(manifest)
    canonical = json.dumps([m.model_dump() for m in metrics], sort_keys=True).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    etag = f'"{digest}"'
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return MetricDefinitions(definitions_hash=digest, metrics=metrics)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` (a list of tags, or ``*``) with ``etag``."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags
