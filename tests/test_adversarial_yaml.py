"""Hostile and tricky YAML, ids and references: each case is caught where an editor can fix it.

The one-file-per-case suite in tests/invalid/ (run by test_invalid_cases.py) already covers
many inputs: YAML 1.1 booleans in a boolean field (type-yes-for-boolean), `1.10` in a text
field (type-number-for-text), unquoted leading zeros (yaml-leading-zero), control characters
written raw (yaml-control-character), dangling references (reference-missing-*), an id used in
two files (id-duplicate), `../x` as an id (id-path-like), a figure superseding itself
(figure-supersedes-self) and `javascript:` URLs (url-javascript); `NO` as a country is
checked in every published format by test_data.py. This module adds what those leave out.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_project
from golden.support import build_env, read_tree, shared_cache

from site_gen.build import build
from site_gen.chart import drafts
from site_gen.filters import external_url
from site_gen.validate import gather
from site_gen.yamlstrict import read_yaml

FIGURE = ("metric: killed\nvalue: {value}\nqualifier: exact\nas_of: 2022-03-0{value}\n"
          "claimant: city-mayor\nsource: wire-report\n")


def problems(tmp_path: Path, files: dict[str, str | bytes | None]) -> list[str]:
    """The problem lines `site-gen validate` would print for the base project plus `files`."""
    return [p.text() for p in gather(make_project(tmp_path, files)).problems]


def codes(lines: list[str]) -> list[str]:
    return [line.split("error[", 1)[1].split("]", 1)[0] for line in lines]


def figure(figure_id: str, value: int = 1, **extra: str) -> str:
    lines = [f"id: {figure_id}", FIGURE.format(value=value).rstrip("\n")]
    lines += [f"{key}: {text}" for key, text in extra.items()]
    return "\n".join(lines) + "\n"


# -- YAML 1.1 look-alikes stay text all the way to the published data ------------------------

LOOK_ALIKES = {"region": "on", "note": "yes"}
ALIASES = ["yes", "NO", "off", "012345", "10:30", "2022-03-02", "1_000", "~x", "0x1F"]


@pytest.fixture(scope="module")
def look_alikes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("look-alikes")
    place = ("id: kyiv\nname: Kyiv\ncountry: UA\nlat: 50.45\nlon: 30.52\nregion: on\n"
             "note: yes\naliases: [yes, NO, off, '012345', 10:30, 2022-03-02, 1_000, ~x,"
             " '0x1F']\n")
    project = make_project(root, {"content/places/kyiv.yaml": place})
    with build_env(shared_cache(tmp_path_factory)):
        build(project, root / "out", incremental=False)
    return read_tree(root / "out")


def test_yaml_1_1_words_stay_text_in_csv_json_and_record_json(
        look_alikes: dict[str, bytes]) -> None:
    (place,) = json.loads(look_alikes["data/places.json"])
    assert {k: place[k] for k in LOOK_ALIKES} == LOOK_ALIKES
    aliases = [row["alias"] for row in json.loads(look_alikes["data/place_aliases.json"])]
    assert aliases == ALIASES
    rows = list(csv.DictReader(io.StringIO(look_alikes["data/place_aliases.csv"].decode())))
    assert [row["alias"] for row in rows] == ALIASES
    record = json.loads(look_alikes["places/kyiv.json"])
    assert record["fields"]["aliases"] == ALIASES and record["fields"]["region"] == "on"


def test_yaml_1_1_words_stay_text_in_sqlite_and_on_the_page(
        look_alikes: dict[str, bytes], tmp_path: Path) -> None:
    database = tmp_path / "facts.sqlite"
    database.write_bytes(look_alikes["data/base-facts.sqlite"])
    con = sqlite3.connect(database)
    try:
        stored = con.execute("SELECT alias, typeof(alias) FROM place_aliases "
                             "ORDER BY position").fetchall()
    finally:
        con.close()
    assert stored == [(alias, "text") for alias in ALIASES]
    page = look_alikes["places/kyiv/index.html"].decode()
    for alias in ("012345", "10:30", "NO", "yes"):
        assert f">{alias}<" in page or f"{alias}," in page or f" {alias}" in page, alias


def test_a_number_in_a_list_of_text_is_an_error_at_the_item(tmp_path: Path) -> None:
    place = "id: lviv\nname: Lviv\nlat: 49.84\nlon: 24.03\naliases: [Lemberg, 1.10]\n"
    assert problems(tmp_path, {"content/places/lviv.yaml": place}) == [
        "content/places/lviv.yaml:5:20: error[type-text]: items of 'aliases' are text, not the "
        "number 1.1; quote the item"]


@pytest.mark.parametrize("key", ["on", "yes", "n"])
def test_yaml_1_1_words_as_keys_stay_text(tmp_path: Path, key: str) -> None:
    place = f"id: lviv\nname: Lviv\nlat: 49.84\nlon: 24.03\n{key}: x\n"
    lines = problems(tmp_path, {"content/places/lviv.yaml": place})
    assert codes(lines) == ["field-unknown"] and f"unknown field '{key}'" in lines[0]


# -- escapes that write what a file cannot hold ----------------------------------------------

@pytest.mark.parametrize(("escape", "char"), [
    ("\\0", "U+0000"), ("\\x1b", "U+001B"), ("\\a", "U+0007"), ("\\x7f", "U+007F"),
    ("\\x9b", "U+009B"), ("\\uFFFE", "U+FFFE"), ("\\uFFFF", "U+FFFF"), ("\\e", "U+001B"),
])
def test_an_escape_for_an_unprintable_character_is_an_error(tmp_path: Path, escape: str,
                                                            char: str) -> None:
    place = f'id: lviv\nname: "Lviv{escape}"\nlat: 49.84\nlon: 24.03\n'
    assert problems(tmp_path, {"content/places/lviv.yaml": place}) == [
        f"content/places/lviv.yaml:2:7: error[yaml-escape]: an escape here writes character "
        f"{char}, which text cannot hold; remove it"]


def test_an_unprintable_escape_in_site_yaml_is_an_error(tmp_path: Path) -> None:
    site = (make_project(tmp_path, name="base") / "site.yaml").read_text()
    site = site.replace("title: Base fact base", 'title: "Base\\0"')
    assert codes(problems(tmp_path, {"site.yaml": site})) == ["yaml-escape"]


def test_escaped_tabs_line_breaks_and_emoji_are_text(tmp_path: Path) -> None:
    place = 'id: lviv\nname: "L\\tv\\r\\n\\u2028\\U0001F600\\x85"\nlat: 49.84\nlon: 24.03\n'
    gathered = gather(make_project(tmp_path, {"content/places/lviv.yaml": place}))
    assert gathered.ok, gathered.problems
    (lviv,) = [r for r in gathered.records.of("places") if r.id == "lviv"]
    assert lviv.fields["name"] == "L\tv\r\n\u2028\U0001F600\x85"


def test_a_nul_escape_stops_the_build_cleanly_instead_of_crashing_it(tmp_path: Path) -> None:
    """vl-convert aborts the whole process on a NUL in a chart label; it must never get one."""
    place = 'id: kyiv\nname: "Ky\\0iv"\ncountry: UA\nlat: 50.45\nlon: 30.52\n'
    project = make_project(tmp_path, {"content/places/kyiv.yaml": place})
    run = subprocess.run([sys.executable, "-m", "site_gen", "build", str(project), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                         check=False, env={"SITE_GEN_CACHE": str(tmp_path / "cache"),
                                           "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1, run.stderr[-2000:]
    assert "error[yaml-escape]" in run.stdout and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


# -- a final line break that `$` would let through --------------------------------------------

BREAKS = [
    ("content/places/lviv.yaml", 'id: lviv\nname: Lviv\nlat: 49.8\nlon: 24.0\ncountry: "UA\\n"\n',
     "pattern-line-break"),
    ("content/places/lviv.yaml", "id: lviv\nname: Lviv\nlat: 49.8\nlon: 24.0\ncountry: |\n  UA\n",
     "pattern-line-break"),
    ("content/actors/lviv.yaml", 'id: lviv\nname: Lviv\nkind: person\nwikidata: "Q1\\n"\n',
     "pattern-line-break"),
    ("content/sources/s.yaml", 'id: s\ntitle: S\npublished: 2022-03-01\nlanguage: "en\\n"\n',
     "pattern-line-break"),
    ("content/sources/s.yaml", 'id: s\ntitle: S\npublished: 2022-03-01\nurl: "https://x.org\\n"\n',
     "pattern-line-break"),
    ("content/sources/s.yaml", 'id: s\ntitle: S\npublished: "2022-03-01\\n"\n', "date-invalid"),
    ("content/figures/f.yaml", figure("f", group='"g\\n"'), "pattern-line-break"),
    ("content/events/e.yaml", 'id: e\ndate: 2022-03-01\ntitle: E\ntype: strike\n'
     'status: reported\nsources: [wire-report]\ntags: ["kyiv\\n"]\n', "pattern-line-break"),
    ("content/places/lviv.yaml", 'id: "lviv\\n"\nname: Lviv\nlat: 49.8\nlon: 24.0\n',
     "id-pattern"),
]


@pytest.mark.parametrize(("path", "text", "code"), BREAKS,
                         ids=[f"{b[0].split('/')[1]}-{i}" for i, b in enumerate(BREAKS)])
def test_a_code_with_a_final_line_break_is_an_error(tmp_path: Path, path: str, text: str,
                                                    code: str) -> None:
    assert codes(problems(tmp_path, {path: text})) == [code]


@pytest.mark.parametrize(("old", "new", "code"), [
    ("strike: Strike", '"strike\\n": Strike', "config-vocabulary"),
    ("name: base-facts", 'name: "base-facts\\n"', "config-dataset"),
    ("language: en", 'language: "en\\n"', "config-language"),
])
def test_a_setting_with_a_final_line_break_is_an_error(tmp_path: Path, old: str, new: str,
                                                       code: str) -> None:
    site = (make_project(tmp_path, name="base") / "site.yaml").read_text()
    assert old in site
    assert code in codes(problems(tmp_path, {"site.yaml": site.replace(old, new)}))


# -- ids --------------------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", [
    "a/b", "..", ".", "/etc/passwd", "kyiv/../x", "%2e%2e", "", "-kyiv", " kyiv", "kyiv ",
    "kyiv\\n", "kyiv\\\\x", "Kyiv", "ky iv", "киев", "kyiv.html", "kyiv?x=1", "kyiv#top",
])
def test_an_id_that_is_not_a_slug_is_refused(tmp_path: Path, record_id: str) -> None:
    place = f'id: "{record_id}"\nname: X\nlat: 49.8\nlon: 24.0\n'
    assert codes(problems(tmp_path, {"content/places/x.yaml": place})) == ["id-pattern"]


def test_ids_differing_only_in_case_cannot_both_exist(tmp_path: Path) -> None:
    place = "id: Kyiv\nname: Kyiv again\nlat: 50.45\nlon: 30.52\n"
    lines = problems(tmp_path, {"content/places/kyiv-upper.yaml": place})
    assert codes(lines) == ["id-pattern"] and "(e.g. kyiv)" in lines[0]


def test_the_same_id_twice_in_one_list_file_points_at_the_second(tmp_path: Path) -> None:
    places = ("- id: lviv\n  name: Lviv\n  lat: 49.8\n  lon: 24.0\n"
              "- id: lviv\n  name: Lviv again\n  lat: 49.8\n  lon: 24.0\n")
    assert problems(tmp_path, {"content/places/more.yaml": places}) == [
        "content/places/more.yaml:5:7: error[id-duplicate]: place id 'lviv' is already used at "
        "content/places/more.yaml:1:7; ids are unique within a collection"]


# -- supersedes ---------------------------------------------------------------------------------

def test_a_supersedes_cycle_of_two_is_reported_at_both_figures(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"content/figures/a.yaml": figure("a", 1, supersedes="b"),
                                "content/figures/b.yaml": figure("b", 2, supersedes="a")})
    assert lines == [
        f"content/figures/{f}.yaml:8:13: error[figure-supersedes-cycle]: figure '{f}' is part "
        "of a supersedes cycle (a → b → a), so none of them is the current figure; only the "
        "later figure names the earlier one" for f in ("a", "b")]


def test_a_longer_cycle_is_reported_once_per_figure_and_its_tail_is_not(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {
        "content/figures/a.yaml": figure("a", 1, supersedes="b"),
        "content/figures/b.yaml": figure("b", 2, supersedes="c"),
        "content/figures/c.yaml": figure("c", 3, supersedes="a"),
        "content/figures/d.yaml": figure("d", 4, supersedes="a"),
    }
    lines = problems(tmp_path, files)
    assert codes(lines) == ["figure-supersedes-cycle"] * 3
    assert [line.split(":")[0] for line in lines] == [
        f"content/figures/{f}.yaml" for f in "abc"]
    assert "(a → b → c → a)" in lines[0]


def test_a_chain_of_supersedes_without_a_cycle_is_fine(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {
        "content/figures/a.yaml": figure("a", 1),
        "content/figures/b.yaml": figure("b", 2, supersedes="a"),
        "content/figures/c.yaml": figure("c", 3, supersedes="b"),
    }
    assert problems(tmp_path, files) == []


def test_superseding_a_missing_figure_is_a_dangling_reference(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"content/figures/a.yaml": figure("a", 1, supersedes="zz")})
    assert codes(lines) == ["reference-missing"] and "'zz'" in lines[0]


# -- slugs that meet in one output name ---------------------------------------------------------

def test_groups_and_metrics_whose_slugs_meet_get_distinct_charts(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {
        "content/figures/a.yaml": figure("a", 1, group="kyiv_toll"),
        "content/figures/b.yaml": figure("b", 2, group="kyiv-toll"),
        "content/figures/c.yaml": figure("c", 3, group="killed"),
    }
    gathered = gather(make_project(tmp_path, files))
    assert gathered.ok and gathered.config is not None, gathered.problems
    ids = [draft.id for draft in drafts(gathered.tables, gathered.config)]
    assert len(ids) == len(set(ids))
    assert {"figures-kyiv-toll", "figures-kyiv-toll-2", "figures-killed",
            "figures-killed-2"} <= set(ids)


# -- the project's own data package descriptor --------------------------------------------------

PACKAGE = (Path(__file__).parent.parent / "site_gen/defaults/datasets/datapackage.yaml"
           ).read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new"), [
    ("- name: event_tags", "- name: ../event_tags"),
    ("- name: event_tags", "- name: index"),
    ("- name: event_tags", "- name: base-facts"),
    ("schema: schemas/event_tags.yaml", "schema: ../../../../../../etc/passwd"),
    ("schema: schemas/event_tags.yaml", "schema: /etc/hostname"),
])
def test_a_resource_that_would_escape_or_clash_is_a_problem(tmp_path: Path, old: str,
                                                            new: str) -> None:
    assert old in PACKAGE
    lines = problems(tmp_path, {"datasets/datapackage.yaml": PACKAGE.replace(old, new, 1)})
    assert codes(lines) == ["schema-package"], lines


def test_a_resource_that_is_not_a_mapping_is_a_problem(tmp_path: Path) -> None:
    text = PACKAGE.replace("resources:\n", "resources:\n  - just a word\n", 1)
    assert codes(problems(tmp_path, {"datasets/datapackage.yaml": text})) == ["schema-package"]


def test_a_json_surrogate_pair_escape_says_how_to_write_the_character(tmp_path: Path) -> None:
    place = 'id: lviv\nname: "Lviv \\ud83c\\uddfa\\ud83c\\udde6"\nlat: 49.84\nlon: 24.03\n'
    lines = problems(tmp_path, {"content/places/lviv.yaml": place})
    assert codes(lines) == ["yaml-syntax"]
    assert "\\U0001F600" in lines[0] and "surrogate" in lines[0]


# -- URLs ----------------------------------------------------------------------------------------

HOSTILE_URLS = [  # as written inside a YAML double-quoted scalar
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "\\tjavascript:alert(1)", "\\njavascript:alert(1)", "java\\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x",
    "https:evil.example", 'http://x.org/\\">x', "http://x.org/<script>",
    "http://x.org/'onmouseover='alert(1)", "https://x.org/a b", "https://x.org/`x`",
    "https://x.org/\\n", "https://x.org/\\u2028", "http://",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_url_that_is_not_one_plain_http_address_is_refused(tmp_path: Path, url: str) -> None:
    source = f'id: leaflet\ntitle: Leaflet\npublished: 2022-03-02\nurl: "{url}"\n'
    lines = problems(tmp_path, {"content/sources/leaflet.yaml": source})
    assert codes(lines)[:1] in (["url-scheme"], ["pattern-line-break"]), lines


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_pages_never_link_to_a_url_that_is_not_one_plain_http_address(url: str) -> None:
    value = read_yaml("u.yaml", f'u: "{url}"\n'.encode())[0].value["u"]
    assert external_url(value) == ""
