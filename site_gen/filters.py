"""Jinja filters: dates at their precision, numbers, labels and links, so templates hold no logic.

Every filter that returns markup builds it with `Markup.format`, which escapes its arguments:
nothing from content reaches a page unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from site_gen.dates import DateError, parse_date
from site_gen.fragments import fragment_filter

# Labels of the closed vocabularies of the model (the schemas' enums); open vocabularies
# (event_types, metrics) take their labels from site.yaml.
CLOSED_LABELS: dict[str, dict[str, str]] = {
    "status": {"reported": "Reported", "claimed": "Claimed", "disputed": "Disputed",
               "confirmed": "Confirmed", "denied": "Denied"},
    "qualifier": {"exact": "Exact", "about": "About", "at_least": "At least",
                  "more_than": "More than", "nearly": "Nearly", "up_to": "Up to",
                  "range": "Range", "unquantified": "Unquantified"},
    "actor_kind": {"person": "Person", "organization": "Organization",
                   "government": "Government", "group": "Group"},
    "quote_kind": {"direct": "Direct quote", "paraphrase": "Paraphrase"},
    "source_type": {"article": "Article", "report": "Report", "statement": "Statement",
                    "dataset": "Dataset", "social_post": "Social media post",
                    "broadcast": "Broadcast", "other": "Other"},
    "precision": {"year": "Year", "month": "Month", "day": "Day", "interval": "Interval"},
}
SAFE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)  # used with fullmatch
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
QUALIFIER_WORDS = {"exact": "{}", "about": "about {}", "at_least": "at least {}",
                   "more_than": "more than {}", "nearly": "nearly {}", "up_to": "up to {}"}


@lru_cache(maxsize=8192)
def date_label(text: str | None) -> str:
    """A reported date in words at its precision; an interval shares its common year/month."""
    if not text:
        return ""
    try:
        date = parse_date(text)
    except DateError:
        return str(text)
    if date.precision != "interval":
        return date.label()
    first_text, last_text = text.split("/")
    first, last = parse_date(first_text), parse_date(last_text)
    first_words = first.label().split(" ")
    if first.precision != "year" and first.start.year == last.start.year:
        first_words = first_words[:-1]
        if (first.precision == "day" and last.precision == "day"
                and first.start.month == last.start.month):
            first_words = first_words[:-1]
    return f"{' '.join(first_words)} – {last.label()}"


@lru_cache(maxsize=8192)
def date_is_interval(text: str | None) -> bool:
    return bool(text) and "/" in str(text)


def number(value: Any) -> str:
    """A number with thousands separators; whole floats without a decimal part."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}"
    return str(value)


def figure_value(fields: dict[str, Any]) -> str:
    """The coded number of a figure in words: "at least 2,000 people", "2–5", "no number"."""
    qualifier = fields.get("qualifier")
    unit = fields.get("unit")
    if qualifier == "unquantified" or fields.get("value") is None:
        return "no number given"
    low = number(fields["value"])
    if qualifier == "range":
        text = f"{low}–{number(fields.get('value_high'))}"
    else:
        text = QUALIFIER_WORDS.get(str(qualifier), "{}").format(low)
    return f"{text} {unit}" if unit else text


def cell(value: Any) -> str:
    """A data-table cell: numbers formatted, missing values empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    return str(value)


def humanize(slug: Any) -> str:
    text = str(slug).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


@pass_context
def label(context: Context, slug: Any, vocabulary: str) -> str:
    """Human label of a vocabulary slug: site.yaml's for open vocabularies, else the model's."""
    if slug is None:
        return ""
    terms = CLOSED_LABELS.get(vocabulary)
    if terms is None:
        site = context.get("site")
        terms = site.vocabularies.get(vocabulary, {}) if site is not None else {}
    found = terms.get(str(slug))
    return found if found is not None else humanize(slug)


def _link(root: str, entry: Any) -> Markup:
    if entry is None:
        return Markup("")
    cache = entry.links
    found = cache.get(root)
    if found is None:
        found = cache[root] = Markup(f'<a href="{escape(root)}{escape(entry.path)}">'
                                     f"{escape(entry.label)}</a>")
    return found


@pass_context
def link(context: Context, entry: Any) -> Markup:
    """A relative link to a record's page, named by the record's label."""
    return _link(context["root"], entry)


@pass_context
def link_list(context: Context, entries: Any) -> Markup:
    """Links joined as prose: "A", "A and B", "A, B and C"."""
    root = context["root"]
    links = [_link(root, entry) for entry in entries or ()]
    if len(links) <= 1:
        return links[0] if links else Markup("")
    # Every part is markup already: joined as text (str.join, which escapes nothing), the
    # whole is as safe as its parts, without a Markup operation per separator.
    return Markup("".join([", ".join(links[:-1]), " and ", links[-1]]))


def external_url(value: Any) -> str:
    """An outbound link target only when it is a plain http(s) URL; anything else is dropped."""
    text = str(value or "")
    return text if SAFE_URL.fullmatch(text) else ""


def xml_text(value: Any) -> str:
    """Text without the control characters XML 1.0 forbids (escaping is autoescape's job)."""
    return XML_ILLEGAL.sub("", str(value if value is not None else ""))


def url_of(path: str) -> str:
    """The URL of an output file from the site root: "events/x/index.html" -> "events/x/"."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


# Components that depend only on their record, the site and the page's depth: each is
# rendered once per record and depth, however many pages show it.
COMPONENTS = {
    "event_item": ("includes/event_item.html", "event"),
    "event_row": ("includes/event_row.html", "event"),
    "event_line": ("includes/event_line.html", "event"),
    "figure_card": ("includes/figure_card.html", "figure"),
    "quote_card": ("includes/quote.html", "quote"),
    "citation": ("includes/citation.html", "source"),
}
# The same components for a whole list of records: `{{ events|event_items }}`.
COMPONENT_LISTS = {
    "event_items": COMPONENTS["event_item"],
    "event_rows": COMPONENTS["event_row"],
    "event_lines": COMPONENTS["event_line"],
    "figure_cards": COMPONENTS["figure_card"],
    "quote_cards": COMPONENTS["quote_card"],
}


def component(template: str, name: str) -> Callable[..., Markup]:
    """A filter that renders `template` for one record, cached on the record by root."""

    @pass_context
    def render(context: Context, entry: Any) -> Markup:
        root = context["root"]
        key = (template, root)
        cache = entry.rendered
        if key not in cache:
            page = context.environment.get_template(template)
            # The include is an autoescaped template: its output is already safe markup.
            cache[key] = Markup(page.render({"site": context["site"], "root": root,
                                             name: entry}))
        return cache[key]

    return render


def components(template: str, name: str) -> Callable[..., Markup]:
    """A filter that renders the component of each record of a list, each followed by a
    newline, as a loop writing one component per line does; each is cached like `component`."""
    one = component(template, name)

    @pass_context
    def render(context: Context, entries: Any) -> Markup:
        key = (template, context["root"])
        parts = []
        for entry in entries or ():
            markup = entry.rendered.get(key)
            parts.append(markup if markup is not None else one(context, entry))
        if parts:
            parts.append("")  # a newline after the last one too, in the same join
        return Markup("\n".join(parts))

    return render


def chart_component(template: str) -> Callable[..., Markup]:
    """A filter that renders a chart include once per chart and page depth: a chart shown on
    thousands of record pages costs one rendering per depth, not one per page, and a build
    that made the same chart again (equal in every field) reuses the last build's markup."""
    cache: dict[tuple[str, str], tuple[Any, Markup]] = {}

    @pass_context
    def render(context: Context, chart: Any) -> Markup:
        key = (chart.id, context["root"])
        hit = cache.get(key)
        if hit is None or (hit[0] is not chart and hit[0] != chart):
            page = context.environment.get_template(template)
            hit = (chart, Markup(page.render({"site": context["site"],
                                              "root": context["root"], "chart": chart})))
            cache[key] = hit
        return hit[1]

    return render


def date_component(env: Environment) -> Callable[[Any], Markup]:
    """A filter that renders includes/date.html for a date text, once per distinct date."""
    cache: dict[str, Markup] = {}

    def render(text: Any) -> Markup:
        key = str(text)
        if key not in cache:
            cache[key] = Markup(env.get_template("includes/date.html").render(date=key))
        return cache[key]

    return render


def register(env: Environment) -> None:
    """Add the site's filters to a Jinja environment (once, when the environment is made)."""
    env.filters.update({
        "date_label": date_label,
        "date_is_interval": date_is_interval,
        "number": number,
        "figure_value": figure_value,
        "cell": cell,
        "humanize": humanize,
        "label": label,
        "link": link,
        "link_list": link_list,
        "url_of": url_of,
        "external_url": external_url,
        "xml": xml_text,
    })
    env.filters["date"] = date_component(env)
    env.filters["fragment"] = fragment_filter()
    env.filters["chart_full"] = chart_component("includes/chart.html")
    env.filters["chart_compact"] = chart_component("includes/chart_compact.html")
    for filter_name, (template, name) in COMPONENTS.items():
        env.filters[filter_name] = component(template, name)
    for filter_name, (template, name) in COMPONENT_LISTS.items():
        env.filters[filter_name] = components(template, name)
