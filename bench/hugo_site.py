"""The same records as a Hugo site: JSON data files, content adapters and a minimal theme.

Each collection's `_content.gotmpl` reads `data/<collection>.json` and adds one page per
record; the page shows its title, date, summary or text, note and links (with titles) to the
records it references, looked up with site.GetPage. Each collection has an unpaginated list
page, like site-gen's. Taxonomy pages are off (site-gen has none); RSS and the sitemap are
Hugo's defaults.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.records import LINKS, day

HEADING = {"events": ".title", "sources": ".title", "actors": ".name", "places": ".name",
           "figures": 'printf "%s: %s" .metric .value_text', "quotes": ".text | truncate 80"}
LAYOUTS = Path(__file__).parent / "hugo_layouts"


def _adapter(collection: str) -> str:
    dated = collection not in ("actors", "places")
    dates = ' "dates" (dict "date" (time.AsTime .day))' if dated else ""
    return (f"{{{{ range hugo.Data.{collection} }}}}\n"
            f"{{{{ $.AddPage (dict \"kind\" \"page\" \"path\" .id \"title\" ({HEADING[collection]})"
            f"{dates} \"params\" (dict \"rec\" .)) }}}}\n{{{{ end }}}}\n")


def _toml_links() -> str:
    lines = []
    for collection, fields in LINKS.items():
        lines.append(f"[params.links.{collection}]")
        lines += [f'{field} = "{target}"' for field, target in fields.items()]
    return "\n".join(lines)


def data_lines(items: list[dict[str, Any]]) -> str:
    """A JSON array with one record a line, so one record can be edited in place."""
    return "[\n" + ",\n".join(json.dumps(item, sort_keys=True, ensure_ascii=False)
                              for item in items) + "\n]\n"


def write(records: dict[str, list[dict[str, Any]]], root: Path) -> Path:
    """Write the Hugo site for `records` under root (replacing it)."""
    if root.exists():
        shutil.rmtree(root)
    for folder in ("data", "static"):
        (root / folder).mkdir(parents=True)
    shutil.copytree(LAYOUTS, root / "layouts", ignore=shutil.ignore_patterns("*.css"))
    (root / "hugo.toml").write_text(
        'baseURL = "https://example.org/bench/"\nlocale = "en"\n'
        'title = "Synthetic fact base"\nbuildFuture = true\n'
        'disableKinds = ["taxonomy", "term"]\n'
        '[params]\npublisher = "Bench Desk"\n' + _toml_links() + "\n")
    shutil.copy(LAYOUTS / "site.css", root / "static" / "site.css")
    for collection, items in records.items():
        rows = [{**item, "day": day(collection, item)} if day(collection, item) else item
                for item in items]
        (root / "data" / f"{collection}.json").write_text(data_lines(rows), encoding="utf-8")
        folder = root / "content" / collection
        folder.mkdir(parents=True)
        (folder / "_index.md").write_text(f"---\ntitle: {collection.capitalize()}\n---\n")
        (folder / "_content.gotmpl").write_text(_adapter(collection))
    return root


def edit_title(root: Path, record_id: str, suffix: str) -> bytes:
    """Append suffix to one event's title in data/events.json; return the old bytes."""
    path = root / "data" / "events.json"
    old = path.read_bytes()
    lines = old.decode("utf-8").split("\n")
    marker = f'"id": {json.dumps(record_id)}'
    for index, line in enumerate(lines):
        if marker in line:
            item = json.loads(line.rstrip(","))
            item["title"] += suffix
            lines[index] = json.dumps(item, sort_keys=True, ensure_ascii=False) + \
                ("," if line.endswith(",") else "")
            break
    else:
        raise KeyError(record_id)
    path.write_text("\n".join(lines), encoding="utf-8")
    return old
