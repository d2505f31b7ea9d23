"""The site model's records: each record's fields are held once, and read as attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_gen.render import site_model
from site_gen.site_model import Entry
from site_gen.validate import gather


def test_an_entry_reads_its_fields_as_attributes_from_one_dict() -> None:
    fields = {"id": "e1", "title": "Talks", "path": "a field named like an attribute"}
    entry = Entry("events", "e1", fields)
    assert entry.__dict__ is fields and entry.fields is fields
    assert entry.title == "Talks" and entry["title"] == "Talks"
    assert entry.path == "events/e1/"  # the attribute wins; the field stays in `fields`
    assert entry.fields["path"] == "a field named like an attribute"
    entry.label, entry.rendered = "Talks", {("x", ""): "markup"}
    assert fields == {"id": "e1", "title": "Talks", "path": "a field named like an attribute"}
    with pytest.raises(AttributeError):
        entry.missing  # noqa: B018


def test_the_model_adds_nothing_but_the_records_fields_to_them(golden_project: Path) -> None:
    gathered = gather(golden_project)
    assert gathered.ok, gathered.problems
    model = site_model(gathered)
    for collection, table in gathered.tables.items():
        if collection not in model.entries:
            continue
        for row in table.rows:
            entry = model.entries[collection][str(row["id"])]
            assert entry.__dict__ is entry.fields
            assert set(row) <= set(entry.fields)
            assert not {"collection", "ref", "back", "rendered", "links"} & set(entry.fields)


def test_an_entry_is_neither_copied_nor_pickled() -> None:
    """A copy would hold its fields apart from its instance dict; none is ever needed."""
    import copy
    import pickle

    entry = Entry("events", "e1", {"id": "e1"})
    for action in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="neither copied nor pickled"):
            action(entry)
