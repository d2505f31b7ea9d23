"""A figure page lists the claims of its group nearest in time, not the whole group."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golden.support import SITE, StandInCharts
from test_incremental import tree

from site_gen.build import Builder
from site_gen.memo import Memo
from site_gen.render import render_site, site_model
from site_gen.theme import make_env
from site_gen.validate import gather
from site_gen.views import NEAREST_CLAIMS

DAILY = 30  # claims added to the example's group of three, more than a page lists


def daily_claim(day: int, suffix: str = "", text: str = "") -> str:
    return (f"id: daily-{day:02d}{suffix}\nmetric: killed\nsubject: civilians in Kyiv\n"
            f"value: {day + 1}\nqualifier: at_least\n"
            f"value_text: {text or f'at least {day + 1}'}\nunit: people\n"
            f"as_of: 2022-01-{day + 1:02d}\nplace: kyiv\nclaimant: ukraine-ministry\n"
            f"source: wire-report\ngroup: kyiv-killed\n")


def write_claim(project: Path, day: int, suffix: str = "", text: str = "") -> None:
    """One claim per file, so that an edit changes the version of that claim alone."""
    (project / f"content/figures/daily-{day:02d}{suffix}.yaml").write_text(
        daily_claim(day, suffix, text), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "project"
    shutil.copytree(SITE, target)
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    for day in range(DAILY):
        write_claim(target, day)
    return target


def competing(page: bytes) -> str:
    html = page.decode()
    return html[html.index('id="competing-heading"'):html.index("</section>",
                                                                 html.index("competing-heading"))]


def test_a_page_lists_the_nearest_claims_and_links_the_whole_group(project: Path) -> None:
    files = render_site(gather(project), StandInCharts(), make_env(project))
    section = competing(files["figures/daily-15/index.html"])
    listed = [f"daily-{day:02d}" for day in range(10, 21) if day != 15]
    assert section.count('<article class="figure-card') == NEAREST_CLAIMS == len(listed)
    positions = [section.index(f'id="figure-{claim}"') for claim in listed]
    assert positions == sorted(positions)
    assert "of 33 claims about this quantity in all" in section
    assert '<a href="../../figures/#group-kyiv-killed">All 33 claims about this quantity' \
        in section
    first = competing(files["figures/daily-00/index.html"])
    assert [f'id="figure-daily-{day:02d}"' in first for day in range(12)] == \
        [False, *[True] * NEAREST_CLAIMS, False]
    index = files["figures/index.html"].decode()
    assert 'id="group-kyiv-killed"' in index
    assert index.count('id="figure-daily-') == DAILY
    small = competing(files["figures/refugees-projection/index.html"]) if \
        b"competing-heading" in files["figures/refugees-projection/index.html"] else ""
    assert "in all" not in small


def rerender(project: Path, memo: Memo) -> dict[str, bytes]:
    gathered = gather(project)
    return render_site(gathered, StandInCharts(), make_env(project), site_model(gathered),
                       memo, "print")


def test_an_edit_far_away_leaves_a_page_alone_and_a_nearer_claim_renders_it(
        project: Path) -> None:
    memo = Memo()
    rerender(project, memo)
    memo = memo.next()
    write_claim(project, DAILY - 1, text="at least thirty")
    files = rerender(project, memo)
    assert "figures/daily-29/index.html" in files and "figures/daily-28/index.html" in files
    assert "figures/daily-05/index.html" not in files
    memo = memo.next()
    write_claim(project, 5, "a")
    files = rerender(project, memo)
    assert 'id="figure-daily-05a"' in competing(files["figures/daily-10/index.html"])
    assert "of 34 claims" in competing(files["figures/daily-29/index.html"])


def test_incremental_builds_match_clean_builds_after_group_edits(project: Path,
                                                                 tmp_path: Path) -> None:
    builder = Builder(project, tmp_path / "incremental")
    builder.build()
    edits = [(DAILY - 1, "", "at least thirty"), (5, "a", "")]
    for step, (day, suffix, text) in enumerate(edits):
        write_claim(project, day, suffix, text)
        builder.build()
        Builder(project, tmp_path / f"clean-{step}").build()
        incremental, fresh = tree(tmp_path / "incremental"), tree(tmp_path / f"clean-{step}")
        assert set(incremental) == set(fresh)
        assert [p for p in fresh if incremental[p] != fresh[p]] == [], step
