"""The build's timestamp: reproducible, so that the same input gives the same bytes."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path


def build_time(project: Path, newest_content: float) -> datetime:
    """SOURCE_DATE_EPOCH when set, else the newest modification of site.yaml or content/.

    `newest_content` is the newest mtime of the content files, which the load stage already
    has from its stat calls."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    newest = newest_content
    with contextlib.suppress(OSError):
        newest = max(newest, (project / "site.yaml").stat().st_mtime)
    return datetime.fromtimestamp(int(newest), UTC)
