"""Figures over time, one chart per figure group (or per metric for figures without a group).

Only quantified figures are plotted; the others are named in the text alternative, so a
reader learns that a claim exists even when it gave no number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from site_gen.chart_claims import claims_spec, describe
from site_gen.chart_style import Draft, Plan, listing, number, slug
from site_gen.config import SiteConfig
from site_gen.dates import DateError, parse_date
from site_gen.tables import Table

WORDS = {"exact": "", "about": "about ", "at_least": "at least ", "more_than": "more than ",
         "nearly": "nearly ", "up_to": "up to "}
COLUMNS = (
    ("id", "Figure"), ("claimant", "Claimant"), ("claim", "Claim"), ("label", "Label"),
    ("value", "Value"),
    ("value_high", "Value (high)"), ("qualifier", "Qualifier"), ("unit", "Unit"),
    ("value_text", "As reported"), ("as_of", "As of"), ("as_of_start", "As of (first day)"),
    ("as_of_end", "As of (last day, plotted)"), ("as_of_precision", "As of (precision)"),
    ("status", "Status"), ("subject", "Subject"), ("metric", "Metric"),
)


def claim(qualifier: str, value: Any, high: Any, unit: str | None) -> str:
    """The claim in words at its stated precision: "at least 836,000 people", "2–5"."""
    if qualifier == "range":
        text = f"{number(value)}–{number(high)}"
    else:
        text = WORDS.get(qualifier, "") + number(value)
    return f"{text} {unit}" if unit else text


def _as_of_label(text: str) -> str:
    try:
        return parse_date(text).label()
    except DateError:
        return text


def _status(row: dict[str, Any], superseded: set[str]) -> str:
    if row["id"] in superseded:
        return "superseded"
    return "projection" if row.get("projection") is True else "reported"


def _plotted_row(row: dict[str, Any], claimant: str, status: str, metric: str) -> dict[str, Any]:
    words = claim(row["qualifier"], row["value"], row.get("value_high"), row.get("unit"))
    return {
        "id": row["id"], "claimant": claimant, "claim": words,
        "label": words if status == "reported" else f"{words} ({status})",
        "value": row["value"],
        "value_high": row.get("value_high") if row["qualifier"] == "range" else None,
        "qualifier": row["qualifier"], "unit": row.get("unit"),
        "value_text": row.get("value_text"), "as_of": _as_of_label(row["as_of"]),
        "as_of_start": row["as_of_start"], "as_of_end": row["as_of_end"],
        "as_of_precision": row["as_of_precision"], "status": status,
        "subject": row.get("subject"), "metric": metric,
    }


def _is_quantified(row: dict[str, Any]) -> bool:
    value = row.get("value")
    return (row.get("qualifier") != "unquantified" and isinstance(value, int | float)
            and not isinstance(value, bool) and row.get("as_of_end") is not None)


def _group_title(key: str, by_metric: bool, config: SiteConfig) -> str:
    if by_metric:
        return config.label("metrics", key)
    words = key.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _alt_text(name: str, plotted: list[dict[str, Any]], unplotted: list[str]) -> str:
    text = f"{name}, by claimant. {listing([describe(row) for row in plotted])}."
    if unplotted:
        text += f" Not plotted, no number given: {listing(unplotted)}."
    return text


def figure_plans(tables: dict[str, Table]) -> list[Plan]:
    """One plan per figure group with at least one quantified figure; its inputs are the
    group's rows, the names of its claimants and which of its figures are superseded."""
    figures = tables.get("figures")
    if figures is None:
        return []
    names = {r["id"]: r.get("name") or r["id"] for r in tables["actors"].rows} \
        if "actors" in tables else {}
    superseded = {r["supersedes"] for r in figures.rows if r.get("supersedes")}
    groups: dict[tuple[bool, str], list[dict[str, Any]]] = defaultdict(list)
    for row in figures.rows:
        key = (False, row["group"]) if row.get("group") else (True, row["metric"])
        groups[key].append(row)
    plans = []
    for (by_metric, key), members in sorted(groups.items(), key=lambda item: item[0]):
        if not any(_is_quantified(r) for r in members):
            continue
        claimants = {r["claimant"]: names.get(r["claimant"], r["claimant"]) for r in members}
        replaced = [r["id"] for r in members if r["id"] in superseded]
        plans.append(Plan(f"figures-{slug(key)}", _group_draft,
                          (by_metric, key, members, list(claimants.items()), replaced)))
    return plans


def _group_draft(config: SiteConfig, by_metric: bool, key: str, members: list[dict[str, Any]],
                 claimants: list[tuple[str, str]], replaced: list[str]) -> Draft:
    """The figures-over-time chart of one group (its id is given by the caller)."""
    names, superseded = dict(claimants), set(replaced)
    quantified = [r for r in members if _is_quantified(r)]
    counts = Counter(r["metric"] for r in members)
    metrics = sorted(counts, key=lambda m: (-counts[m], m))
    name = _group_title(key, by_metric, config)
    rows = [_plotted_row(r, names[r["claimant"]], _status(r, superseded),
                         config.label("metrics", r["metric"]))
            for r in sorted(quantified, key=lambda r: (r["as_of_end"], r["id"]))]
    units = sorted({r["unit"] for r in rows if r["unit"]})
    y_title = " / ".join(config.label("metrics", m) for m in sorted(metrics))
    if len(units) == 1:
        y_title += f" ({units[0]})"
    unplotted = [f"{names[r['claimant']]}: "
                 f"{r.get('value_text') or 'no number'} as of {_as_of_label(r['as_of'])}"
                 for r in members if not _is_quantified(r)]
    return Draft(
        id="", kind="figures", title=name,
        spec=claims_spec(name, y_title, rows), columns=COLUMNS, rows=tuple(rows),
        alt=_alt_text(name, rows, unplotted), group=key,
        metric=metrics[0],
        figure_ids=tuple(r["id"] for r in rows))
