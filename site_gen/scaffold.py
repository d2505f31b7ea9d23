"""Scaffolding: `init` makes a new project, `new` writes a record file with every field."""

from __future__ import annotations

import re
from pathlib import Path

from site_gen import __version__
from site_gen.config import SiteConfig
from site_gen.records import COLLECTIONS
from site_gen.schemas import DEFAULTS, Catalog, FieldSpec, Link

INIT = DEFAULTS / "init"
RENAMES = {"gitignore": ".gitignore", "github": ".github"}
KINDS = {c[:-1]: c for c in COLLECTIONS}
PLACEHOLDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ScaffoldError(Exception):
    """The scaffold cannot be written where it was asked for."""


def init_project(target: Path) -> list[Path]:
    """Copy the starter project into `target`, which must be new or empty."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} is not empty; choose a new folder")
    written: list[Path] = []
    for source in sorted(INIT.rglob("*")):
        if not source.is_file():
            continue
        parts = list(source.relative_to(INIT).parts)
        parts[0] = RENAMES.get(parts[0], parts[0])
        dest = target.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8").replace("SITE_GEN_VERSION", __version__)
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    return written


def _comment(spec: FieldSpec | Link, config: SiteConfig) -> str:
    if isinstance(spec, Link):
        what = f"list of {spec.reference} ids" if spec.reference else "list of text"
        return f"{what}, e.g. [first, second]"
    parts = [spec.description.rstrip(".")] if spec.description else []
    if spec.vocabulary:
        parts.append("one of: " + ", ".join(config.vocabularies.get(spec.vocabulary, {})))
    elif spec.enum:
        parts.append("one of: " + ", ".join(str(v) for v in spec.enum))
    if spec.reference:
        parts.append(f"the id of a record in content/{spec.reference}/")
    if spec.partial_date:
        parts.append("YYYY, YYYY-MM, YYYY-MM-DD or START/END")
    return "; ".join(parts)


def record_template(kind: str, record_id: str, catalog: Catalog, config: SiteConfig) -> str:
    """A record file listing every field: required ones empty (so validation fails until
    filled in), optional ones commented out, each with what it accepts."""
    collection = KINDS[kind]
    lines = [f"# A new {kind}. Fill in the required fields, delete the optional lines you",
             "# do not need, then run `site-gen validate`.", f"id: {record_id}"]
    for name, spec in catalog.record_fields(collection).items():
        if name == "id":
            continue
        note = _comment(spec, config)
        required = isinstance(spec, FieldSpec) and spec.required
        if collection == "events" and name == "sources":
            required = True
        if required:
            lines.append(f"{name}:    # required: {note}")
        else:
            lines.append(f"# {name}:    # {note}")
    return "\n".join(lines) + "\n"


def new_record(project: Path, kind: str, record_id: str, catalog: Catalog,
               config: SiteConfig) -> Path:
    """Write content/<collection>/<id>.yaml; refuse to overwrite an existing record."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind '{kind}'; kinds are {', '.join(KINDS)}")
    if not PLACEHOLDER_ID.match(record_id):
        raise ScaffoldError(f"id '{record_id}' is not a slug (lowercase letters, digits, -)")
    path = project / "content" / KINDS[kind] / f"{record_id}.yaml"
    if path.exists():
        raise ScaffoldError(f"{path.relative_to(project)} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record_template(kind, record_id, catalog, config), encoding="utf-8")
    return path
