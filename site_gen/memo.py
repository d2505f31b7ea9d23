"""Keys for incremental builds: what each output was made from, as content hashes.

A page's key hashes the site's fingerprint (site-gen version, site.yaml, templates,
schemas), its template and the versions of every record it shows (a record's version is the
hash of its file and its place in it) or, for pages about the whole fact base, the records'
fingerprint (Records.fingerprint: every record file's path and hash). When a key is
unchanged, the output of the previous build is kept as it is.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_gen import __version__
from site_gen.schemas import DEFAULTS
from site_gen.theme import template_dirs


def digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


class _Into:
    """A file whose writes go into a digest."""

    def __init__(self, digest: Any) -> None:
        self.write = digest.update


def feed_value(digest: Any, value: Any) -> bool:
    """Feed `digest` the pickle of `value`, written without a memo (Pickler.fast) so that the
    bytes depend on the value alone, never on which objects are shared, and 1, 1.0 and True
    differ. False when the value cannot be pickled (part of it may have been fed)."""
    pickler = pickle.Pickler(_Into(digest), protocol=5)
    pickler.fast = True
    try:
        pickler.dump(value)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return False
    return True


def _tree(folder: Path) -> list[str]:
    parts: list[str] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts += [path.relative_to(folder).as_posix(),
                          hashlib.sha256(path.read_bytes()).hexdigest()]
    return parts


def site_fingerprint(project: Path) -> str:
    """Everything besides the records that shapes every page: change it, rebuild it all."""
    parts = [__version__]
    site = project / "site.yaml"
    parts.append(hashlib.sha256(site.read_bytes()).hexdigest() if site.is_file() else "")
    for folder in template_dirs(project):
        parts += ["templates", *_tree(folder)]
    for folder in (project / "datasets", DEFAULTS / "datasets"):
        parts += ["datasets", *_tree(folder)]
    return digest(parts)


@dataclass
class Memo:
    """Keys of the previous build's outputs, and of this build's as they are decided."""

    previous: dict[str, str] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    # The markup of records' components (cards, list items) by the key of what they show:
    # the last render's, for the next one to reuse.
    components: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def keep(self, path: str, key: str) -> bool:
        """Record the key of `path`; True when the previous build made it from the same."""
        self.current[path] = key
        if self.previous.get(path) == key:
            self.kept.add(path)
            return True
        return False

    def next(self) -> Memo:
        """The memo for the build after this one succeeds."""
        return Memo(previous=dict(self.current), components=self.components)


def chart_key(chart: Any) -> str:
    """Everything a page shows of a chart: its words and its plotted rows."""
    return digest([chart.id, chart.title, chart.alt, getattr(chart, "note", ""),
                   chart.spec_path, str(chart.rows)])


def entry_key(entry: Any) -> str:
    return f"{entry.collection}/{entry.id}@{entry.version}"
