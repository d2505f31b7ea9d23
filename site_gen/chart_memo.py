"""What a long-lived build keeps of its charts, so that an edit remakes only the charts whose
inputs changed: each chart as made, by a digest of its plan, and the SVGs found plain.

Nothing here is trusted by name: a chart is reused only when its plan's inputs serialise to
the same bytes under the same site fingerprint and config, and an SVG only for the very spec
bytes it was read and checked for. Each build keeps only what it used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from site_gen.chart_events import EventCounts
from site_gen.chart_style import Draft, Plan
from site_gen.config import SiteConfig
from site_gen.memo import feed_value


@dataclass(frozen=True)
class Made:
    """A chart made from its plan: the draft (without id or spec) and the bytes of its files."""

    draft: Draft
    spec: bytes
    csv: bytes


@dataclass
class ChartMemo:
    """The last build's charts by plan key, and its checked SVGs by spec bytes."""

    salt: str = ""  # digest of the site fingerprint and config the charts were made under
    made: dict[str, Made] = field(default_factory=dict)
    svgs: dict[bytes, bytes] = field(default_factory=dict)
    remade: int = 0  # how many charts the last build made anew rather than reused
    # The chart each plan key gave the last build: when the same made chart comes under the
    # same id again, the build hands out that very object, so pages keyed on it need no
    # second digest of its rows (render_scope.chart_keys).
    charts: dict[str, Any] = field(default_factory=dict)
    # The counts of events per day and type, kept with the rows they were counted from.
    events: EventCounts = field(default_factory=EventCounts)

    def start(self, site: str, config: SiteConfig) -> dict[str, Made]:
        """The charts made before under this site fingerprint and config (repr), else none."""
        salt = hashlib.sha256(f"{site}\x00{config!r}".encode("utf-8", "surrogatepass"))
        if salt.hexdigest() != self.salt:
            self.salt, self.made, self.charts = salt.hexdigest(), {}, {}
        return self.made

    def finish(self, made: dict[str, Made], remade: int, charts: dict[str, Any]) -> None:
        """Keep this build's charts only, so nothing outlives the inputs it came from."""
        self.made, self.remade, self.charts = made, remade, charts


def plan_key(plan: Plan) -> str | None:
    """A digest of a plan's maker and inputs (memo.feed_value: 1, 1.0 and True differ), or
    None when they cannot be serialised (that chart is then made anew every build)."""
    digest = hashlib.sha256()
    if not feed_value(digest, (plan.make.__module__, plan.make.__qualname__, plan.wanted,
                               plan.inputs)):
        return None
    return digest.hexdigest()
