"""`site-gen validate`: the example project passes, any project's own vocabularies rule, and
problems come out complete, one a line, in text, GitHub and JSON forms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import make_project, run_cli

from site_gen.validate import GatherCache, gather

REPO = Path(__file__).resolve().parents[1]
PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: error\[[a-z0-9-]+\]: .+$")
GITHUB_LINE = re.compile(r"^::error file=[^,:]+,line=\d+,col=\d+::\[[a-z0-9-]+\] .+$")
MINIMUM = {"events": 12, "figures": 15, "quotes": 8, "actors": 15, "places": 5}


def problem_lines(stdout: str) -> list[str]:
    """The problem lines of a text report, checked against the one-line format."""
    lines = stdout.splitlines()
    assert re.fullmatch(r"\d+ errors? in \d+ files?", lines[-1]), lines[-1]
    for line in lines[:-1]:
        assert PROBLEM_LINE.match(line), line
    return lines[:-1]


# -- the example project ----------------------------------------------------------------------

@pytest.mark.skipif(not (REPO / "content").is_dir(),
                    reason="the example project has no content/ in this checkout")
def test_example_project_validates() -> None:
    result = run_cli("validate", str(REPO))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d+ records valid\.\n", result.stdout)


@pytest.mark.skipif(not (REPO / "content").is_dir(),
                    reason="the example project has no content/ in this checkout")
def test_example_project_is_big_enough_to_show_every_page() -> None:
    gathered = gather(REPO)
    counts = {c: len(gathered.records.of(c)) for c in MINIMUM}
    assert all(counts[c] >= n for c, n in MINIMUM.items()), counts
    assert gathered.records.of("sources"), "every event needs a source"


# -- a project that is not this repository -------------------------------------------------------

FLOODS = {
    "site.yaml": """\
title: River flood watch
description: Floods and evacuations along the river, as reported.
base_url: https://floods.example.net/
language: de
dataset: {name: flood-watch, version: "0.1.0"}
vocabularies:
  event_types: {flood: Flood, evacuation: Evacuation}
  metrics: {displaced: People displaced, rainfall: Rainfall}
""",
    "content/sources/gazette.yaml": """\
id: gazette
title: River rises over the banks
url: https://gazette.example.net/flood
published: 2024-06
language: de
type: article
""",
    "content/actors/agencies.yaml": """\
- id: civil-protection
  name: Civil protection agency
  kind: government
  country: DE
- id: red-cross
  name: Red Cross
  kind: organization
""",
    "content/places/passau.yaml": """\
id: passau
name: Passau
country: DE
lat: 48.57
lon: 13.43
""",
    "content/events/passau-flood.yaml": """\
- id: passau-flood
  date: 2024-06-03
  title: Old town flooded
  type: flood
  status: confirmed
  places: [passau]
  sources: [gazette]
- id: passau-evacuation
  date: 2024-06-02/2024-06-04
  title: Riverside evacuated
  type: evacuation
  status: reported
  actors: [civil-protection, red-cross]
  sources: [gazette]
""",
    "content/figures/passau-displaced.yaml": """\
id: passau-displaced
metric: displaced
value: 2000
value_high: 3000
qualifier: range
as_of: 2024-06-04
place: passau
event: passau-evacuation
claimant: civil-protection
source: gazette
""",
    "content/quotes/red-cross-shelters.yaml": """\
id: red-cross-shelters
text: Every shelter is full.
kind: direct
speaker: red-cross
said_on: 2024-06-04
source: gazette
""",
}


def test_a_project_with_its_own_vocabularies_validates(tmp_path: Path) -> None:
    project = make_project(tmp_path, FLOODS, base=False)
    result = run_cli("validate", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout == "8 records valid.\n"


def test_a_value_outside_the_project_vocabulary_lists_its_own_terms(tmp_path: Path) -> None:
    files = dict(FLOODS)
    files["content/events/strike.yaml"] = """\
id: bridge-strike
date: 2024-06-05
title: Bridge hit by debris
type: strike
status: reported
sources: [gazette]
"""
    files["content/figures/killed.yaml"] = """\
id: bridge-killed
metric: killed
qualifier: unquantified
as_of: 2024-06-05
claimant: red-cross
source: gazette
"""
    result = run_cli("validate", str(make_project(tmp_path, files, base=False)))
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == [
        "content/events/strike.yaml:4:7: error[vocabulary]: 'strike' is not in the event_types "
        "vocabulary of site.yaml (allowed: flood, evacuation); use one of them or add it to "
        "site.yaml",
        "content/figures/killed.yaml:2:9: error[vocabulary]: 'killed' is not in the metrics "
        "vocabulary of site.yaml (allowed: displaced, rainfall); use one of them or add it to "
        "site.yaml",
    ]


# -- output formats --------------------------------------------------------------------------

AWKWARD = {
    # a path with a comma and a percent sign, a message quoting a newline and a percent sign
    "content/events/flood,50%.yaml": """\
id: "north\\nflood"
date: 2022-03-02
title: Flood
type: strike
status: reported
sources: [wire-report]
"share%": 5
""",
}


def test_github_format_escapes_paths_and_messages(tmp_path: Path) -> None:
    result = run_cli("validate", str(make_project(tmp_path, AWKWARD)), "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "2 errors in 1 file"
    assert all(GITHUB_LINE.match(line) for line in lines[:-1]), lines
    assert lines[0].startswith(
        "::error file=content/events/flood%2C50%25.yaml,line=1,col=5::[id-pattern] "
        "id 'north%0Aflood' is not a slug")
    assert "letters, digits and hyphens" in lines[0], "commas in the message itself stay"
    assert lines[1] == ("::error file=content/events/flood%2C50%25.yaml,line=7,col=1::"
                        "[field-unknown] unknown field 'share%25' for events")


def test_text_format_keeps_one_problem_per_line(tmp_path: Path) -> None:
    result = run_cli("validate", str(make_project(tmp_path, AWKWARD)))
    lines = problem_lines(result.stdout)
    assert len(lines) == 2
    assert "id 'north\\nflood' is not a slug" in lines[0]


def test_json_format_lists_the_same_problems(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"content/events/bad.yaml": """\
id: Bad_Event
date: 2022-02-30
title: 1.10
type: shelling
status: rumoured
sources: [nowhere]
"""})
    text = run_cli("validate", str(project))
    as_json = run_cli("validate", str(project), "--format", "json")
    assert as_json.exit_code == text.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["count"] == len(report["problems"]) == 6
    rendered = [f"{p['path']}:{p['line']}:{p['col']}: {p['severity']}[{p['code']}]: "
                f"{p['message']}" for p in report["problems"]]
    assert rendered == problem_lines(text.stdout)


def test_json_format_of_a_valid_project(tmp_path: Path) -> None:
    result = run_cli("validate", str(make_project(tmp_path)), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"problems": [], "count": 0}


# -- exit statuses -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "{tmp}/missing"], "does not exist"),
        (["validate", "{tmp}"], "no site.yaml"),
        (["validate", "{project}", "--format", "xml"], "'xml' is not one of"),
        (["validate", "{project}", "--colour"], "No such option"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str],
                                               message: str) -> None:
    project = make_project(tmp_path)
    result = run_cli(*(a.format(tmp=tmp_path, project=project) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_broken_site_yaml_is_a_content_problem(tmp_path: Path) -> None:
    site = "title: [Flood watch\nlanguage: en\n"
    result = run_cli("validate", str(make_project(tmp_path, {"site.yaml": site})))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert problem_lines(result.stdout) == [
        "site.yaml:1:8: error[yaml-syntax]: YAML syntax: this '[' has no matching ']' before "
        "line 2, column 9 (did not find expected ',' or ']')"]


# -- volume ----------------------------------------------------------------------------------

def test_more_than_a_thousand_problems_are_all_reported(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {}
    for part in range(11):
        records = [
            f"- id: rumour-{part}-{n}\n  date: 2022-03-02\n  title: Rumour {n}\n"
            f"  type: strike\n  status: rumoured\n  sources: [wire-report]\n"
            for n in range(100)
        ]
        files[f"content/events/rumours-{part:02d}.yaml"] = "".join(records)
    result = run_cli("validate", str(make_project(tmp_path, files)))
    assert result.exit_code == 1
    lines = problem_lines(result.stdout)
    assert len(lines) == 1100
    assert result.stdout.splitlines()[-1] == "1100 errors in 11 files"
    assert len(set(lines)) == 1100
    assert lines[0].startswith("content/events/rumours-00.yaml:5:11: error[enum]:")
    assert lines[-1].startswith("content/events/rumours-10.yaml:599:11: error[enum]:")


def test_a_one_off_gather_keeps_of_the_records_only_what_later_stages_read(
        tmp_path: Path) -> None:
    project = make_project(tmp_path)
    kept = gather(project, GatherCache(), long_lived=False)
    full = gather(project, GatherCache(), long_lived=True)
    assert kept.ok and full.ok
    for mine, whole in zip(kept.records.all(), full.records.all(), strict=True):
        assert len(mine.marks) == 0 and mine.version == whole.version
        lists = {k: v for k, v in whole.fields.items() if isinstance(v, list) or k == "id"}
        assert mine.fields == lists
    assert [t.rows for t in kept.tables.values()] == [t.rows for t in full.tables.values()]
