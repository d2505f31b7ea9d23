"""Events per day, stacked by type; events dated only to a month, a year or a span are left out.

Spreading a month-dated event over thirty days would invent precision the report never gave,
so such events are counted in the caption and the text alternative instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import altair as alt

from site_gen.chart_claims import utc_ms
from site_gen.chart_style import PALETTE, WIDTH, Draft, Plan, finish, listing, to_dict
from site_gen.config import SiteConfig
from site_gen.dates import MONTHS
from site_gen.identity import changed_at
from site_gen.tables import Table

COLUMNS = (("date", "Date"), ("day", "Day"), ("type", "Type"), ("type_label", "Type (label)"),
           ("events", "Events"))
TITLE = "Events per day by type"
COARSE = ("month", "year", "interval")


def day_label(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _left_out(kinds: dict[str, int]) -> str:
    """The note on the events left out, from how many are dated to each coarse precision."""
    if not kinds:
        return ""
    words = {"month": "a month", "year": "a year", "interval": "a span of days"}
    parts = [f"{kinds[k]} dated to {words[k]}" for k in COARSE if kinds.get(k)]
    total = sum(kinds.values())
    noun = "event" if total == 1 else "events"
    return f"Not shown: {total} {noun} not dated to a single day ({', '.join(parts)})."


def _alt_text(rows: list[dict[str, Any]], note: str) -> str:
    days: dict[str, list[str]] = {}
    for row in rows:
        days.setdefault(row["date"], []).append(f"{row['events']} {row['type_label']}")
    items = [f"{day_label(day)}: {', '.join(counts)}" for day, counts in days.items()]
    first, last = day_label(rows[0]["date"]), day_label(rows[-1]["date"])
    span = first if first == last else f"{first} to {last}"
    total = sum(r["events"] for r in rows)
    text = f"{TITLE}, {span}, {total} events. {listing(items, 'more days')}."
    return f"{text} {note}" if note else text


def _utc_ms(day: date, hours: int = 0) -> int:
    return utc_ms(day) + hours * 3_600_000


def _spec(rows: list[dict[str, Any]], note: str) -> dict[str, Any]:
    first, last = date.fromisoformat(rows[0]["date"]), date.fromisoformat(rows[-1]["date"])
    span = (last - first).days
    one_year = first.year == last.year
    # Each bar is centred on its day, so the day's tick and label sit under it.
    domain = [_utc_ms(first, -12), _utc_ms(last, 12)]
    bar = max(1.0, round(WIDTH / (span + 1) * 0.86, 2))
    ticks = (alt.TimeIntervalStep(interval="day", step=1 + span // 10) if span <= 60
             else alt.TimeIntervalStep(interval="month", step=1 + span // 900))
    label = "%-d %b" if span <= 60 else "%b"
    bars = alt.Chart(alt.NamedData("rows")).mark_bar(width=bar, stroke="white", strokeWidth=0.8)
    chart = bars.encode(
        x=alt.X("date:T", scale=alt.Scale(type="utc", domain=domain),
                title=f"Day ({first.year})" if one_year else "Day",
                axis=alt.Axis(format=label if one_year else f"{label} %Y", labelAngle=0,
                              labelOverlap=True, grid=False, tickCount=ticks)),
        y=alt.Y("events:Q", title="Events", stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("type_label:N", title="Type", sort="ascending",
                        scale=alt.Scale(range=list(PALETTE))),
        order=alt.Order("type_label:N", sort="ascending"),
        tooltip=[alt.Tooltip("day:N", title="Day"), alt.Tooltip("type_label:N", title="Type"),
                 alt.Tooltip("events:Q", title="Events")],
    ).properties(width=WIDTH, height=240)
    return finish(to_dict(chart), TITLE, [note] if note else [], {"rows": rows})


@dataclass
class EventCounts:
    """The counts of events per day and type, and of those dated more coarsely, with the rows
    they were counted from. A long-lived builder keeps them: the tables stage hands out the
    very same rows for an unchanged record, so an edit counts again only the rows that are
    not those of the last build at the same place."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    daily: Counter[tuple[str, str]] = field(default_factory=Counter)
    coarse: Counter[str] = field(default_factory=Counter)

    def update(self, rows: list[dict[str, Any]]) -> None:
        last, self.rows = self.rows, []  # counts cut short by an error are counted again
        changed = changed_at(rows, last)
        if changed is None or not last or len(changed) > len(rows) // 8:
            self.daily, self.coarse = Counter(), Counter()
            changed, old = list(range(len(rows))), []
        else:
            old = [last[i] for i in changed]
        for row in old:
            self._add(row, -1)
        for i in changed:
            self._add(rows[i], 1)
        self.rows = list(rows)

    def _add(self, row: dict[str, Any], step: int) -> None:
        precision = row.get("date_precision")
        if precision == "day" and row.get("date_start"):
            key: Any = (row["date_start"], row["type"])
            counter: Counter[Any] = self.daily
        elif precision in COARSE:
            key, counter = precision, self.coarse
        else:
            return
        counter[key] += step
        if not counter[key]:
            del counter[key]  # as a count from nothing has it


def event_plans(tables: dict[str, Table], counts: EventCounts | None = None) -> list[Plan]:
    """The events-per-day chart, when at least one event is dated to a day; its inputs are
    the count of events per day and type, and of those dated more coarsely. `counts` are
    the last build's, updated here (in a one-off build, counted from nothing)."""
    events = tables.get("events")
    if events is None:
        return []
    counts = counts if counts is not None else EventCounts()
    counts.update(events.rows)
    if not counts.daily:
        return []
    return [Plan("events-per-day", _draft, (sorted(counts.daily.items()),
                                            sorted(counts.coarse.items())))]


def _draft(config: SiteConfig, daily: list[tuple[tuple[str, str], int]],
           coarse: list[tuple[str, int]]) -> Draft:
    rows = [{"date": day, "day": day_label(day), "type": kind,
             "type_label": config.label("event_types", kind), "events": count}
            for (day, kind), count in daily]
    note = _left_out(dict(coarse))
    return Draft(id="", kind="events", title=TITLE, spec=_spec(rows, note), columns=COLUMNS,
                 rows=tuple(rows), alt=_alt_text(rows, note), note=note)
