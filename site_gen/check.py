"""Check stage: what the table schemas cannot say about records.

Unknown fields, ids, references, calendar dates, qualifiers and vocabularies are checked
here, each problem pointing at the exact field an editor must change.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from site_gen.check_figures import check_figure, check_supersedes_cycles
from site_gen.config import SiteConfig
from site_gen.dates import DateError, parse_date
from site_gen.identity import same_items
from site_gen.problems import Problem
from site_gen.records import COLLECTIONS, Record, Records
from site_gen.schemas import Catalog, FieldSpec, Link
from site_gen.yamlstrict import is_legacy_word, not_finite

ID = re.compile(r"[a-z0-9][a-z0-9-]*")  # used with fullmatch: `$` would let "kyiv\n" through
URL_FIELDS = ("url",)
SAFE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)  # used with fullmatch
_GROUPED = re.compile(r"[-+]?([0-9]{1,3}([ ,_][0-9]{3})+|[0-9]+)(\.[0-9]+)?")  # 2,000 or 50
SINGULAR = {"sources": "source", "actors": "actor", "places": "place", "events": "event",
            "figures": "figure", "quotes": "quote"}


def _did_you_mean(name: str, options: list[str]) -> str:
    match = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the text '{_clip(str(value))}'"


def _clip(text: str, width: int = 60) -> str:
    """Keep messages on one readable line even when an editor pasted a paragraph."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _named(record: Record) -> str:
    kind = SINGULAR[record.collection]
    return f"{kind} '{record.id}'" if record.id else f"this {kind}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _number_hint(name: str, value: Any, collection: str) -> str:
    """How to write a number that YAML read as something else."""
    words = "; keep the words as reported in value_text" if collection == "figures" else ""
    if not isinstance(value, str):
        return f"write it in digits{words}"
    if _GROUPED.fullmatch(value.strip()):
        digits = re.sub(r"[ ,_]", "", value.strip())
        return f"write {name}: {digits}, digits only and without quotes{words}"
    return f"write digits only, e.g. 2000 rather than \"2,000\"{words}"


RecordKey = tuple[str, str]  # a record's file and version (the file's hash and its place)
# What the memo holds for each record without a problem (nearly all): one list for all,
# which nothing changes, rather than one empty list per record (~6 MB at 100,000 records).
_NONE: list[Problem] = []


@dataclass
class _Seen:
    """One collection as the last check saw it, kept in memory only."""

    records: list[Record]  # the very records, in the order the load stage gave them
    ids: dict[str, Record]
    names: frozenset[str]
    problems: list[Problem]  # of the ids
    fields: list[Problem]  # of the records' fields, under the memo's context
    others: list[Problem]  # of the figures' qualifiers and supersedes chains


@dataclass
class CheckMemo:
    """The field problems each record gave in the last check, and what they depended on.

    A record is known by its file and version (the file's content hash and its place in
    the file); its problems hold while the schemas, vocabularies and ids are the same. In a
    long-lived process the memo also keeps each collection as it was checked: a collection
    whose records are the very ones of the last check (the load stage hands out the same
    records for unchanged files) is not checked again.
    """

    context: Any = None
    records: dict[str, dict[RecordKey, list[Problem]]] = field(default_factory=dict)
    seen: dict[str, _Seen] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """Saved without the records themselves, which the next process reads again."""
        return {"context": self.context, "records": self.records}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.context, self.seen = state.get("context"), {}
        records = state.get("records")
        self.records = records if isinstance(records, dict) else {}


def _same(records: list[Record], seen: _Seen | None) -> bool:
    """Whether these are the very records of the last check."""
    return seen is not None and same_items(records, seen.records)


class _Checker:
    def __init__(self, records: Records, catalog: Catalog, config: SiteConfig,
                 memo: CheckMemo | None = None, keep_records: bool = True) -> None:
        self.records = records
        self.catalog = catalog
        self.config = config
        self.memo = memo
        self.keep_records = keep_records
        self.problems: list[Problem] = []
        self.ids: dict[str, dict[str, Record]] = {c: {} for c in COLLECTIONS}

    def add(self, record: Record, name: str | None, code: str, message: str, key: bool = False,
            index: int | None = None) -> None:
        if name is None:
            pos = record.pos
        elif index is not None:
            pos = record.item_at(name, index)
        else:
            pos = record.key_at(name) if key else record.at(name)
        self.problems.append(Problem.at(pos, code, message))

    def _since(self, start: int) -> list[Problem]:
        return self.problems[start:]

    def run(self) -> list[Problem]:
        earlier = self.memo.seen if self.memo is not None else {}
        same = {c: earlier[c] for c in COLLECTIONS if _same(self.records.of(c), earlier.get(c))}
        found: dict[str, list[Problem]] = {}
        for collection in COLLECTIONS:
            if collection in same:
                self.ids[collection] = same[collection].ids
                found[collection] = same[collection].problems
                self.problems.extend(found[collection])
                continue
            start = len(self.problems)
            for record in self.records.of(collection):
                self.check_id(record)
            found[collection] = self._since(start)
        names = {c: same[c].names if c in same else frozenset(self.ids[c]) for c in COLLECTIONS}
        fields = self.check_all_fields(names, same)
        if "figures" in same:
            others = same["figures"].others
            self.problems.extend(others)
        else:
            start = len(self.problems)
            for record in self.records.of("figures"):
                check_figure(record, self.add)
            check_supersedes_cycles(self.ids["figures"], self.add)
            others = self._since(start)
        if self.memo is not None and not self.keep_records:
            self.memo.seen = {}
        elif self.memo is not None:
            self.memo.seen = {
                c: _Seen(same[c].records if c in same else list(self.records.of(c)),
                         self.ids[c], names[c], found[c], fields[c],
                         others if c == "figures" else [])
                for c in COLLECTIONS}
        return self.problems

    def _context(self, names: dict[str, frozenset[str]]) -> tuple[Any, ...]:
        """Everything besides a record itself that its field problems depend on."""
        tables = tuple((spec.name, tuple(spec.fields), spec.link)
                       for spec in self.catalog.tables.values())
        return tables, self.config.vocabularies, tuple(names[c] for c in COLLECTIONS)

    def check_all_fields(self, names: dict[str, frozenset[str]], same: dict[str, _Seen]
                         ) -> dict[str, list[Problem]]:
        """Check the fields of every record, reusing the problems of unchanged records.

        Returns each collection's field problems.
        """
        memo = self.memo
        known: dict[str, dict[RecordKey, list[Problem]]] = {}
        if memo is not None:
            context = self._context(names)
            if memo.context == context:
                known = memo.records
            else:
                same = {}
            memo.context = context
        else:
            same = {}
        current: dict[str, dict[RecordKey, list[Problem]]] = {}
        found: dict[str, list[Problem]] = {}
        for collection in COLLECTIONS:
            if collection in same and collection in known:
                found[collection] = same[collection].fields
                self.problems.extend(found[collection])
                current[collection] = known[collection]
                continue
            fields = self.catalog.record_fields(collection)
            before = known.get(collection, {})
            mine: dict[RecordKey, list[Problem]] = {}
            begin = len(self.problems)
            for record in self.records.of(collection):
                key = (record.path, record.version)
                problems = before.get(key) if record.version else None
                if problems is None:
                    start = len(self.problems)
                    self.check_fields(record, fields)
                    problems = self._since(start) or _NONE
                else:
                    self.problems.extend(problems)
                mine[key] = problems
            current[collection] = mine
            found[collection] = self._since(begin)
        if memo is not None:
            memo.records = current
        return found

    def check_id(self, record: Record) -> None:
        value = record.fields.get("id")
        if value is None:
            self.add(record, None, "id-missing", "the record has no id; add `id: a-lowercase-slug`")
            return
        if not isinstance(value, str):
            self.add(record, "id", "id-pattern",
                     f"an id is text, but YAML reads {_describe(value)}; put it in quotes "
                     "or use a lowercase slug such as kharkiv-strike")
            return
        if not ID.fullmatch(value):
            example = _slug(value) or "kharkiv-strike"
            self.add(record, "id", "id-pattern",
                     f"id '{_clip(value)}' is not a slug: use lowercase letters, digits and "
                     f"hyphens, starting with a letter or digit (e.g. {example})")
            return
        seen = self.ids[record.collection]
        if value in seen:
            first = seen[value].at("id")
            self.add(record, "id", "id-duplicate",
                     f"{SINGULAR[record.collection]} id '{value}' is already used at "
                     f"{first}; ids are unique within a collection")
            return
        seen[value] = record

    def check_fields(self, record: Record, fields: dict[str, FieldSpec | Link]) -> None:
        derived = {f.name for f in self.catalog.main(record.collection).fields if f.derived}
        for name, value in record.fields.items():
            spec = fields.get(name)
            if spec is None:
                if name in derived:
                    self.add(record, name, "field-derived",
                             f"'{name}' is computed by the build; remove it", key=True)
                else:
                    hint = _did_you_mean(name, list(fields))
                    self.add(record, name, "field-unknown",
                             f"unknown field '{_clip(name)}' for {record.collection}{hint}",
                             key=True)
                continue
            if value is None:
                continue
            if isinstance(spec, Link):
                self.check_list(record, spec, value)
            elif name != "id":
                self.check_value(record, spec, value)
        for name, spec in fields.items():
            if isinstance(spec, FieldSpec) and spec.required and record.fields.get(name) is None:
                if name == "id":
                    continue
                self.add(record, name if name in record.fields else None, "field-required",
                         f"{_named(record)} needs a value for '{name}'")
        if record.collection == "events" and not record.fields.get("sources"):
            self.add(record, "sources" if "sources" in record.fields else None,
                     "field-required", f"{_named(record)} needs at least one source: "
                     "sources: [source-id]")

    def check_list(self, record: Record, link: Link, value: Any) -> None:
        if not isinstance(value, list):
            item = _clip(str(value)) if isinstance(value, str | int | float) else "…"
            self.add(record, link.field, "type-list",
                     f"'{link.field}' is a list; write it as [{item}] "
                     f"or one '- item' per line")
            return
        seen: set[str] = set()
        item_spec = self.catalog.tables[link.table].field(link.value)
        pattern = item_spec.pattern if item_spec is not None else None
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.add(record, link.field, "type-text",
                         f"items of '{link.field}' are text, not {_describe(item)}; "
                         "quote the item", index=index)
                continue
            if item in seen:
                self.add(record, link.field, "list-duplicate",
                         f"'{item}' appears twice in '{link.field}'; remove one", index=index)
            seen.add(item)
            if pattern:
                self.check_line_break(record, link.field, pattern, item, index)
            if link.reference:
                self.check_reference(record, link.field, link.reference, item, index)

    def check_reference(self, record: Record, name: str, target: str, value: str,
                        index: int | None = None) -> None:
        if value in self.ids.get(target, {}):
            return
        hint = _did_you_mean(value, list(self.ids.get(target, {})))
        self.add(record, name, "reference-missing",
                 f"no {SINGULAR.get(target, target)} with id '{value}' in content/{target}/"
                 f"{hint}", index=index)

    def check_line_break(self, record: Record, name: str, pattern: str, value: str,
                         index: int | None = None) -> bool:
        """Catch what Frictionless lets by: its `^…$` also matches before a final line break."""
        if _frictionless_pattern(pattern).match(value) and not re.fullmatch(pattern, value):
            self.add(record, name, "pattern-line-break",
                     f"'{name}' ends with a line break, which a value matching {pattern} cannot "
                     "hold; remove it (a `|` block or a \\n escape adds one)", index=index)
            return True
        return False

    def check_value(self, record: Record, spec: FieldSpec, value: Any) -> None:
        name = spec.name
        if spec.partial_date:
            if isinstance(value, bool) or not isinstance(value, str | int):
                self.add(record, name, "type-date",
                         f"'{name}' is a date like 2022-03-02, not {_describe(value)}")
                return
            try:
                parse_date(value)
            except DateError as error:
                self.add(record, name, "date-invalid", str(error))
            return
        if spec.type == "string":
            if not isinstance(value, str):
                self.add(record, name, "type-text",
                         f"'{name}' is text, but YAML reads this as {_describe(value)}; "
                         f"put it in quotes to keep it as written")
                return
            if spec.pattern and self.check_line_break(record, name, spec.pattern, value):
                return
        elif spec.type in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.add(record, name, "type-number",
                         f"'{name}' is a number, not {_describe(value)}; "
                         f"{_number_hint(name, value, record.collection)}")
                return
            if isinstance(value, float) and not math.isfinite(value):
                self.add(record, name, "type-number", f"'{name}' must be a finite number")
                return
            if spec.type == "integer" and isinstance(value, float):
                self.add(record, name, "type-number", f"'{name}' is a whole number")
                return
        elif spec.type == "boolean":
            if not isinstance(value, bool):
                hint = ""
                if isinstance(value, str) and is_legacy_word(value):
                    word = "true" if value.lower() in ("yes", "y", "on") else "false"
                    hint = f"; YAML 1.2 reads '{value}' as text, so write {name}: {word}"
                self.add(record, name, "type-boolean",
                         f"'{name}' is true or false, not {_describe(value)}{hint}")
                return
        elif (path := next(not_finite(value), None)) is not None:  # a schema's own type
            # A top-level list item has a position of its own; a value within it has none.
            self.add(record, name, "type-number",
                     f"'{name}' holds a number that is not finite (.nan, .inf, or one too "
                     "large, like 1e400), which JSON cannot hold; write a finite number, or "
                     "put it in quotes to keep it as text",
                     index=int(path[0]) if isinstance(value, list) else None)
            return
        if spec.vocabulary:
            terms = self.config.vocabularies.get(spec.vocabulary, {})
            if value not in terms:
                allowed = ", ".join(terms)
                self.add(record, name, "vocabulary",
                         f"'{value}' is not in the {spec.vocabulary} vocabulary of site.yaml"
                         f"{_did_you_mean(str(value), list(terms))} (allowed: {allowed}); "
                         "use one of them or add it to site.yaml")
        elif spec.enum is not None and value not in spec.enum:
            allowed = ", ".join(str(v) for v in spec.enum)
            self.add(record, name, "enum",
                     f"'{name}' cannot be '{value}'"
                     f"{_did_you_mean(str(value), [str(v) for v in spec.enum])} "
                     f"(allowed: {allowed})")
        if name in URL_FIELDS and isinstance(value, str) and not SAFE_URL.fullmatch(value):
            self.add(record, name, "url-scheme",
                     f"'{name}' must be an http:// or https:// address, not '{value[:40]}'")
        if spec.reference and isinstance(value, str):
            self.check_reference(record, name, spec.reference, value)


@functools.cache
def _frictionless_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^{pattern}$")


def check(records: Records, catalog: Catalog, config: SiteConfig,
          memo: CheckMemo | None = None, keep_records: bool = True) -> list[Problem]:
    """Return every problem the schemas cannot express.

    With a memo from the previous check, records that did not change are not checked again
    when nothing they depend on changed; the memo is updated in place. Without
    `keep_records` (a process that checks once), it keeps no collection as it was seen.
    """
    return _Checker(records, catalog, config, memo, keep_records).run()
