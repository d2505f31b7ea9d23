"""The same records as a Pelican site: one Markdown file per record, the default theme.

Events, figures and quotes are articles (category = collection, dated); actors, places and
sources are pages. Each file carries its title, date, summary, note and links to the
records it references ({filename} links, resolved by Pelican). Settings are Pelican's
defaults except: pages are not listed in the menu (with thousands of pages that would put
every page's link on every page), and the content cache is on so a warm build can use it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench.records import day, refs, title

ARTICLES = ("events", "figures", "quotes")
CONF = """AUTHOR = "Bench Desk"
SITENAME = "Synthetic fact base"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = {content!r}
ARTICLE_PATHS = ["events", "figures", "quotes"]
PAGE_PATHS = ["actors", "places", "sources"]
STATIC_PATHS = []
DISPLAY_PAGES_ON_MENU = False
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = {cache!r}
"""


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def markdown(collection: str, record: dict[str, Any], names: dict[str, str]) -> str:
    """One record as a Pelican Markdown file."""
    rid = record["id"]
    head = [f"Title: {_one_line(title(collection, record))}", f"Slug: {rid}",
            f"Save_as: {collection}/{rid}/index.html", f"Url: {collection}/{rid}/"]
    if collection in ARTICLES:
        head += [f"Date: {day(collection, record)}", f"Category: {collection}"]
    if record.get("tags"):
        head.append(f"Tags: {', '.join(record['tags'])}")
    lead = record.get("summary") or record.get("text") or record.get("subject")
    if lead:
        head.append(f"Summary: {_one_line(lead)}")
    body = [_one_line(lead)] if lead else []
    if record.get("note"):
        body.append(_one_line(record["note"]))
    links = []
    for field, target, ids in refs(collection, record):
        items = ", ".join(f"[{names[f'{target}/{i}']}]({{filename}}/{target}/{i}.md)"
                          for i in ids)
        links.append(f"- **{field.replace('_', ' ').capitalize()}**: {items}")
    if links:
        body.append("\n".join(links))
    body.append(f"ID `{rid}`")
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"


def write(records: dict[str, list[dict[str, Any]]], root: Path) -> Path:
    """Write the Pelican project for `records` under root (replacing it)."""
    if root.exists():
        shutil.rmtree(root)
    content = root / "content"
    names = {f"{c}/{r['id']}": _one_line(title(c, r)).replace("[", "(").replace("]", ")")
             for c, items in records.items() for r in items}
    for collection, items in records.items():
        folder = content / collection
        folder.mkdir(parents=True)
        for record in items:
            (folder / f"{record['id']}.md").write_text(markdown(collection, record, names),
                                                       encoding="utf-8")
    (root / "pelicanconf.py").write_text(
        CONF.format(content=str(content), cache=str(root / "cache")))
    return root


def edit_title(root: Path, record_id: str, suffix: str) -> bytes:
    """Append suffix to one event's Title line; return the old bytes."""
    path = root / "content" / "events" / f"{record_id}.md"
    old = path.read_bytes()
    text = old.decode("utf-8")
    first, rest = text.split("\n", 1)
    path.write_text(f"{first}{suffix}\n{rest}", encoding="utf-8")
    return old
