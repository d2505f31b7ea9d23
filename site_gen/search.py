"""Search stage: a static, sharded word index of every record, built from the site model.

The index is made from records, not from rendered HTML, so it costs milliseconds per
thousand records, is byte-for-byte deterministic, and a one-record edit rewrites only the
few shards whose words changed. The search page's script (assets/search.js) loads only the
shards of the words typed and the document chunks of the results it shows.

Layout under search-index/:
  meta.json           {"version", "chunk", "docs", "shards": [shard keys]}
  terms/<key>.json    {word: [doc number, …]} for words starting with the key's letters
  docs/<n>.json       [[url, title, kind, date, snippet], …] for docs n*chunk … n*chunk+chunk-1
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from typing import Any

from site_gen import collector
from site_gen.filters import date_label
from site_gen.site_model import Entry, SiteModel

FOLDER = "search-index/"
CHUNK = 500
VERSION = 1
KINDS = {"events": "Event", "figures": "Figure", "quotes": "Quote", "actors": "Actor",
         "places": "Place", "sources": "Source"}
DATES = {"events": "date", "figures": "as_of", "quotes": "said_on", "sources": "published"}
WORD = re.compile(r"[^\W_]+")
SNIPPET = 160


def words(text: str) -> list[str]:
    """Fold case and accents and split into words; search.js does the same in the browser."""
    if text.isascii():  # nothing to decompose: folding is lowering
        return WORD.findall(text.lower())
    folded = unicodedata.normalize("NFKD", text.casefold())
    return WORD.findall(folded.translate(_MARKS))


class _Marks(dict[int, int | None]):
    """A translation table that drops combining marks, filled in as characters are met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def shard_key(word: str) -> str:
    """The shard a word lives in: the code points of its first two characters, in hex."""
    return "-".join(f"{ord(c):x}" for c in word[:2])


def _texts(entry: Entry) -> list[str]:
    """Everything a reader might type to find this record: its text and the names it cites."""
    texts = [entry.label]
    for value in entry.fields.values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(v for v in value if isinstance(v, str))
    for target in entry.ref.values():
        if isinstance(target, Entry):
            texts.append(target.label)
        elif isinstance(target, list):
            texts.extend(t.label for t in target)
    return texts


def _snippet(entry: Entry) -> str:
    fields = entry.fields
    text = (fields.get("summary") or fields.get("context") or fields.get("role")
            or fields.get("subject") or fields.get("value_text") or "")
    text = " ".join(str(text).split())
    return text if len(text) <= SNIPPET else text[:SNIPPET].rsplit(" ", 1)[0] + "…"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def build_search(model: SiteModel, known: dict[str, frozenset[str]] | None = None
                 ) -> dict[str, bytes]:
    """The index files for every record of the model, by output path.

    `known` maps texts to their words; a long-lived builder passes the same dict to every
    build so that only new texts are split again."""
    with collector.paused():
        return _index_files(model, {} if known is None else known)


def _index_files(model: SiteModel, known: dict[str, frozenset[str]]) -> dict[str, bytes]:
    docs: list[list[str]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for collection in KINDS:
        for entry in sorted(model.entries.get(collection, {}).values(), key=lambda e: e.id):
            number = len(docs)
            date = date_label(entry.fields.get(DATES.get(collection, ""))) if \
                collection in DATES else ""
            docs.append([entry.path, entry.label, KINDS[collection], date, _snippet(entry)])
            found: set[str] = set()
            for text in _texts(entry):
                split = known.get(text)
                if split is None:
                    split = known[text] = frozenset(words(text))
                found |= split
            for word in found:
                postings[word].append(number)
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for word, numbers in postings.items():
        shards[shard_key(word)][word] = numbers
    files = {f"{FOLDER}terms/{key}.json": _json(terms) for key, terms in shards.items()}
    for start in range(0, len(docs), CHUNK):
        files[f"{FOLDER}docs/{start // CHUNK}.json"] = _json(docs[start:start + CHUNK])
    files[f"{FOLDER}meta.json"] = _json({"version": VERSION, "chunk": CHUNK,
                                         "docs": len(docs), "shards": sorted(shards)})
    return files
