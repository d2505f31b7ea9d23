"""The build's Jinja environment: cached lookups that still honour a project's own templates."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from conftest import templates_project
from markupsafe import Markup, escape

from site_gen.jinja_env import output_escape
from site_gen.theme import make_env


def test_a_template_is_compiled_once_and_found_again(tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {}))
    first = env.get_template("includes/status.html")
    assert env.get_template("includes/status.html") is first
    assert env.get_template("includes/status.html", "event.html") is first


def test_a_projects_include_overrides_the_default_in_every_page(tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {"includes/status.html": "[{{ event.status }}]"}))

    class Event:
        status = "claimed"

    page = env.from_string('{% include "includes/status.html" %}|{{ "x" }}')
    assert page.render(event=Event()) == "[claimed]|x"
    assert env.get_template("includes/status.html").render(event=Event()) == "[claimed]"


def test_a_missing_template_fails_every_time(tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {}))
    for _ in range(2):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template("includes/nothing.html")


def test_templates_see_the_environments_globals_and_the_page_sees_its_own(
        tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {"includes/count.html": "{{ range(n)|list }}"}))
    page = env.from_string('{% include "includes/count.html" %}')
    assert page.render(n=3) == "[0, 1, 2]"
    assert page.render(n=1) == "[0]"
    with pytest.raises(TypeError):  # undefined: the last page's n is not left behind
        page.render()


class Html:
    def __html__(self) -> str:
        return "<b>kept</b>"


class Tag(str):
    """A str subclass: escaped like text, not passed through like markup."""


class Count(int):
    """An int subclass whose text needs escaping: not written as a plain number."""

    def __str__(self) -> str:
        return "<3>"


@pytest.mark.parametrize("value", [
    "Kyiv</script><img src=x onerror=alert(1)>\"' & \u2028", "", "plain",
    Markup("<em>safe</em> &amp;"), Html(), Tag("<i>"), 12, -7, 2.5, float("nan"), 10**30,
    Count(3), None, True, ["<a>"]])
def test_output_escapes_exactly_as_markupsafe(value: object) -> None:
    assert str(output_escape(value)) == str(escape(value))


def test_every_output_of_a_template_is_escaped(tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {}))
    page = env.from_string('<p title="{{ a }}">{{ b }}{{ c }}{{ d|safe }}</p>')
    html = page.render(a='"><script>', b=Tag("<i>"), c=Markup("<b>ok</b>"), d="<u>")
    assert html == '<p title="&#34;&gt;&lt;script&gt;">&lt;i&gt;<b>ok</b><u></p>'
    with pytest.raises(jinja2.UndefinedError):
        page.render(b="", c="", d="")


@pytest.mark.parametrize("name", ["page.html", "feed.xml", "robots.txt", "notes.md", "raw"])
def test_every_template_autoescapes_whatever_its_name(tmp_path: Path, name: str) -> None:
    env = make_env(templates_project(tmp_path, {name: "{{ v }}"}))
    assert env.get_template(name).render(v="<a&b>") == "&lt;a&amp;b&gt;"
    assert env.from_string("{{ v }}").render(v="<") == "&lt;"


class Record:
    title = "T"

    def __getitem__(self, name: str) -> str:
        return f"item {name}"


class Mapping(dict):  # type: ignore[type-arg]
    places = "attribute"


@pytest.mark.parametrize(("obj", "attribute"), [
    ({"places": [1]}, "places"), ({"items": 1}, "items"), ({"keys": 1}, "get"),
    ({"__class__": 1}, "__class__"), ({}, "missing"), ({"a": None}, "a"),
    (Mapping(places="item"), "places"), (Mapping(other="item"), "other"),
    (Record(), "title"), (Record(), "summary"), ([1, 2], "count"), ("text", "upper"),
    (None, "x")])
def test_attribute_lookup_is_jinjas(tmp_path: Path, obj: object, attribute: str) -> None:
    env = make_env(templates_project(tmp_path, {}))
    expected = jinja2.Environment(undefined=jinja2.StrictUndefined).getattr(obj, attribute)
    found = env.getattr(obj, attribute)
    if isinstance(expected, jinja2.Undefined):
        assert isinstance(found, jinja2.StrictUndefined)
        with pytest.raises(jinja2.UndefinedError):
            str(found)
    else:
        assert found == expected


def test_a_records_references_read_as_attributes(tmp_path: Path) -> None:
    env = make_env(templates_project(tmp_path, {}))
    page = env.from_string("{{ ref.places|join(',') }}|{{ ref.items()|list|length }}")
    assert page.render(ref={"places": ["a", "b"]}) == "a,b|1"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ ref.places }}").render(ref={})
