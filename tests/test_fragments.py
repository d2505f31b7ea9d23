"""Page chrome rendered once per depth and section: the same bytes on every page, and an
include that cannot show a value its cache key leaves out."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import jinja2
import pytest
from conftest import templates_project
from golden.support import SITE

from site_gen.config import SiteConfig, read_config
from site_gen.theme import base_context, make_env


def _page(env: jinja2.Environment, site: SiteConfig, path: str) -> str:
    return env.from_string('{% extends "base.html" %}').render(base_context(site, path))


@pytest.fixture
def site() -> SiteConfig:
    config, problems = read_config(SITE)
    assert config is not None and not problems
    return config


@pytest.mark.parametrize(("path", "current"), [
    ("index.html", "./"), ("events/index.html", "../events/"),
    ("events/kyiv-strike/index.html", "../../events/"), ("data/index.html", "../data/"),
    ("404.html", None), ("codebook/index.html", None)])
def test_the_navigation_marks_the_page_s_section(tmp_path: Path, site: SiteConfig, path: str,
                                                 current: str | None) -> None:
    env = make_env(templates_project(tmp_path, {}))
    for _ in range(2):  # the second page of a kind comes from the cache
        html = _page(env, site, path)
        marked = re.findall(r'<a href="([^"]*)" aria-current="page">', html)
        assert marked == ([current] if current else [])
        assert html.count("<nav") == 1 and html.count('<footer class="site-footer">') == 1


def test_pages_at_other_depths_or_of_another_site_get_their_own_chrome(
        tmp_path: Path, site: SiteConfig) -> None:
    env = make_env(templates_project(tmp_path, {}))
    deep = _page(env, site, "events/kyiv-strike/index.html")
    assert 'href="../../data/">download the data' in deep
    assert 'href="../data/">download the data' in _page(env, site, "events/index.html")
    renamed = replace(site, title="Another desk", publisher="Other publisher")
    other = _page(env, renamed, "events/kyiv-strike/index.html")
    assert "Published by Other publisher." in other and ">Another desk</a></p>" in other
    assert "Other publisher" not in _page(env, site, "events/kyiv-strike/index.html")


def test_a_projects_header_overrides_the_default(tmp_path: Path, site: SiteConfig) -> None:
    header = "<header>{{ site.title }} {{ root }} {{ current }}</header>\n"
    env = make_env(templates_project(tmp_path, {"includes/site_header.html": header}))
    html = _page(env, site, "events/kyiv-strike/index.html")
    assert f"<header>{site.title} ../../ events</header>\n<main" in html


def test_an_include_rendered_once_cannot_show_a_value_of_one_page(
        tmp_path: Path, site: SiteConfig) -> None:
    env = make_env(templates_project(tmp_path, {
        "includes/site_footer.html": "<footer>{{ path }}</footer>\n"}))
    with pytest.raises(jinja2.UndefinedError):
        _page(env, site, "events/kyiv-strike/index.html")


def test_the_cache_keeps_one_chrome_per_depth_across_builds(tmp_path: Path,
                                                            site: SiteConfig) -> None:
    env = make_env(templates_project(tmp_path, {}))
    fragment = env.filters["fragment"]
    cells = {id(c.cell_contents): c.cell_contents for c in fragment.__closure__ or ()}
    cache = next(v for v in cells.values() if isinstance(v, dict))
    for build in range(5):  # a new site object per build, as `serve` makes
        renamed = replace(site, title=f"Build {build}")
        assert f">Build {build}</a></p>" in _page(env, renamed, "events/x/index.html")
    assert len(cache) == 2  # the header and the footer of one depth and section
