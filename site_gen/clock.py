"""The build's timestamp: reproducible, so that the same input gives the same bytes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def build_time(project: Path) -> datetime:
    """SOURCE_DATE_EPOCH when set, else the newest modification of site.yaml or content/."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    newest = 0.0
    for path in [project / "site.yaml", *(project / "content").rglob("*.y*ml")]:
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(int(newest), UTC)
