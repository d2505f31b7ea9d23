"""The build's timestamp: reproducible, so that the same input gives the same bytes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def build_time(project: Path, newest_content: float | None = None) -> datetime:
    """SOURCE_DATE_EPOCH when set, else the newest modification of site.yaml or content/.

    `newest_content` is the newest mtime of the content files when the caller already knows
    it (the load stage does), which saves walking content/ again."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    newest = 0.0
    paths = [project / "site.yaml"]
    if newest_content is None:
        paths += (project / "content").rglob("*.y*ml")
    else:
        newest = newest_content
    for path in paths:
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(int(newest), UTC)
