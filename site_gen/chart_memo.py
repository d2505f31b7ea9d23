"""What a long-lived build keeps of its charts, so that an edit remakes only the charts whose
inputs changed: each chart as made, by a digest of its plan, and the SVGs found plain.

Nothing here is trusted by name: a chart is reused only when its plan's inputs serialise to
the same bytes under the same site fingerprint and config, and an SVG only for the very spec
bytes it was read and checked for. Each build keeps only what it used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

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

    def start(self, site: str, config: SiteConfig) -> dict[str, Made]:
        """The charts made before under this site fingerprint and config (repr), else none."""
        salt = hashlib.sha256(f"{site}\x00{config!r}".encode("utf-8", "surrogatepass"))
        if salt.hexdigest() != self.salt:
            self.salt, self.made = salt.hexdigest(), {}
        return self.made

    def finish(self, made: dict[str, Made], remade: int) -> None:
        """Keep this build's charts only, so nothing outlives the inputs it came from."""
        self.made, self.remade = made, remade


def plan_key(plan: Plan) -> str | None:
    """A digest of a plan's maker and inputs (memo.feed_value: 1, 1.0 and True differ), or
    None when they cannot be serialised (that chart is then made anew every build)."""
    digest = hashlib.sha256()
    if not feed_value(digest, (plan.make.__module__, plan.make.__qualname__, plan.wanted,
                               plan.inputs)):
        return None
    return digest.hexdigest()
