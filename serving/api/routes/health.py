"""``GET /healthz``: liveness and which marts are published (no authentication)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from serving.api.deps import MartReaderDep
from serving.api.problems import problem_responses
from serving.marts import SERVED_MARTS

router = APIRouter(tags=["health"])


class MartStatus(BaseModel):
    name: str = Field(description="Mart (dbt model) name")
    published: bool = Field(
        description="Whether it is published (Parquet file; ClickHouse table in the server profile)"
    )
    published_at: datetime | None = Field(description="When it was last replaced or updated (UTC)")
    served: bool = Field(description="Whether an API endpoint reads it")


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="'degraded' while a mart the API serves is not published yet"
    )
    marts: list[MartStatus]


@router.get(
    "/healthz",
    operation_id="getHealth",
    summary="Service health and published marts",
    response_model=Health,
    responses=problem_responses(500),
)
def get_health(reader: MartReaderDep) -> Health:
    published = reader.published()
    names = sorted(set(SERVED_MARTS) | set(published))
    marts = [
        MartStatus(
            name=name,
            published=name in published,
            published_at=published.get(name),
            served=name in SERVED_MARTS,
        )
        for name in names
    ]
    healthy = all(name in published for name in SERVED_MARTS)
    return Health(status="ok" if healthy else "degraded", marts=marts)
