"""Edits rendered within their scope (render_scope) give the bytes of a clean build.

A long-lived builder walks only the record pages an edit can reach and keeps the keys of
the rest; each edit here changes what other records' pages show (a name, a backlink, a
group, a supersedes link, a chart) and must reach them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_build_integrity import generate
from test_incremental import tree

from site_gen import render_pages
from site_gen.build import Builder
from site_gen.problems import ProblemsFound
from site_gen.render_scope import Scope

RECORDS = 400


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITE_GEN_CACHE", str(tmp_path / "cache"))
    return generate(tmp_path / "project", RECORDS)


@pytest.fixture
def scopes(monkeypatch: pytest.MonkeyPatch) -> list[Scope | None]:
    """The scope of each render (None: every record page was walked)."""
    found: list[Scope | None] = []
    real = render_pages.edit_scope

    def spy(*args: object, **kwargs: object) -> Scope | None:
        scope = real(*args, **kwargs)  # type: ignore[arg-type]
        found.append(scope)
        return scope

    monkeypatch.setattr(render_pages, "edit_scope", spy)
    return found


def field(path: Path, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, (path, name)
    return match.group(1).strip().strip('"')


def set_field(path: Path, name: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(rf"^{name}: .*$", f"{name}: {value}", text, count=1,
                         flags=re.MULTILINE)
    if not count:
        new = text.rstrip("\n") + f"\n{name}: {value}\n"
    path.write_text(new, encoding="utf-8")


def record(project: Path, collection: str, has: str = "") -> Path:
    """The first record file of `collection` (whose text contains `has`)."""
    return next(p for p in sorted((project / "content" / collection).glob("*.yaml"))
                if has in p.read_text(encoding="utf-8"))


def page(out: Path, collection: str, record_id: str) -> str:
    return (out / collection / record_id / "index.html").read_text(encoding="utf-8")


class Check:
    """Builds after each edit in one builder and compares with a clean build."""

    def __init__(self, project: Path, tmp: Path, scopes: list[Scope | None]) -> None:
        self.project, self.tmp, self.scopes = project, tmp, scopes
        self.out = tmp / "incremental"
        self.builder = Builder(project, self.out)
        self.builder.build()
        self.step = 0

    def __call__(self, edit: Callable[[], None], scoped: bool = True) -> Path:
        last = self.builder.last_render[0] if self.builder.last_render else None
        edit()
        self.builder.build()
        scope = self.scopes[-1]
        now = self.builder.last_render[0] if self.builder.last_render else None
        in_place = last is not None and now is not None and last.model is now.model
        self.step += 1
        clean = self.tmp / f"clean-{self.step}"
        Builder(self.project, clean).build()
        incremental, fresh = tree(self.out), tree(clean)
        assert set(incremental) == set(fresh), set(incremental) ^ set(fresh)
        different = [path for path in fresh if incremental[path] != fresh[path]]
        assert not different, different[:5]
        if scoped:
            assert scope is not None, "the edit was rendered without a scope"
            assert len(scope.pages) < RECORDS / 2
            assert in_place, "the model was built from nothing"
        return clean


def test_a_referenced_title_reaches_the_pages_that_link_it(
        project: Path, tmp_path: Path, scopes: list[Scope | None]) -> None:
    event = record(project, "events", "sources: [")
    source_id = field(event, "sources").strip("[]").split(",")[0].strip()
    source = record(project, "sources", f"id: {source_id}\n")
    check = Check(project, tmp_path, scopes)
    clean = check(lambda: set_field(source, "title", '"A title nobody used before"'))
    assert "A title nobody used before" in page(clean, "events", field(event, "id"))


def test_an_actor_name_reaches_quote_cards_on_other_pages(
        project: Path, tmp_path: Path, scopes: list[Scope | None]) -> None:
    quote = record(project, "quotes", "\nevent: ")
    speaker = record(project, "actors", f"id: {field(quote, 'speaker')}\n")
    check = Check(project, tmp_path, scopes)
    clean = check(lambda: set_field(speaker, "name", '"Somebody Renamed"'))
    assert "Somebody Renamed" in page(clean, "events", field(quote, "event"))


def test_a_backlink_added_and_removed(project: Path, tmp_path: Path,
                                      scopes: list[Scope | None]) -> None:
    event = record(project, "events", "actors: [")
    actors = field(event, "actors")
    newcomer = next(field(p, "id") for p in sorted((project / "content/actors").glob("*.yaml"))
                    if field(p, "id") not in actors)
    check = Check(project, tmp_path, scopes)
    clean = check(lambda: set_field(event, "actors", actors.replace("[", f"[{newcomer}, ")))
    assert f"events/{field(event, 'id')}/" in page(clean, "actors", newcomer)
    clean = check(lambda: set_field(event, "actors", actors))
    assert f"events/{field(event, 'id')}/" not in page(clean, "actors", newcomer)


def test_a_record_added_renamed_and_removed(project: Path, tmp_path: Path,
                                            scopes: list[Scope | None]) -> None:
    place = field(record(project, "places"), "id")
    actor = field(record(project, "actors"), "id")
    source = field(record(project, "sources"), "id")
    check = Check(project, tmp_path, scopes)
    added = project / "content/events/added.yaml"
    clean = check(lambda: added.write_text(
        f"id: added-event\ndate: 2022-05-05\ntitle: An added event\ntype: strike\n"
        f"status: reported\nplaces: [{place}]\nactors: [{actor}]\nsources: [{source}]\n",
        encoding="utf-8"))
    assert "An added event" in page(clean, "places", place)
    assert "An added event" in page(clean, "actors", actor)

    def rename() -> None:
        set_field(added, "id", "renamed-event")
        added.rename(project / "content/events/renamed.yaml")

    clean = check(rename)
    assert "events/renamed-event/" in page(clean, "actors", actor)
    assert not (clean / "events/added-event").exists()
    clean = check(lambda: (project / "content/events/renamed.yaml").unlink())
    assert "An added event" not in page(clean, "actors", actor)


def test_a_figure_changes_group_and_supersedes_another(
        project: Path, tmp_path: Path, scopes: list[Scope | None]) -> None:
    figures = [p for p in sorted((project / "content/figures").glob("*.yaml"))
               if "\ngroup: " in p.read_text(encoding="utf-8")]
    first = figures[0]
    metric = field(first, "metric")
    other = next(p for p in figures[1:] if field(p, "metric") == metric
                 and field(p, "group") != field(first, "group"))
    check = Check(project, tmp_path, scopes)
    clean = check(lambda: set_field(first, "group", field(other, "group")))
    assert f"figures/{field(first, 'id')}/" in page(clean, "figures", field(other, "id"))
    clean = check(lambda: set_field(first, "supersedes", field(other, "id")))
    assert f"figures/{field(first, 'id')}/" in page(clean, "figures", field(other, "id"))
    check(lambda: set_field(first, "value", "123456"))


def test_a_failed_build_between_edits(project: Path, tmp_path: Path,
                                      scopes: list[Scope | None]) -> None:
    event = record(project, "events", "places: [")
    places = field(event, "places")
    check = Check(project, tmp_path, scopes)
    set_field(event, "places", "[no-such-place]")
    with pytest.raises(ProblemsFound):
        check.builder.build()
    check(lambda: set_field(event, "places", places), scoped=False)
    check(lambda: set_field(event, "title", '"Once more"'))


def test_a_changed_template_walks_every_record(project: Path, tmp_path: Path,
                                               scopes: list[Scope | None]) -> None:
    check = Check(project, tmp_path, scopes)
    footer = Path(render_pages.__file__).parent / "defaults/templates/includes/record_footer.html"
    (project / "templates/includes").mkdir(parents=True)

    def edit() -> None:
        (project / "templates/includes/record_footer.html").write_text(
            footer.read_text(encoding="utf-8").replace("This record as data",
                                                       "This record, as data"),
            encoding="utf-8")

    check(edit, scoped=False)
    assert scopes[-2] is None  # the incremental build's, before the clean build's


def test_a_build_failing_after_the_model_was_updated(
        project: Path, tmp_path: Path, scopes: list[Scope | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering fails after the model took an edit in place; the build that tries again
    must not take that model for the one the last written pages were made from."""
    from site_gen import build as build_module

    event = record(project, "events", "actors: [")
    actors = field(event, "actors")
    dropped = actors.strip("[]").split(",")[0].strip()
    check = Check(project, tmp_path, scopes)
    assert f"events/{field(event, 'id')}/" in page(check.out, "actors", dropped)
    real = build_module.render_site

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(build_module, "render_site", broken)
    set_field(event, "actors", "[" + next(
        field(p, "id") for p in sorted((project / "content/actors").glob("*.yaml"))
        if field(p, "id") not in actors) + "]")
    with pytest.raises(RuntimeError):
        check.builder.build()
    monkeypatch.setattr(build_module, "render_site", real)
    clean = check(lambda: None, scoped=False)  # the same edit, tried again
    assert f"events/{field(event, 'id')}/" not in page(clean, "actors", dropped)
    check(lambda: set_field(event, "title", '"After a failure"'))


def test_a_chart_key_is_reused_only_for_the_very_same_chart() -> None:
    from types import SimpleNamespace

    from site_gen.memo import chart_key
    from site_gen.render_scope import LastRender, chart_keys
    from site_gen.site_model import SiteModel

    def chart(rows: tuple[dict[str, int], ...]) -> SimpleNamespace:
        return SimpleNamespace(id="c1", title="T", alt="A", note="", spec_path="s.json",
                               rows=rows)

    kept = chart(({"x": 1},))
    first = chart_keys(SimpleNamespace(charts=[kept]), None)
    last = LastRender(SiteModel(None, None, {}, {}), "", [], chart_keys=first)  # type: ignore[arg-type]
    assert chart_keys(SimpleNamespace(charts=[kept]), last)["c1"] is first["c1"]
    other = chart(({"x": 2},))
    again = chart_keys(SimpleNamespace(charts=[other]), last)["c1"]
    assert again == (other, chart_key(other)) and again[1] != first["c1"][1]


def test_figure_views_are_kept_while_the_figures_and_charts_are_the_same(
        project: Path, tmp_path: Path, scopes: list[Scope | None]) -> None:
    """The figure groups and the figures index's sections are kept by a long-lived builder
    across an edit that changes no figure and no chart, and made again after one that does."""
    from site_gen.views import group_members

    check = Check(project, tmp_path, scopes)

    def views() -> object:
        assert check.builder.last_render is not None and check.builder.last_render[0]
        return check.builder.last_render[0].figure_views

    first = views()
    check(lambda: set_field(record(project, "events"), "title", "Another title entirely"))
    assert views() is first
    figure = record(project, "figures", "\ngroup: ")
    check(lambda: set_field(figure, "value", "654321"))
    assert views() is not first
    last = check.builder.last_render[0]  # type: ignore[index]
    assert last is not None and last.figure_views.groups == group_members(last.model)


def test_figure_views_are_made_again_for_any_other_figure_chart_or_site() -> None:
    from types import SimpleNamespace

    from site_gen.site_model import Entry, SiteModel
    from site_gen.views import FigureViews

    def figure(record_id: str, group: str) -> Entry:
        return Entry("figures", record_id, {"id": record_id, "group": group, "metric": "m"})

    figures = [figure("a", "g"), figure("b", "g")]
    model = SiteModel(None, None, {}, {"figures": figures})  # type: ignore[arg-type]
    charts = SimpleNamespace(charts=[SimpleNamespace(id="c")])
    first = FigureViews.of(model, charts, "site")
    assert first.groups == {"g": figures}
    assert FigureViews.of(model, charts, "site", first) is first
    assert FigureViews.of(model, charts, "other site", first) is not first
    assert FigureViews.of(model, SimpleNamespace(charts=[SimpleNamespace(id="c")]), "site",
                          first) is not first
    figures[1] = figure("b", "h")  # an edited record is a new entry, in the same list
    again = FigureViews.of(model, charts, "site", first)
    assert again is not first and again.groups == {"g": figures[:1], "h": figures[1:]}
