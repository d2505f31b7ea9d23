"""A site model updated in place for an edit equals one built from nothing, list for list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_build_integrity import generate
from test_render_scope import field, record, set_field

from site_gen.site_model import Entry, SiteModel, build_model
from site_gen.site_model_update import LIMIT, apply_changes, find_changes
from site_gen.validate import GatherCache, Gathered, gather


def shape(model: SiteModel) -> dict[str, Any]:
    """Everything pages read of a model, with records named by key (entries never compare)."""

    def name(value: Any) -> Any:
        if isinstance(value, Entry):
            return (value.collection, value.id)
        if isinstance(value, list):
            return [name(item) for item in value]
        return value

    return {
        "missing": model.missing,
        "entries": {c: list(members) for c, members in model.entries.items()},
        "ordered": {c: [e.id for e in members] for c, members in model.ordered.items()},
        "records": {(e.collection, e.id): (e.version, e.label, e.fields,
                                           list(e.ref), {k: name(v) for k, v in e.ref.items()},
                                           {k: name(v) for k, v in sorted(e.back.items())})
                    for members in model.entries.values() for e in members.values()},
    }


def ready(gathered: Gathered) -> Gathered:
    assert gathered.ok, gathered.problems[:3]
    return gathered


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return generate(tmp_path / "project", 300)


def test_every_edit_updates_the_model_to_a_fresh_one(project: Path) -> None:
    cache = GatherCache()
    first = ready(gather(project, cache))
    assert first.catalog is not None and first.config is not None
    model = build_model(first.tables, first.catalog, first.config)
    figures = [p for p in sorted((project / "content/figures").glob("*.yaml"))
               if "\ngroup: " in p.read_text(encoding="utf-8")]
    other = next(p for p in figures[1:] if field(p, "metric") == field(figures[0], "metric")
                 and field(p, "group") != field(figures[0], "group"))
    event = record(project, "events", "actors: [")
    actor = record(project, "actors")
    source = field(record(project, "sources"), "id")
    place = field(record(project, "places"), "id")
    added = project / "content/events/added.yaml"
    edits: list[Callable[[], None]] = [
        lambda: set_field(actor, "name", '"Zzz Last In Order"'),
        lambda: set_field(event, "actors", f"[{field(actor, 'id')}]"),
        lambda: set_field(figures[0], "group", field(other, "group")),
        lambda: set_field(figures[0], "supersedes", field(other, "id")),
        lambda: set_field(figures[0], "as_of", "2021-01-01"),
        lambda: added.write_text(
            f"id: added-event\ndate: 2022-05-05\ntitle: Added\ntype: strike\nstatus: reported\n"
            f"places: [{place}]\nactors: [{field(actor, 'id')}]\nsources: [{source}]\n",
            encoding="utf-8"),
        # Another id at the same place among the rows: one record gone, another come.
        lambda: set_field(added, "id", "added-evenu"),
        lambda: set_field(added, "id", "renamed-event"),
        lambda: added.unlink(),
    ]
    for step, edit in enumerate(edits):
        edit()
        gathered = ready(gather(project, cache))
        assert gathered.catalog is not None and gathered.config is not None
        changes = find_changes(model, gathered.tables, gathered.catalog)
        assert changes is not None and 0 < len(changes.keys) <= 2, step
        apply_changes(model, changes, gathered.tables, gathered.catalog, gathered.config)
        fresh = build_model(gathered.tables, gathered.catalog, gathered.config)
        assert shape(model) == shape(fresh), step


def test_many_changes_or_another_catalog_build_from_nothing(project: Path) -> None:
    cache = GatherCache()
    first = ready(gather(project, cache))
    assert first.catalog is not None and first.config is not None
    model = build_model(first.tables, first.catalog, first.config)
    assert find_changes(model, first.tables, first.catalog) is not None
    override = project / "datasets/schemas/events.yaml"
    override.parent.mkdir(parents=True)
    default = Path(__file__).parents[1] / "site_gen/defaults/datasets/schemas/events.yaml"
    override.write_text(default.read_text(encoding="utf-8").replace(
        "title:", "title: Another", 1), encoding="utf-8")
    other = ready(gather(project, cache))  # another catalog: another table title
    assert other.catalog is not None and other.catalog != first.catalog
    assert find_changes(model, other.tables, other.catalog) is None
    override.unlink()
    for path in sorted((project / "content/events").glob("*.yaml"))[:LIMIT + 1]:
        set_field(path, "title", '"All the same title"')
    assert find_changes(model, ready(gather(project, cache)).tables, first.catalog) is None
