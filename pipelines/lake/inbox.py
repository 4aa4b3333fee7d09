"""The inbox: a drop folder of files waiting to be ingested.

Producers should write a file elsewhere and rename it into the inbox (or copy and wait); files
younger than ``settle_seconds`` are left for the next look so half-written copies are not read.
Ingested files move to ``inbox/processed/`` keeping their relative path.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ingest import is_ingestible

PROCESSED = "processed"


@dataclass(frozen=True)
class InboxFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.path}:{self.size}:{self.mtime_ns}"


def pending_files(inbox: Path, *, settle_seconds: float = 2.0) -> list[InboxFile]:
    """Ingestible files under ``inbox`` (not yet processed), oldest first."""
    if not inbox.is_dir():
        return []
    now_ns = time.time_ns()
    found = []
    for path in inbox.rglob("*"):
        relative = path.relative_to(inbox)
        if relative.parts[0] == PROCESSED or any(p.startswith(".") for p in relative.parts):
            continue
        if not path.is_file() or not is_ingestible(path):
            continue
        stat = path.stat()
        if now_ns - stat.st_mtime_ns < settle_seconds * 1e9:
            continue
        found.append(InboxFile(path=path, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    return sorted(found, key=lambda item: (item.mtime_ns, str(item.path)))


def archive(inbox: Path, path: Path) -> Path:
    """Move an ingested file to ``inbox/processed/`` (same relative path) and prune empty dirs."""
    relative = path.relative_to(inbox)
    target = inbox / PROCESSED / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    parent = path.parent
    while parent != inbox and parent.is_dir():
        leftovers = [p for p in parent.iterdir() if is_ingestible(p) or p.is_dir()]
        if leftovers:
            break
        # Only side files (manifests, ground truth) remain: move them along with the data.
        for side_file in list(parent.iterdir()):
            side_target = inbox / PROCESSED / side_file.relative_to(inbox)
            side_target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(side_file, side_target)
        parent.rmdir()
        parent = parent.parent
    return target
