"""A long-lived build remakes only the charts whose inputs changed, with a fresh build's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_project
from hypothesis import given
from hypothesis import strategies as st

from site_gen import chart_output
from site_gen.build import Builder
from site_gen.chart import Charts, make_charts
from site_gen.chart_events import EventCounts, event_plans
from site_gen.chart_memo import ChartMemo
from site_gen.chart_output import svg_cache_path
from site_gen.validate import gather

FIGURES = """\
- {id: refugees-a, metric: refugees, value: 1000, qualifier: about, as_of: 2022-03-01,
   claimant: wire-agency, source: wire-report, group: ukraine-refugees}
- {id: refugees-b, metric: refugees, value: 2000, qualifier: exact, as_of: 2022-03-02,
   claimant: wire-agency, source: wire-report, group: ukraine-refugees}
- {id: hurt-a, metric: killed, value: 3, qualifier: exact, as_of: 2022-03-02,
   claimant: city-mayor, source: wire-report, group: hurt_x}
- {id: hurt-b, metric: killed, value: 4, qualifier: exact, as_of: 2022-03-02,
   claimant: city-mayor, source: wire-report, group: hurt-x}
"""
PLACE = "id: lviv\nname: Lviv\ncountry: UA\nlat: 49.84\nlon: 24.03\n"
CHARTS = 6  # killed (kyiv-killed), hurt-x twice, ukraine-refugees, events per day, the map


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SVG cache for the module: each distinct chart is drawn once."""
    return tmp_path_factory.mktemp("chart-cache")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"content/figures/more.yaml": FIGURES,
                                   "content/places/lviv.yaml": PLACE})


def charts_of(project: Path, cache: Path, memo: ChartMemo | None = None,
              site: str = "site") -> Charts:
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    assert gathered.config is not None
    return make_charts(gathered.tables, gathered.config, cache, memo=memo, site=site)


def same_as_fresh(charts: Charts, project: Path, cache: Path) -> None:
    fresh = charts_of(project, cache)
    assert charts.files == fresh.files
    assert charts.charts == fresh.charts


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_remakes_only_the_charts_whose_rows_changed(project: Path, cache: Path) -> None:
    memo = ChartMemo()
    charts_of(project, cache, memo)
    assert memo.remade == CHARTS and len(memo.made) == CHARTS
    same_as_fresh(charts_of(project, cache, memo), project, cache)
    assert memo.remade == 0

    edit(project / "content/figures/more.yaml", "value: 2000", "value: 2500")
    charts = charts_of(project, cache, memo)
    assert memo.remade == 1
    assert b"2500" in charts.files["charts/figures-ukraine-refugees.csv"]
    same_as_fresh(charts, project, cache)

    # A title is not plotted: no chart changes.
    edit(project / "content/events/kyiv-strike.yaml", "title: ", "title: New ")
    same_as_fresh(charts_of(project, cache, memo), project, cache)
    assert memo.remade == 0

    # A claimant's name is shown in its figures' chart only.
    edit(project / "content/actors/actors.yaml", "name: City mayor", "name: The city mayor")
    charts = charts_of(project, cache, memo)
    assert memo.remade == 2  # the two hurt-x charts
    same_as_fresh(charts, project, cache)


def test_reused_charts_take_the_ids_of_a_clean_build(project: Path, cache: Path) -> None:
    """Groups hurt-x and hurt_x ask for the same id; the second (in key order) gets
    figures-hurt-x-2 until the first is gone, though its own rows did not change."""
    memo = ChartMemo()
    before = charts_of(project, cache, memo)
    assert before.by_id("figures-hurt-x-2") is not None
    edit(project / "content/figures/more.yaml", "group: hurt-x", "group: ukraine-refugees")
    after = charts_of(project, cache, memo)
    assert memo.remade == 1  # ukraine-refugees gained a figure; hurt-x is reused
    assert after.by_id("figures-hurt-x-2") is None
    moved = after.by_id("figures-hurt-x")
    assert moved is not None and moved.figure_ids == ("hurt-a",)
    assert after.files["charts/figures-hurt-x.vl.json"] == \
        before.files["charts/figures-hurt-x-2.vl.json"]
    same_as_fresh(after, project, cache)


def test_a_chart_kept_under_its_id_is_the_same_object(project: Path, cache: Path) -> None:
    """Pages are keyed on a chart's rows; the very object of the last build needs no second
    digest of them (render_scope.chart_keys), so an unchanged chart must come back as it."""
    memo = ChartMemo()
    first = charts_of(project, cache, memo)
    second = charts_of(project, cache, memo)
    assert [c is d for c, d in zip(first.charts, second.charts, strict=True)] == [True] * CHARTS

    edit(project / "content/figures/more.yaml", "group: hurt-x", "group: ukraine-refugees")
    third = charts_of(project, cache, memo)
    kept = {c.id: c for c in second.charts}
    same = {c.id for c in third.charts if kept.get(c.id) is c}
    # The refugees chart changed and hurt-x moved from id figures-hurt-x-2: both are new.
    assert same == {c.id for c in third.charts} - {"figures-ukraine-refugees", "figures-hurt-x"}
    same_as_fresh(third, project, cache)

    fourth = charts_of(project, cache, memo, site="templates changed")
    assert not any(c is d for c, d in zip(third.charts, fourth.charts, strict=True))
    assert fourth.charts == third.charts


def test_a_changed_site_or_config_remakes_every_chart(project: Path, cache: Path) -> None:
    memo = ChartMemo()
    charts_of(project, cache, memo)
    charts_of(project, cache, memo, site="templates changed")
    assert memo.remade == CHARTS
    edit(project / "site.yaml", "killed: People killed", "killed: Killed")
    charts = charts_of(project, cache, memo, site="templates changed")
    assert memo.remade == CHARTS
    assert b"Killed" in charts.files["charts/figures-killed.vl.json"]
    same_as_fresh(charts, project, cache)


def test_known_svgs_are_neither_read_nor_checked_again(project: Path, cache: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    memo = ChartMemo()
    charts_of(project, cache, memo)  # draws what the cache lacks
    charts_of(project, cache, memo)  # reads and checks every SVG
    assert len(memo.svgs) == CHARTS
    checks: list[bytes] = []
    plain = chart_output.plain_svg
    monkeypatch.setattr(chart_output, "plain_svg",
                        lambda data: checks.append(data) or plain(data))
    edit(project / "content/figures/more.yaml", "value: 2000", "value: 2600")
    charts = charts_of(project, cache, memo)
    assert checks == []  # the remade chart's SVG is drawn, the others known
    assert len(memo.svgs) == CHARTS - 1  # the old refugees SVG is let go
    assert charts.files == charts_of(project, cache).files


def test_a_planted_svg_is_not_trusted_for_a_spec_never_checked(project: Path,
                                                               tmp_path: Path) -> None:
    memo, cache = ChartMemo(), tmp_path / "cache"
    charts_of(project, cache, memo)
    charts_of(project, cache, memo)
    edit(project / "content/figures/kyiv-killed.yaml", "value: 5", "value: 6")
    good = charts_of(project, cache)  # drawn and stored in the cache
    chart = good.by_id("figures-killed")
    assert chart is not None
    planted = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    svg_cache_path(cache, good.files[chart.spec_path]).write_bytes(planted)
    charts = charts_of(project, cache, memo)
    assert charts.files[chart.svg_path] == good.files[chart.svg_path]


def test_only_a_long_lived_builder_keeps_charts(project: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    assert Builder(project, tmp_path / "once", long_lived=False).charts is None
    builder = Builder(project, tmp_path / "live")
    builder.build()
    assert builder.charts is not None and builder.charts.remade == CHARTS
    edit(project / "content/figures/more.yaml", "value: 3,", "value: 30,")
    builder.build()
    assert builder.charts.remade == 1
    Builder(project, tmp_path / "clean", long_lived=False).build()
    for path in sorted((tmp_path / "clean" / "charts").iterdir()):
        assert (tmp_path / "live" / "charts" / path.name).read_bytes() == path.read_bytes()


@given(st.lists(st.tuples(st.sampled_from(["change", "same", "insert", "delete", "move"]),
                          st.integers(0, 10_000), st.sampled_from(["day", "month", "year",
                                                                   "interval", None])),
                max_size=12))
def test_event_counts_kept_across_edits_equal_counts_from_nothing(
        edits: list[tuple[str, int, str | None]]) -> None:
    """Each edit replaces, keeps, adds, removes or moves rows; the counts a long-lived builder
    updates (only the rows that are not the very rows of the last build) equal a recount."""

    def row(n: int, precision: str | None) -> dict[str, object]:
        return {"id": f"e{n}", "date_precision": precision, "type": "abc"[n % 3],
                "date_start": f"2022-03-{1 + n % 9:02d}" if n % 7 else None}

    rows = [row(n, "day" if n % 4 else "month") for n in range(40)]
    kept = EventCounts()
    for action, n, precision in edits:
        at = n % len(rows) if rows else 0
        if action == "change" and rows:
            rows[at] = row(n, precision)  # a new object, as for an edited record
        elif action == "insert":
            rows.insert(at, row(n, precision))
        elif action == "delete" and rows:
            del rows[at]
        elif action == "move" and rows:
            rows.append(rows.pop(at))
        kept.update(list(rows))
        fresh = EventCounts()
        fresh.update(list(rows))
        assert (kept.daily, kept.coarse) == (fresh.daily, fresh.coarse)
        assert all(kept.daily.values()) and all(kept.coarse.values())
    assert event_plans({}, kept) == []


def test_event_counts_cut_short_by_an_error_are_counted_again() -> None:
    rows = [{"id": f"e{n}", "date_precision": "day", "date_start": "2022-03-01",
             "type": "strike"} for n in range(40)]
    kept = EventCounts()
    kept.update(rows)
    broken = [*rows[:20], {**rows[20], "type": ["not", "hashable"]}, *rows[21:]]
    with pytest.raises(TypeError):
        kept.update(broken)
    kept.update([])
    assert not kept.daily and not kept.coarse
    with pytest.raises(TypeError):
        kept.update(broken)
    kept.update(rows)
    assert kept.daily == {("2022-03-01", "strike"): 40}
