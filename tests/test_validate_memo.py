"""A long-lived gather checks again what an edit can change, and only that."""

from __future__ import annotations

import gc
from pathlib import Path

from conftest import make_project

from site_gen.validate import GatherCache, gather

EVENT = "content/events/kyiv-strike.yaml"
PLACE = "content/places/kyiv.yaml"


def _texts(project: Path, cache: GatherCache) -> list[str]:
    return [p.text() for p in gather(project, cache).problems]


def test_edits_give_the_problems_of_a_fresh_gather(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    cache = GatherCache()
    assert _texts(project, cache) == []
    event = project / EVENT
    original = event.read_text(encoding="utf-8")
    event.write_text(original + "colour: red\n", encoding="utf-8")
    edited = _texts(project, cache)
    assert [t.split(": ", 1)[1] for t in edited] == \
        ["error[field-unknown]: unknown field 'colour' for events"]
    assert edited == _texts(project, GatherCache())
    event.write_text(original, encoding="utf-8")
    assert _texts(project, cache) == []
    # The event file is unchanged, but the place it refers to is gone.
    place = project / PLACE
    place.write_text(place.read_text(encoding="utf-8").replace("id: kyiv", "id: kiev"),
                     encoding="utf-8")
    moved = _texts(project, cache)
    assert any("no place with id 'kyiv'" in t and t.startswith(EVENT) for t in moved)
    assert moved == _texts(project, GatherCache())


def test_a_cache_without_a_check_memo_still_works(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    cache = GatherCache()
    del cache.__dict__["checks"]  # as unpickled from a state saved before the memo existed
    assert _texts(project, cache) == []
    assert cache.checks.records


def test_the_collector_is_left_as_it_was(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert gc.isenabled()
    gather(project)
    assert gc.isenabled()
    gc.disable()
    try:
        gather(project)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_frozen_block_within_another_leaves_the_frozen_objects_frozen() -> None:
    from site_gen import collector

    assert gc.get_freeze_count() == 0
    with collector.frozen():
        outer = gc.get_freeze_count()
        kept = [[] for _ in range(100)]  # made between the two blocks
        with collector.frozen():
            assert gc.get_freeze_count() >= outer + len(kept)
        assert gc.get_freeze_count() >= outer + len(kept) > 0
    assert gc.get_freeze_count() == 0
