"""Sensor: new files in the inbox start an ingest-and-transform run."""

import hashlib

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.jobs import refresh_all_job
from pipelines.lake.assets import IngestConfig
from pipelines.lake.inbox import pending_files
from pipelines.resources import IrisxResource


@sensor(
    job=refresh_all_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Start a refresh when settled files appear in the inbox folder.",
)
def inbox_sensor(
    context: SensorEvaluationContext, irisx: IrisxResource
) -> SensorResult | SkipReason:
    pending = pending_files(irisx.settings().inbox_dir)
    if not pending:
        return SkipReason("no new files in the inbox")
    # The run key names exactly this set of file versions: the same pending set is never
    # requested twice, and a changed or new file makes a new request.
    fingerprint = hashlib.sha256("\n".join(f.fingerprint for f in pending).encode()).hexdigest()
    request = RunRequest(
        run_key=fingerprint[:32],
        run_config=RunConfig(
            ops={"raw_events": IngestConfig(paths=[str(item.path) for item in pending])}
        ),
        tags={"irisx/trigger": "inbox", "irisx/files": str(len(pending))},
    )
    return SensorResult(run_requests=[request])
