"""Search stage: a static, sharded word index of every record, built from the site model.

The index is made from records, not from rendered HTML, so it costs milliseconds per
thousand records and is byte-for-byte deterministic. The search page's script
(assets/search.js) loads only the shards of the words typed and the document chunks of the
results it shows; search_index.py describes the files.

A long-lived builder keeps a SearchCache: the last index and what each doc was made from.
When the next build has the same docs in the same order, only the docs whose record, or a
record they cite, changed are made again, and only the files they touch are serialised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from site_gen import collector
from site_gen.filters import date_label
from site_gen.search_index import FOLDER, SearchIndex, shard_key
from site_gen.site_model import Entry, SiteModel

__all__ = ["FOLDER", "SearchCache", "build_search", "shard_key", "words"]

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


def _doc(entry: Entry) -> list[str]:
    """What a result shows: [url, title, kind, date, snippet]."""
    collection = entry.collection
    date = date_label(entry.fields.get(DATES[collection])) if collection in DATES else ""
    return [entry.path, entry.label, KINDS[collection], date, _snippet(entry)]


def _words(entry: Entry, known: dict[str, tuple[str, ...]],
           last: dict[str, tuple[str, ...]] | None = None,
           shared: dict[str, str] | None = None) -> tuple[str, ...]:
    """The words of all the entry's texts; each text is split once and remembered in `known`
    (taken from `last`, the previous build's, when it is there).

    At 100,000 records the word lists are most of the search stage's memory, so each is a
    tuple (a set of 20 words takes five times the room) of strings taken from `shared`, the
    build's one string object for each word, rather than one per time a word is met."""
    found: set[str] = set()
    pool = {} if shared is None else shared
    for text in _texts(entry):
        split = known.get(text)
        if split is None:
            split = last.get(text) if last is not None else None
            if split is None:
                split = tuple(dict.fromkeys(pool.setdefault(word, word) for word in words(text)))
            known[text] = split
        found.update(split)
    return tuple(found)


@dataclass
class SearchCache:
    """The last build's index and what its docs were made from: the site fingerprint (the
    schemas shape the fields), the ids of each collection in doc order, and each doc's
    record version and label (a doc's words include the labels of the records it cites)."""

    fingerprint: str = ""
    order: list[list[str]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    index: SearchIndex | None = None
    known: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the words of each text


def build_search(model: SiteModel, cache: SearchCache | None = None, fingerprint: str = ""
                 ) -> dict[str, bytes]:
    """The index files for every record of the model, by output path.

    With a cache (a long-lived builder's), the index of the last build is updated in place
    when the site fingerprint and the list of docs are the same, and made anew otherwise."""
    with collector.paused():
        order = [sorted(model.entries.get(collection, {})) for collection in KINDS]
        entries = [model.entries[collection][record_id]
                   for collection, ids in zip(KINDS, order, strict=True) for record_id in ids]
        if cache is None:
            return _index(entries, {}).files()
        return _update(cache, entries, order, fingerprint).files()


def _index(entries: list[Entry], known: dict[str, tuple[str, ...]],
           last: dict[str, tuple[str, ...]] | None = None) -> SearchIndex:
    shared: dict[str, str] = {}  # this build's only: sys.intern may keep words for good
    return SearchIndex([_doc(entry) for entry in entries],
                       [_words(entry, known, last, shared) for entry in entries])


def _update(cache: SearchCache, entries: list[Entry], order: list[list[str]],
            fingerprint: str) -> SearchIndex:
    index, cache.index = cache.index, None  # an update cut short leaves no half-made index
    versions = [entry.version for entry in entries]
    labels = [entry.label for entry in entries]
    if (index is None or fingerprint != cache.fingerprint or order != cache.order
            or "" in versions):  # a record of unknown version may have changed in any way
        known: dict[str, tuple[str, ...]] = {}  # only this build's texts, so none pile up
        index = _index(entries, known, cache.known)
        cache.known = known
    else:
        for number in _changed(entries, cache, versions, labels):
            # Read the memo without adding to it, so that it does not grow with every edit.
            index.replace(number, _doc(entries[number]), _words(entries[number], {}, cache.known))
    cache.fingerprint, cache.order, cache.index = fingerprint, order, index
    cache.versions, cache.labels = versions, labels
    return index


def _changed(entries: list[Entry], cache: SearchCache, versions: list[str],
             labels: list[str]) -> list[int]:
    """The numbers of the docs whose record or label changed since the cache's build, and of
    the docs citing a record whose label changed."""
    changed = set(_differing(versions, cache.versions))
    relabelled = _differing(labels, cache.labels)
    changed.update(relabelled)
    if relabelled:
        numbers = {entry.path: number for number, entry in enumerate(entries)}
        for number in relabelled:
            for citing in entries[number].back.values():
                changed.update(numbers[other.path] for other in citing if other.path in numbers)
    return sorted(changed)


def _differing(now: list[str], then: list[str]) -> list[int]:
    """The positions where two lists of the same length differ."""
    if now == then:
        return []
    return [number for number, (a, b) in enumerate(zip(now, then, strict=True)) if a != b]
