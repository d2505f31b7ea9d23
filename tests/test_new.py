"""`site-gen new KIND`: a record file with every field, invalid until an editor fills it in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BASE, make_project, run_cli

from site_gen.config import read_config
from site_gen.schemas import read_catalog

COLLECTION = {"event": "events", "figure": "figures", "quote": "quotes", "actor": "actors",
              "place": "places", "source": "sources"}

# Required fields from the field contract, written out here so the test does not merely
# repeat what the code derives from the schemas.
REQUIRED = {
    "events": {"date", "title", "type", "status", "sources"},
    "figures": {"metric", "qualifier", "as_of", "claimant", "source"},
    "quotes": {"text", "kind", "speaker", "said_on", "source"},
    "actors": {"name", "kind"},
    "places": {"name", "lat", "lon"},
    "sources": {"title", "published"},
}

# Values that make each new record valid in the base project (see conftest.make_project).
FILLED = {
    "event": {"date": "2022-03-02", "title": "Talks open at the border", "type": "diplomacy",
              "status": "claimed", "sources": "[wire-report]", "claimed_by": "[city-mayor]"},
    "figure": {"metric": "refugees", "qualifier": "about", "value": "500000",
               "as_of": "2022-03-02", "claimant": "ukraine-ministry", "source": "wire-report"},
    "quote": {"text": "We will hold.", "kind": "direct", "speaker": "city-mayor",
              "said_on": "2022-03-02", "source": "wire-report"},
    "actor": {"name": "Border guard service", "kind": "organization", "country": "UA"},
    "place": {"name": "Lviv", "lat": "49.84", "lon": "24.03"},
    "source": {"title": "Evening briefing", "published": "2022-03-02", "type": "statement"},
}

# Values each comment must offer: closed vocabularies of the model and the base project's
# own open vocabularies from its site.yaml.
ALLOWED = {
    ("event", "type"): ["strike", "diplomacy"],
    ("event", "status"): ["reported", "claimed", "disputed", "confirmed", "denied"],
    ("figure", "metric"): ["killed", "refugees"],
    ("figure", "qualifier"): ["exact", "about", "at_least", "more_than", "nearly", "up_to",
                              "range", "unquantified"],
    ("quote", "kind"): ["direct", "paraphrase"],
    ("actor", "kind"): ["person", "organization", "government", "group"],
    ("source", "type"): ["article", "report", "statement", "dataset", "social_post",
                         "broadcast", "other"],
}

FIELD_LINE = re.compile(r"^(?P<off># )?(?P<name>[a-z_]+):(?P<value>[^#]*)(?:#(?P<note>.*))?$")


def fields_of(text: str) -> dict[str, tuple[int, bool, str]]:
    """Field name -> (line number, written as a required line, comment) of a new record."""
    found: dict[str, tuple[int, bool, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = FIELD_LINE.match(line)
        if match:
            assert match["name"] not in found, f"{match['name']} listed twice"
            found[match["name"]] = (number, not match["off"], (match["note"] or "").strip())
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """Give fields values the way an editor would: replace the line, uncommenting it."""
    for name, value in values.items():
        text, count = re.subn(rf"(?m)^(# )?{name}:.*$", f"{name}: {value}", text)
        assert count == 1, f"no line for {name}"
    return text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def schema_fields(project: Path, collection: str) -> set[str]:
    config, problems = read_config(project)
    assert config is not None, problems
    catalog, problems = read_catalog(project, config)
    assert catalog is not None, problems
    return set(catalog.record_fields(collection))


@pytest.mark.parametrize("kind", sorted(COLLECTION))
def test_new_record_lists_every_field_and_fails_until_filled_in(project: Path,
                                                                kind: str) -> None:
    collection = COLLECTION[kind]
    result = run_cli("new", kind, str(project))
    assert result.exit_code == 0, result.output
    rel = f"content/{collection}/new-{kind}.yaml"
    assert result.output.strip() == rel
    path = project / rel
    text = path.read_text(encoding="utf-8")

    listed = fields_of(text)
    assert set(listed) == schema_fields(project, collection)
    assert listed["id"][1] and f"id: new-{kind}" in text.splitlines()
    required = {name for name, (_, on, _) in listed.items() if on and name != "id"}
    assert required == REQUIRED[collection]
    for name, (_, _, note) in listed.items():
        assert name == "id" or note, f"{name} has no comment saying what it takes"
    for (owner, name), values in ALLOWED.items():
        if owner == kind:
            note = listed[name][2]
            assert all(re.search(rf"\b{v}\b", note) for v in values), note

    result = run_cli("validate", str(project))
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if ": error[" in line]
    assert all(line.startswith(f"{rel}:") for line in problems), problems
    for name in REQUIRED[collection]:
        line = listed[name][0]
        assert any(p.startswith(f"{rel}:{line}:") and name in p for p in problems), (
            name, problems)

    path.write_text(fill(text, FILLED[kind]), encoding="utf-8")
    result = run_cli("validate", str(project))
    assert result.exit_code == 0, result.output + path.read_text(encoding="utf-8")


def test_event_type_comment_follows_the_project_vocabulary(tmp_path: Path) -> None:
    text = (BASE / "site.yaml").read_text(encoding="utf-8").replace(
        "diplomacy: Diplomacy}", "diplomacy: Diplomacy, ceasefire: Ceasefire}")
    project = make_project(tmp_path, {"site.yaml": text})
    assert run_cli("new", "event", str(project)).exit_code == 0
    listed = fields_of((project / "content/events/new-event.yaml").read_text(encoding="utf-8"))
    assert "ceasefire" in listed["type"][2]


def test_id_option_names_the_record(project: Path) -> None:
    result = run_cli("new", "place", str(project), "--id", "lviv")
    assert result.exit_code == 0, result.output
    path = project / "content/places/lviv.yaml"
    assert "id: lviv" in path.read_text(encoding="utf-8").splitlines()


def test_default_ids_are_numbered_when_taken(project: Path) -> None:
    made = [run_cli("new", "event", str(project)).output.strip() for _ in range(3)]
    assert made == ["content/events/new-event.yaml", "content/events/new-event-2.yaml",
                    "content/events/new-event-3.yaml"]
    second = (project / made[1]).read_text(encoding="utf-8")
    assert "id: new-event-2" in second.splitlines()


@pytest.mark.parametrize("record_id", ["Kyiv", "has space", "-leading", "../escape",
                                       "sub/dir", ""])
def test_invalid_id_is_refused(project: Path, record_id: str) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = run_cli("new", "event", str(project), "--id", record_id)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_existing_file_is_refused(project: Path) -> None:
    path = project / "content/events/kyiv-strike.yaml"
    before = path.read_bytes()
    result = run_cli("new", "event", str(project), "--id", "kyiv-strike")
    assert result.exit_code == 2
    assert "already exists" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("args", [["new", "claim"], ["new", "event", "no-such-folder"]])
def test_unknown_kind_or_project_is_a_usage_error(project: Path, args: list[str]) -> None:
    result = run_cli(*args[:2], *(str(project.parent / a) for a in args[2:]))
    assert result.exit_code == 2 and "Traceback" not in result.output
