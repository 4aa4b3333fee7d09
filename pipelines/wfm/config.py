"""What the WFM pipeline forecasts and staffs with: candidate models, folds, horizon and each
tenant's service targets (defaults, overridden per tenant)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dagster import ConfigurableResource

from models_ml.wfm.interval_staffing import ServiceTargets
from models_ml.wfm.planning import model_names


@dataclass(frozen=True)
class WfmConfig:
    volume_models: tuple[str, ...] = ("weekly_average", "intraday_profile", "ets")
    aht_models: tuple[str, ...] = ("weekly_average",)
    backtest_folds: int = 3
    horizon_days: int = 1
    default_targets: ServiceTargets = field(default_factory=ServiceTargets)
    tenant_targets: dict[str, ServiceTargets] = field(default_factory=dict)
    #: AHT assumed for a queue that never handled a call (no AHT to forecast from).
    default_aht_s: float = 300.0
    #: Past forecast intervals kept (for realised accuracy), days before the newest origin.
    retention_days: int = 35

    def targets_for(self, tenant_id: str) -> ServiceTargets:
        return self.tenant_targets.get(tenant_id, self.default_targets)


class WfmResource(ConfigurableResource):
    """The WFM pipeline's settings. ``tenant_targets_json`` overrides targets per tenant, e.g.
    ``{"acme": {"answer_within_seconds": 30, "service_level": 0.9, "patience_seconds": 120}}``
    (keys as the fields below; missing ones take the defaults). ``build_resources`` reads it from
    the environment variable ``IRISX_WFM_TARGETS``."""

    volume_models: str = "weekly_average,intraday_profile,ets"
    aht_models: str = "weekly_average"
    backtest_folds: int = 3
    horizon_days: int = 1
    answer_within_seconds: float = 20.0
    service_level: float = 0.8
    max_occupancy: float = 0.85
    shrinkage: float = 0.3
    patience_seconds: float | None = None
    tenant_targets_json: str = ""
    default_aht_seconds: float = 300.0
    retention_days: int = 35

    def config(self) -> WfmConfig:
        if not 1 <= self.horizon_days <= 14:
            raise ValueError("horizon_days: must be between 1 and 14")
        defaults = {
            "answer_within_seconds": self.answer_within_seconds,
            "service_level": self.service_level,
            "max_occupancy": self.max_occupancy,
            "shrinkage": self.shrinkage,
            "patience_seconds": self.patience_seconds,
        }
        overrides = json.loads(self.tenant_targets_json) if self.tenant_targets_json.strip() else {}
        if not isinstance(overrides, dict):
            raise ValueError("tenant_targets_json: a JSON object of tenant -> targets")
        return WfmConfig(
            volume_models=tuple(model_names(self.volume_models, "volume")),
            aht_models=tuple(model_names(self.aht_models, "aht")),
            backtest_folds=self.backtest_folds,
            horizon_days=self.horizon_days,
            default_targets=_targets(defaults),
            tenant_targets={
                str(tenant): _targets(defaults | dict(values))
                for tenant, values in overrides.items()
            },
            default_aht_s=self.default_aht_seconds,
            retention_days=self.retention_days,
        )


def _targets(values: dict[str, object]) -> ServiceTargets:
    unknown = set(values) - {
        "answer_within_seconds",
        "service_level",
        "max_occupancy",
        "shrinkage",
        "patience_seconds",
    }
    if unknown:
        raise ValueError(f"tenant targets: unknown keys {sorted(unknown)}")
    patience = values.get("patience_seconds")
    return ServiceTargets(
        answer_within_s=float(values["answer_within_seconds"]),  # type: ignore[arg-type]
        service_level=float(values["service_level"]),  # type: ignore[arg-type]
        max_occupancy=float(values["max_occupancy"]),  # type: ignore[arg-type]
        shrinkage=float(values["shrinkage"]),  # type: ignore[arg-type]
        patience_s=None if patience is None else float(patience),  # type: ignore[arg-type]
    )
