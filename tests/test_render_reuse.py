"""Record components rendered once: list filters, a group's nearest claims, reuse across builds."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from golden.support import SITE, StandInCharts, read_tree
from test_render_scale import synthetic_project

from site_gen.memo import Memo
from site_gen.render import render_site, site_model
from site_gen.render_pages import PageWriter
from site_gen.site_model import SiteModel
from site_gen.theme import base_context, make_env
from site_gen.validate import gather
from site_gen.views import group_members, nearest_claims

LOOPS = {  # a list filter and the loop of single components it stands for
    "figure_cards": ("figures", "{% for x in xs %}\n{{ x|figure_card }}\n{% endfor %}\n"),
    "event_items": ("events", "{% for x in xs %}\n{{ x|event_item }}\n{% endfor %}\n"),
    "quote_cards": ("quotes", "{% for x in xs %}\n{{ x|quote_card }}\n{% endfor %}\n"),
    "event_rows": ("events", "{% for x in xs %}\n{{ x|event_row }}\n{% endfor %}\n"),
    "event_lines": ("events", "{% for x in xs %}\n{{ x|event_line }}\n{% endfor %}\n"),
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SiteModel]:
    project = synthetic_project(tmp_path_factory.mktemp("reuse") / "project", 400)
    gathered = gather(project)
    assert gathered.ok, gathered.problems[:3]
    return project, site_model(gathered)


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_a_list_filter_writes_what_a_loop_of_components_writes(
        synthetic: tuple[Path, SiteModel], name: str) -> None:
    project, model = synthetic
    collection, loop = LOOPS[name]
    env = make_env(project)
    members = model.ordered[collection][:25]
    for root_path in ("index.html", "timeline/index.html", "events/e1/index.html"):
        context = base_context(model.config, root_path)
        listed = env.from_string(f"<ul>\n{{{{ xs|{name} -}}}}\n</ul>").render(context, xs=members)
        looped = env.from_string(f"<ul>\n{loop}</ul>").render(context, xs=members)
        assert listed == looped
        assert listed.count(f'href="{context["root"]}{collection}/') >= len(members)
        empty = env.from_string(f"<ul>\n{{{{ xs|{name} -}}}}\n</ul>").render(context, xs=[])
        assert empty == "<ul>\n</ul>"


def test_a_small_group_shows_all_its_other_claims(synthetic: tuple[Path, SiteModel]) -> None:
    _, model = synthetic
    group = next(g for g in group_members(model).values() if len(g) >= 3)
    for left_out in group:
        assert nearest_claims(group, left_out) == [m for m in group if m is not left_out]
    assert not nearest_claims(group[:1], group[0])


def test_a_figure_page_key_counts_the_claims_it_lists(
        synthetic: tuple[Path, SiteModel]) -> None:
    project, model = synthetic
    writer = PageWriter(model, make_env(project), {}, Memo(), "print")
    groups = group_members(model)
    figures = [f for f in model.ordered["figures"] if f.fields.get("group")]
    assert figures
    first, second = figures[0], next(f for f in figures[1:] if
                                     f.fields["group"] != figures[0].fields["group"])
    first_key = writer.shown(first, {"competing": nearest_claims(
        groups[str(first.fields["group"])], first)})
    assert first_key != writer.shown(second, {"competing": nearest_claims(
        groups[str(second.fields["group"])], second)})
    assert first_key != writer.shown(first, {"competing": nearest_claims(
        groups[str(first.fields["group"])], first), "group_size": 40})


def test_components_are_reused_until_what_they_show_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    env = make_env(project)
    memo = Memo()
    before = site_model(gather(project))
    render_site(gather(project), StandInCharts(), env, before, memo, "print")
    memo = memo.next()
    assert memo.components

    path = project / "content/events/kyiv-strike.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Missile hits Kyiv TV tower", "Missile strikes the Kyiv TV tower"), encoding="utf-8")
    gathered = gather(project)
    after = site_model(gathered)
    files = render_site(gathered, StandInCharts(), make_env(project), after, memo, "print")

    unchanged = after.entries["events"]["talks"]
    assert unchanged.rendered and unchanged.rendered is before.entries["events"]["talks"].rendered
    edited = after.entries["events"]["kyiv-strike"]
    assert edited.rendered is not before.entries["events"]["kyiv-strike"].rendered
    assert any("Missile strikes the Kyiv TV tower" in markup
               for markup in edited.rendered.values())
    fresh = render_site(gathered, StandInCharts(), make_env(project))
    for page in ("index.html", "timeline/index.html", "events/index.html", "feed.xml"):
        assert files[page] == fresh[page]
    assert b"Missile strikes the Kyiv TV tower" in files["timeline/index.html"]
    assert b"Missile strikes the Kyiv TV tower" in files["feed.xml"]
    assert any(key[0] == "includes/feed_entry.xml" for key in unchanged.rendered)


def test_cached_feed_entries_carry_the_time_of_each_build(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    memo = Memo()
    gathered = gather(project)
    render_site(gathered, StandInCharts(), make_env(project), site_model(gathered), memo, "p")
    memo = memo.next()
    later = replace(gathered, built=gathered.built + timedelta(days=1))
    files = render_site(later, StandInCharts(), make_env(project), site_model(later), memo, "p")
    feed = ET.fromstring(files["feed.xml"])
    times = {e.text for e in feed.iter("{http://www.w3.org/2005/Atom}updated")}
    assert times == {(gathered.built + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert b"\x00" not in files["feed.xml"]


def test_a_project_feed_template_can_still_loop_over_entries(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "feed.xml").write_text(
        "{% for entry in entries %}{{ entry.title }}|{{ entries|length }}\n{% endfor %}",
        encoding="utf-8")
    gathered = gather(project)
    files = render_site(gathered, StandInCharts(), make_env(project))
    lines = files["feed.xml"].decode("utf-8").splitlines()
    assert "Missile hits Kyiv TV tower|4" in lines and len(lines) == 4


def test_a_changed_site_fingerprint_renders_every_component_again(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SITE, project)
    memo = Memo()
    before = site_model(gather(project))
    render_site(gather(project), StandInCharts(), make_env(project), before, memo, "one")
    memo = memo.next()
    after = site_model(gather(project))
    render_site(gather(project), StandInCharts(), make_env(project), after, memo, "two")
    talks = after.entries["events"]["talks"]
    assert talks.rendered and talks.rendered is not before.entries["events"]["talks"].rendered


@pytest.mark.parametrize("long_lived", [False, True])
def test_only_a_long_lived_builder_carries_the_cards_past_render(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        long_lived: bool) -> None:
    """A one-off build frees every record's cards before the data and search stages; a
    long-lived one keeps them for its next render."""
    import site_gen.build as build_module

    cards: list[int] = []
    search = build_module.build_search

    def counting(model: SiteModel, *args: object) -> dict[str, bytes]:
        cards.append(sum(len(entry.rendered) + len(entry.links)
                         for members in model.ordered.values() for entry in members))
        return search(model, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "build_search", counting)
    builder = build_module.Builder(golden_project, tmp_path / "out", long_lived=long_lived)
    builder.build()
    assert len(cards) == 1
    assert (cards[0] > 0) is long_lived
    assert bool(builder.state.memo.components) is long_lived


def test_a_one_off_build_lets_the_index_cards_go_before_the_record_pages(
        golden_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cards of the pages one folder deep are shown by no record page; a one-off build
    drops them before rendering those, a long-lived one keeps them for its next render. The
    files are the same either way."""
    import site_gen.build as build_module
    import site_gen.render_pages as pages_module

    roots: list[set[str]] = []
    in_two = pages_module.in_two

    def looking(items: list[Any], *args: Any, **named: Any) -> None:
        roots.append({key[1] for _, entry in items for key in entry.rendered})
        in_two(items, *args, **named)

    monkeypatch.setattr(pages_module, "in_two", looking)
    trees = []
    for long_lived in (False, True):
        out = tmp_path / f"out-{long_lived}"
        build_module.Builder(golden_project, out, long_lived=long_lived).build()
        trees.append(read_tree(out))
    assert [("../" in found) for found in roots] == [False, True]
    assert all("" in found for found in roots)  # the home page's are kept
    assert trees[0] == trees[1]
