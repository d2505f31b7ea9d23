"""Read a site-gen project's records as plain dicts, so Hugo and Pelican get the same facts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

COLLECTIONS = ("events", "figures", "quotes", "actors", "places", "sources")
# Reference fields: collection -> field -> target collection.
LINKS: dict[str, dict[str, str]] = {
    "events": {"places": "places", "actors": "actors", "claimed_by": "actors",
               "disputed_by": "actors", "sources": "sources"},
    "figures": {"place": "places", "event": "events", "claimant": "actors",
                "source": "sources", "supersedes": "figures"},
    "quotes": {"speaker": "actors", "audience": "actors", "source": "sources",
               "event": "events"},
    "sources": {"publisher": "actors", "contributors": "actors"},
    "actors": {"affiliation": "actors"},
    "places": {},
}
DATE_FIELD = {"events": "date", "figures": "as_of", "quotes": "said_on", "sources": "published"}
TEXT_FIELD = {"events": "summary", "figures": "subject", "quotes": "context", "actors": "role",
              "places": "region"}


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def load(project: Path) -> dict[str, list[dict[str, Any]]]:
    """Every record of every collection, sorted by id, with dates as text."""
    out: dict[str, list[dict[str, Any]]] = {}
    for collection in COLLECTIONS:
        items = []
        for path in sorted((project / "content" / collection).glob("*.yaml")):
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            items.append({key: _plain(value) for key, value in raw.items()})
        out[collection] = items
    return out


def title(collection: str, record: dict[str, Any]) -> str:
    """The heading a record's page shows (site-gen's wording, roughly)."""
    if collection in ("actors", "places"):
        return str(record["name"])
    if collection == "figures":
        return f"{record['metric']}: {record['value_text']}"
    if collection == "quotes":
        text = str(record["text"])
        return text if len(text) <= 80 else text[:79] + "…"
    return str(record["title"])


def day(collection: str, record: dict[str, Any]) -> str | None:
    """The first day of the record's (partial) date, as YYYY-MM-DD."""
    value = record.get(DATE_FIELD.get(collection, ""))
    if value is None:
        return None
    start = str(value).split("/")[0]
    return (start + "-01-01"[len(start) - 4:]) if len(start) < 10 else start


def refs(collection: str, record: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(field, target collection, ids) for each reference the record makes."""
    out = []
    for name, target in LINKS[collection].items():
        value = record.get(name)
        if value:
            out.append((name, target, value if isinstance(value, list) else [value]))
    return out
