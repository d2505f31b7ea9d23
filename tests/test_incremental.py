"""Incremental builds: after every kind of edit, the result equals a clean build byte for byte."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from site_gen.build import Builder
from site_gen.write import MARKER

GOLDEN = Path(__file__).parent / "golden" / "site"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MARKER}


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def override_schema(project: Path, table: str, old: str, new: str) -> None:
    """The project's own copy of a default table schema, with (the first) `old` made `new`."""
    default = Path(__file__).parents[1] / f"site_gen/defaults/datasets/schemas/{table}.yaml"
    (project / "datasets/schemas").mkdir(parents=True, exist_ok=True)
    text = default.read_text(encoding="utf-8")
    assert old in text
    (project / f"datasets/schemas/{table}.yaml").write_text(text.replace(old, new, 1),
                                                           encoding="utf-8")


def edit_event_title(p: Path) -> None:
    replace_text(p / "content/events/kyiv-strike.yaml", "Missile hits Kyiv TV tower",
                 "Missile strikes the Kyiv TV tower")


def rename_actor(p: Path) -> None:
    """A name shown on many pages: the actor's, the events', figures' and quotes' pages."""
    replace_text(p / "content/actors/actors.yaml", "name: Russian Ministry of Defence",
                 "name: Ministry of Defence of Russia")


def add_event(p: Path) -> None:
    (p / "content/events/lviv-rally.yaml").write_text(
        "id: lviv-rally\ndate: 2022-03-02\ntitle: Rally in Kyiv\ntype: diplomacy\n"
        "status: reported\nplaces: [kyiv]\nactors: [city-mayor]\nsources: [wire-report]\n",
        encoding="utf-8")


def rename_event_id(p: Path) -> None:
    old = p / "content/events/talks.yaml"
    text = old.read_text(encoding="utf-8").replace("id: talks", "id: peace-talks")
    old.unlink()
    (p / "content/events/peace-talks.yaml").write_text(text, encoding="utf-8")
    for path in (p / "content").rglob("*.yaml"):
        content = path.read_text(encoding="utf-8")
        if "event: talks" in content:
            path.write_text(content.replace("event: talks", "event: peace-talks"),
                            encoding="utf-8")


def delete_event(p: Path) -> None:
    (p / "content/events/first-week.yaml").unlink()


def change_figure_value(p: Path) -> None:
    replace_text(p / "content/figures/figures.yaml", "value: 2000", "value: 2100")


def relabel_vocabulary(p: Path) -> None:
    replace_text(p / "site.yaml", "strike: Strike", "strike: Air or missile strike")


def edit_template(p: Path) -> None:
    templates = p / "templates"
    templates.mkdir(exist_ok=True)
    base = Path(__file__).parents[1] / "site_gen/defaults/templates/includes/record_footer.html"
    text = base.read_text(encoding="utf-8")
    (templates / "includes").mkdir(exist_ok=True)
    (templates / "includes/record_footer.html").write_text(
        text.replace("This record as data", "This record, as data"), encoding="utf-8")


EDITS: list[Callable[[Path], None]] = [
    edit_event_title, rename_actor, add_event, rename_event_id, delete_event,
    change_figure_value, relabel_vocabulary, edit_template]


@pytest.fixture
def project(golden_project: Path) -> Path:
    return golden_project


def test_every_edit_gives_the_same_bytes_as_a_clean_build(project: Path, tmp_path: Path) -> None:
    builder = Builder(project, tmp_path / "incremental")
    builder.build()
    for step, edit in enumerate(EDITS):
        edit(project)
        result = builder.build()
        clean = Builder(project, tmp_path / f"clean-{step}").build()
        incremental, fresh = tree(tmp_path / "incremental"), tree(tmp_path / f"clean-{step}")
        assert set(incremental) == set(fresh), (edit.__name__, set(incremental) ^ set(fresh))
        different = [path for path in fresh if incremental[path] != fresh[path]]
        assert not different, (edit.__name__, different[:5])
        assert result.stats.written < clean.stats.written or edit in (
            relabel_vocabulary, edit_template), edit.__name__


def split_list_files(project: Path) -> None:
    """One record per file, so that an edit changes the version of that record alone."""
    import yaml

    for path in sorted((project / "content").rglob("*.yaml")):
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(records, list):
            for record in records:
                (path.parent / f"{record['id']}.yaml").write_text(
                    yaml.safe_dump(record, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
            path.unlink()


def supersede_differently(p: Path) -> None:
    replace_text(p / "content/figures/kyiv-killed-ministry-update.yaml", "value: 2000",
                 "value: 3000")
    (p / "content/figures/kyiv-killed-late.yaml").write_text(
        "id: kyiv-killed-late\nmetric: killed\nvalue: 9\nqualifier: exact\n"
        "as_of: 2022-03-02\nclaimant: russia-mod\nsource: wire-report\n"
        "supersedes: kyiv-killed-mod\n", encoding="utf-8")


def stricter_schema(p: Path) -> None:
    """A project's own schema with a rule that rows validated before now break."""
    override_schema(p, "places", "maximum: 90", "maximum: 45")


def test_records_in_files_of_their_own_match_a_clean_build(project: Path,
                                                           tmp_path: Path) -> None:
    split_list_files(project)
    builder = Builder(project, tmp_path / "incremental")
    builder.build()
    edits: list[Callable[[Path], None]] = [
        supersede_differently,
        lambda p: replace_text(p / "content/actors/wire-agency.yaml", "name: Wire Agency",
                               "name: Wire Agency International"),
        lambda p: (p / "content/figures/kyiv-killed-late.yaml").unlink(),
    ]
    for step, edit in enumerate(edits):
        edit(project)
        builder.build()
        Builder(project, tmp_path / f"clean-{step}").build()
        assert tree(tmp_path / "incremental") == tree(tmp_path / f"clean-{step}"), \
            edit.__name__


def test_a_stricter_schema_checks_rows_validated_before(project: Path, tmp_path: Path) -> None:
    from site_gen.problems import ProblemsFound

    builder = Builder(project, tmp_path / "out")
    builder.build()
    stricter_schema(project)
    with pytest.raises(ProblemsFound) as found:
        builder.build()
    assert any(p.code == "schema-constraint" and "places" in p.path
               for p in found.value.problems)


def test_a_unique_rule_beyond_ids_sees_every_row(project: Path, tmp_path: Path) -> None:
    from site_gen.problems import ProblemsFound

    override_schema(project, "places", "      required: true\n  - name: country\n",
                    "      required: true\n      unique: true\n  - name: country\n")
    builder = Builder(project, tmp_path / "out")
    builder.build()
    with (project / "content/places/places.yaml").open("a", encoding="utf-8") as handle:
        handle.write("- id: kyiv-again\n  name: Kyiv\n  lat: 50.45\n  lon: 30.52\n")
    with pytest.raises(ProblemsFound):
        builder.build()


def test_a_unique_rule_sees_rows_that_each_passed_before(project: Path, tmp_path: Path) -> None:
    """Two titles swap, then one comes back: each row's values passed in an earlier build,
    but together they break the rule."""
    from site_gen.problems import ProblemsFound

    rule = "Title or headline of the source as published.\n    constraints:\n      required: true\n"
    override_schema(project, "sources", rule, rule + "      unique: true\n")
    first = project / "content/sources/ministry-statement.yaml"
    second = project / "content/sources/wire-report.yaml"
    builder = Builder(project, tmp_path / "out")
    builder.build()
    replace_text(first, "title: Statement on casualties", "title: Another title")
    replace_text(second, "title: Russia escalates attacks", "title: Statement on casualties")
    builder.build()
    replace_text(first, "title: Another title", "title: Statement on casualties")
    with pytest.raises(ProblemsFound) as raised:
        builder.build()
    assert any("title" in problem.message for problem in raised.value.problems)


def test_unchanged_rebuild_writes_no_file(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(project, out)
    first = builder.build()
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    again = builder.build()
    assert again.stats.written == 0 and again.stats.removed == 0
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()} == inodes
    assert first.stats.written == len(inodes) - 1  # all but the marker


def test_one_record_edit_renders_only_the_pages_that_show_it(project: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(project, out)
    builder.build()
    before = tree(out)
    edit_event_title(project)
    result = builder.build()
    after = tree(out)
    changed = {path for path in after if before.get(path) != after[path]}
    assert result.stats.written == len(changed)
    pages = {path for path in changed if path.endswith(".html")}
    # The record's own page, the pages that list or cite it, and the indexes; not the rest.
    assert 0 < len(pages) < len([p for p in after if p.endswith(".html")]) / 2, sorted(pages)


def test_state_survives_between_command_line_runs(project: Path, tmp_path: Path) -> None:
    from site_gen.build import build

    out = tmp_path / "out"
    build(project, out)
    edit_event_title(project)
    result = build(project, out)
    assert 0 < result.stats.written < 60
    page = (out / "events/kyiv-strike/index.html").read_text(encoding="utf-8")
    assert "Missile strikes the Kyiv TV tower" in page


def test_a_damaged_output_folder_is_mended_even_without_an_edit(project: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(project, out)
    builder.build()
    os.unlink(out / "places/kyiv/index.html")
    builder.build()
    assert (out / "places/kyiv/index.html").is_file()


def test_a_damaged_output_folder_is_rebuilt_in_full(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    builder = Builder(project, out)
    builder.build()
    os.unlink(out / "places/kyiv/index.html")
    edit_event_title(project)
    builder.build()
    clean = tmp_path / "clean"
    Builder(project, clean).build()
    assert tree(out) == tree(clean)


def test_an_edit_stages_only_the_data_and_search_files_it_changed(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data and search files an edit left alone are the last build's very bytes, kept
    from the live site like unchanged pages rather than staged and read back to compare."""
    from site_gen.write import Staging

    staged: list[str] = []
    stage = Staging.__setitem__

    def recording(self: Staging, rel: str, data: bytes) -> None:
        staged.append(rel)
        stage(self, rel, data)

    out = tmp_path / "out"
    builder = Builder(project, out)
    builder.build()
    before = tree(out)
    monkeypatch.setattr(Staging, "__setitem__", recording)
    edit_event_title(project)
    builder.build()
    after = tree(out)
    produced = {path for path in after if path.startswith(("data/", "search-index/"))}
    changed = {path for path in produced if before.get(path) != after[path]}
    assert changed and len(changed) < len(produced) / 2
    assert changed <= set(staged)
    assert "data/actors.csv" not in staged and "data/actors.csv" in after
    assert {path for path in staged if path in produced} - changed <= {
        "data/datapackage.json", "data/metadata.json", "data/index.html",
        "search-index/meta.json"}  # made again each build, to the same bytes
    assert after == tree(Builder(project, tmp_path / "clean").build().out)
    held = builder.outputs[1]
    assert "data/actors.csv" in held and not any(path.endswith(".zip") for path in held)


def test_a_saved_state_for_another_output_is_not_unpickled(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the header is read when the output is not the one the state describes: the
    state of 100,000 records took seconds to unpickle and about 125 MB."""
    import pickle
    import shutil

    from site_gen import __version__
    from site_gen.build import STATE_VERSION, BuildState, _state_path, build, load_state

    out = tmp_path / "out"
    build(project, out)
    state = load_state(project, out.resolve())
    assert isinstance(state, BuildState) and state.build_id
    loads: list[object] = []
    load = pickle.load

    def counting(handle: object) -> object:
        loads.append(load(handle))  # type: ignore[arg-type]
        return loads[-1]

    monkeypatch.setattr(pickle, "load", counting)
    shutil.rmtree(out)
    assert load_state(project, out.resolve()) is None
    assert loads == [((STATE_VERSION, __version__), state.build_id)]  # the header alone
    result = build(project, out)
    assert result.stats.written == result.files  # built from nothing
    loads.clear()
    assert load_state(project, out.resolve()) is not None and len(loads) == 2
    path = _state_path(project, out.resolve())
    path.write_bytes(path.read_bytes()[:-40])  # cut short: no state, and no error
    assert load_state(project, out.resolve()) is None
