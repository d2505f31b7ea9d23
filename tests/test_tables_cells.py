"""Rows share the cells that recur across records, and dates are made as they always were."""

from __future__ import annotations

from pathlib import Path

from conftest import make_project

from site_gen.validate import gather


def _event(event_id: str, date: str) -> str:
    return (f"id: {event_id}\ndate: {date}\ntitle: An event\ntype: strike\n"
            "status: reported\nplaces: [kyiv]\nsources: [wire-report]\n")


def test_recurring_dates_are_one_string_in_every_row(tmp_path: Path) -> None:
    files = {"content/events/a.yaml": _event("a", "2022-03-01/2022-03-04"),
             "content/events/b.yaml": _event("b", "'2022-03-01/2022-03-04'")}
    rows = {row["id"]: row for row in gather(make_project(tmp_path, files)).tables["events"].rows}
    first, second = rows["a"], rows["b"]
    assert first["date_start"] == "2022-03-01" and first["date_end"] == "2022-03-04"
    assert first["date_precision"] == "interval"
    for name in ("date_start", "date_end", "date_precision"):
        assert first[name] is second[name]
        assert next(k for k in first if k == name) is next(k for k in second if k == name)


def test_a_year_written_as_a_number_is_a_date_and_other_numbers_are_not(
        tmp_path: Path) -> None:
    files = {"content/events/a.yaml": _event("a", "2022"),
             "content/events/b.yaml": _event("b", "2022.0"),
             "content/events/c.yaml": _event("c", "true"),
             "content/events/d.yaml": _event("d", "[2022]")}
    gathered = gather(make_project(tmp_path, files))
    rows = {row["id"]: row for row in gathered.tables["events"].rows}
    assert (rows["a"]["date"], rows["a"]["date_precision"]) == ("2022", "year")
    assert rows["b"]["date"] == 2022.0 and rows["b"]["date_start"] is None
    assert rows["c"]["date"] is True and rows["c"]["date_start"] is None
    assert rows["d"]["date"] == "[2022]" and rows["d"]["date_start"] is None
    assert {p.path for p in gathered.problems} == {f"content/events/{x}.yaml" for x in "bcd"}
