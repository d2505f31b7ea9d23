"""The table schemas: the package's defaults, overridden by the project's datasets/ files.

The schemas are the single source of truth for columns, types, enums and keys. This module
reads them, injects the project's open vocabularies as enum constraints, and derives from
them which fields a record of each collection may have.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frictionless import Schema
from frictionless.exception import FrictionlessException

from site_gen.config import SiteConfig
from site_gen.problems import Problem
from site_gen.records import COLLECTIONS
from site_gen.yamlstrict import Document, not_finite, read_yaml

DEFAULTS = Path(__file__).parent / "defaults"
# A table's name names its files in data/, and a schema file must lie inside datasets/.
TABLE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
SCHEMA_FILE = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.ya?ml")
RESERVED_NAMES = ("datapackage", "metadata", "index", "README", "CITATION")  # other data/ files


@dataclass(frozen=True)
class FieldSpec:
    """One column of a table as the checks need it."""

    name: str
    type: str
    title: str
    description: str
    required: bool = False
    enum: tuple[Any, ...] | None = None
    vocabulary: str | None = None
    partial_date: bool = False
    derived: bool = False
    reference: str | None = None  # table a foreign key points to
    pattern: str | None = None  # the constraint's regular expression, as Frictionless reads it


@dataclass(frozen=True)
class Link:
    """A link table that holds one list field of a collection, one row per item."""

    table: str
    collection: str
    field: str
    key: str
    value: str
    reference: str | None  # collection the items refer to, None for plain strings


@dataclass
class TableSpec:
    name: str
    title: str
    description: str
    path: str
    schema: dict[str, Any]
    fields: list[FieldSpec]
    link: Link | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class Catalog:
    """Every published table, in package order, plus the package-level descriptor."""

    package: dict[str, Any]
    tables: dict[str, TableSpec] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # datasets-relative name -> origin

    def main(self, collection: str) -> TableSpec:
        return self.tables[collection]

    def links_of(self, collection: str) -> list[Link]:
        return [t.link for t in self.tables.values() if t.link and t.link.collection == collection]

    def record_fields(self, collection: str) -> dict[str, FieldSpec | Link]:
        """Fields a record may carry: the main table's own columns and its list fields."""
        fields: dict[str, FieldSpec | Link] = {
            f.name: f for f in self.main(collection).fields if not f.derived
        }
        for link in self.links_of(collection):
            fields[link.field] = link
        return fields


def _locate(project: Path, name: str) -> tuple[Path, str]:
    """The file for a datasets-relative name: the project's own, else the default."""
    own = project / "datasets" / name
    if own.is_file():
        return own, f"datasets/{name}"
    return DEFAULTS / "datasets" / name, f"<site-gen>/datasets/{name}"


def catalog_sources(project: Path, catalog: Catalog) -> tuple[tuple[str, bytes | None], ...]:
    """The files `catalog` was read from, as they are now, each where it would be found.

    read_catalog reads nothing else: the same bytes and settings give the same catalog.
    """
    found: list[tuple[str, bytes | None]] = []
    for name in catalog.files:
        path, rel = _locate(project, name)
        try:
            found.append((rel, path.read_bytes()))
        except OSError:
            found.append((rel, None))
    return tuple(found)


def _read(project: Path, name: str) -> tuple[Any, str, list[Problem], list[Problem]]:
    """The file's value, where it was found, the problems that leave it unread, and those
    of numbers in it that are not finite (which leave the rest of it usable)."""
    path, rel = _locate(project, name)
    if not path.is_file():
        return None, rel, [Problem(rel, 1, 1, "schema-missing", f"no file datasets/{name}")], []
    doc, problems = read_yaml(rel, path.read_bytes())
    return doc.value, rel, problems, [] if problems else _not_finite(doc)


def _not_finite(doc: Document) -> list[Problem]:
    """A problem at each number that is not finite: datapackage.json, made from these
    files, is JSON, which has no such numbers."""
    return [Problem.at(doc.values[path], "schema-invalid",
                       "a number here must be finite (not .nan, .inf or one too large, like "
                       "1e400); leave the limit out if there is none")
            for path in not_finite(doc.value)]


def _field_spec(raw: dict[str, Any], fks: dict[str, str]) -> FieldSpec:
    constraints = raw.get("constraints") or {}
    enum = constraints.get("enum")
    pattern = constraints.get("pattern")
    return FieldSpec(
        name=raw["name"],
        type=raw.get("type", "string"),
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        required=bool(constraints.get("required")),
        enum=tuple(enum) if enum is not None else None,
        vocabulary=raw.get("vocabulary"),
        partial_date=bool(raw.get("partialDate")),
        derived=bool(raw.get("derived")),
        reference=fks.get(raw["name"]),
        pattern=pattern if isinstance(pattern, str) else None,
    )


def read_catalog(project: Path, config: SiteConfig) -> tuple[Catalog | None, list[Problem]]:
    """Read datapackage.yaml and every table schema; inject vocabularies as enums."""
    package, package_rel, problems, not_finite = _read(project, "datapackage.yaml")
    problems += not_finite
    if problems:
        return None, problems
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        return None, [Problem(package_rel, 1, 1, "schema-package",
                              "datapackage.yaml needs a list of resources")]
    catalog = Catalog(package={k: v for k, v in package.items() if k != "resources"})
    catalog.files["datapackage.yaml"] = package_rel
    for resource in package["resources"]:
        name = resource.get("name") if isinstance(resource, dict) else None
        schema_name = resource.get("schema") if isinstance(resource, dict) else None
        if not isinstance(name, str) or not isinstance(schema_name, str):
            problems.append(Problem(package_rel, 1, 1, "schema-package",
                                    "every resource needs a name and a schema file"))
            continue
        if not TABLE_NAME.fullmatch(name) or not SCHEMA_FILE.fullmatch(schema_name):
            problems.append(Problem(package_rel, 1, 1, "schema-package",
                                    f"resource '{name}' with schema '{schema_name}': a name is "
                                    "a lowercase slug (it names files in data/) and a schema "
                                    "is a .yaml file inside datasets/, e.g. schemas/events.yaml"))
            continue
        if name in (*RESERVED_NAMES, config.dataset.name):
            problems.append(Problem(package_rel, 1, 1, "schema-package",
                                    f"resource name '{name}' is taken by another file in data/; "
                                    "rename the resource"))
            continue
        schema, rel, found, not_finite = _read(project, schema_name)
        problems.extend(not_finite)
        catalog.files[schema_name] = rel
        if found or not isinstance(schema, dict):
            problems.extend(found or [Problem(rel, 1, 1, "schema-invalid",
                                              "a Table Schema is a mapping with fields")])
            continue
        schema = copy.deepcopy(schema)
        for raw in schema.get("fields", []):
            vocabulary = raw.get("vocabulary")
            if vocabulary is None:
                continue
            terms = config.vocabularies.get(vocabulary)
            if not terms:
                problems.append(Problem("site.yaml", 1, 1, "config-vocabulary-missing",
                                        f"the {name} table needs the vocabulary '{vocabulary}': "
                                        f"add vocabularies: {{{vocabulary}: {{slug: Label}}}}"))
                continue
            raw.setdefault("constraints", {})["enum"] = list(terms)
        try:
            Schema.from_descriptor(schema)
        except FrictionlessException as error:
            problems.append(Problem(rel, 1, 1, "schema-invalid",
                                    f"not a valid Table Schema: {error.error.message}"))
            continue
        fks = {
            fk["fields"][0]: fk["reference"]["resource"]
            for fk in schema.get("foreignKeys", [])
            if len(fk.get("fields", [])) == 1
        }
        fields = [_field_spec(raw, fks) for raw in schema.get("fields", [])]
        link = None
        if isinstance(schema.get("link"), dict):
            spec = schema["link"]
            link = Link(name, spec["collection"], spec["field"], spec["key"], spec["value"],
                        fks.get(spec["value"]))
        catalog.tables[name] = TableSpec(
            name=name,
            title=resource.get("title", name),
            description=resource.get("description", ""),
            path=resource.get("path", f"{name}.csv"),
            schema=schema,
            fields=fields,
            link=link,
        )
    for collection in COLLECTIONS:
        if collection not in catalog.tables:
            problems.append(Problem(package_rel, 1, 1, "schema-package",
                                    f"datapackage.yaml has no resource '{collection}'"))
    return (None if problems else catalog), problems


