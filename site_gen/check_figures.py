"""Checks of figures beyond their fields: the numbers a qualifier needs, and supersedes chains.

Each check reports through `add(record, field, code, message)`, so the problems point at the
field an editor must change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from site_gen.records import Record

NEEDS_VALUE = ("exact", "about", "at_least", "more_than", "nearly", "up_to", "range")

Add = Callable[[Record, str, str, str], None]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_figure(record: Record, add: Add) -> None:
    """The qualifier decides which numbers a figure has; a figure cannot supersede itself."""
    fields = record.fields
    qualifier = fields.get("qualifier")
    value, high = fields.get("value"), fields.get("value_high")
    if qualifier in NEEDS_VALUE and value is None:
        add(record, "qualifier", "qualifier-value",
            f"a figure qualified '{qualifier}' needs a value; write value: <number> "
            "or use qualifier: unquantified")
    if qualifier == "range":
        if high is None:
            add(record, "qualifier", "qualifier-value",
                "a range needs value (low end) and value_high (high end)")
        elif _number(value) and _number(high) and value > high:
            add(record, "value_high", "qualifier-range",
                f"value_high {high} is below value {value}; swap them")
    elif high is not None and qualifier in NEEDS_VALUE:
        add(record, "value_high", "qualifier-value",
            f"value_high is only for qualifier: range, not '{qualifier}'; "
            "remove it or change the qualifier")
    if qualifier == "unquantified":
        for name in ("value", "value_high"):
            if fields.get(name) is not None:
                add(record, name, "qualifier-value",
                    f"an unquantified figure has no {name}; remove it or set a "
                    "qualifier such as exact or about")
    supersedes = fields.get("supersedes")
    if supersedes is not None and supersedes == record.id:
        add(record, "supersedes", "figure-supersedes-self",
            f"figure '{record.id}' cannot supersede itself; name the earlier figure")


def check_supersedes_cycles(figures: dict[str, Record], add: Add) -> None:
    """A chain of supersedes that comes back to its start leaves no current figure."""
    target = {fid: step for fid, record in figures.items()
              if isinstance(step := record.fields.get("supersedes"), str)}
    reported: set[str] = set()
    for start in sorted(figures):
        chain = [start]
        while (step := target.get(chain[-1])) in figures and step not in chain:
            chain.append(step)
        if step != start or len(chain) < 2 or start in reported:
            continue
        reported.update(chain)
        loop = " → ".join([*chain, start])
        for fid in chain:
            add(figures[fid], "supersedes", "figure-supersedes-cycle",
                f"figure '{fid}' is part of a supersedes cycle ({loop}), so none of them is "
                "the current figure; only the later figure names the earlier one")
