"""The search index as files: one row and one word set per doc, kept as shards of postings
and chunks of rows, and serialised again only where a doc's row or words changed.

Layout under search-index/:
  meta.json           {"version", "chunk", "docs", "shards": [shard keys]}
  terms/<key>.json    {word: [doc number, …]} for words starting with the key's letters
  docs/<n>.json       [[url, title, kind, date, snippet], …] for docs n*chunk … n*chunk+chunk-1
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from site_gen.json_text import compact

FOLDER = "search-index/"
CHUNK = 500
VERSION = 1


def shard_key(word: str) -> str:
    """The shard a word lives in: the code points of its first two characters, in hex."""
    return "-".join(f"{ord(c):x}" for c in word[:2])


def _json(value: Any) -> bytes:
    return compact(value, sort_keys=True)


class SearchIndex:
    """The docs in their numbered order, the words of each, and the files made from them.

    `replace` changes one doc and marks the shards and the chunk it touched; `files` then
    serialises only those and hands back the bytes it made before for all the others."""

    def __init__(self, docs: list[list[str]], found: list[Collection[str]]) -> None:
        self.docs = docs
        self.found = [tuple(words) for words in found]  # a tuple costs a quarter of a set
        postings: dict[str, list[int]] = defaultdict(list)
        for number, words in enumerate(self.found):
            for word in words:
                postings[word].append(number)
        self.shards: dict[str, dict[str, list[int]]] = {}
        for word, numbers in postings.items():
            self.shards.setdefault(shard_key(word), {})[word] = numbers
        self._files: dict[str, bytes] = {}
        self._stale_shards = set(self.shards)
        self._stale_chunks = set(range(0, len(docs), CHUNK))
        self.remade: list[str] = []  # the paths the last call of files() serialised

    def replace(self, number: int, doc: list[str], words: Collection[str]) -> None:
        """Put a doc's row and words in place of the ones it had."""
        if doc != self.docs[number]:
            self.docs[number] = doc
            self._stale_chunks.add(number - number % CHUNK)
        old, new = set(self.found[number]), set(words)
        if old == new:
            return
        self.found[number] = tuple(new)
        for word in old - new:
            key = shard_key(word)
            terms = self.shards[key]
            terms[word].remove(number)
            if not terms[word]:
                del terms[word]
                if not terms:
                    del self.shards[key]
            self._stale_shards.add(key)
        for word in new - old:
            key = shard_key(word)
            insort(self.shards.setdefault(key, {}).setdefault(word, []), number)
            self._stale_shards.add(key)

    def files(self) -> dict[str, bytes]:
        """Every file of the index by output path, the unchanged ones as they were made."""
        self.remade = []
        for key in sorted(self._stale_shards):
            path = f"{FOLDER}terms/{key}.json"
            if key in self.shards:
                self._files[path] = _json(self.shards[key])
                self.remade.append(path)
            else:
                self._files.pop(path, None)
        for start in sorted(self._stale_chunks):
            path = f"{FOLDER}docs/{start // CHUNK}.json"
            self._files[path] = _json(self.docs[start:start + CHUNK])
            self.remade.append(path)
        self._stale_shards, self._stale_chunks = set(), set()
        self._files[f"{FOLDER}meta.json"] = _json({"version": VERSION, "chunk": CHUNK,
                                                   "docs": len(self.docs),
                                                   "shards": sorted(self.shards)})
        return dict(self._files)
