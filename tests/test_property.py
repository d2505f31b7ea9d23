"""Property tests: any text an editor can write builds a site where that text is only text.

Random text (control characters YAML can hold, quotes, markup, `</script>`, U+2028/2029, RTL
marks, emoji) goes into every free-text field and label of a small project, written as a JSON
string (a YAML double-quoted scalar). The build must succeed or report clean problems, every
page must parse, and no page may hold an element or attribute the plain build does not have.

The default profile is small and derandomized so CI is stable; set
SITE_GEN_HYPOTHESIS_PROFILE=thorough for a long random run.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

import pytest
from golden.support import build_env, read_tree
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_adversarial_content import PLAIN, Shape, write_project, yaml_json

from site_gen.build import build
from site_gen.check import SAFE_URL
from site_gen.dates import DateError, parse_date
from site_gen.filters import external_url
from site_gen.problems import ProblemsFound
from site_gen.yamlstrict import read_yaml

PROFILES = {
    "ci": settings(max_examples=20, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow]),
    "thorough": settings(max_examples=400, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow]),
}
PROFILE = PROFILES[os.environ.get("SITE_GEN_HYPOTHESIS_PROFILE", "ci")]
FAST = settings(PROFILE, max_examples=PROFILE.max_examples * 8)

PIECES = ["</script>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"', "'",
          "&amp;", "&", "<", ">", "<!--", "-->", "]]>", "\u2028", "\u2029", "\u200f", "\u202e",
          "\u061c", "👩🏽‍💻", "🇺🇦", "{{ 7*7 }}", "{% raw %}", "${x}", "datum.x || alert(1)",
          "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\t", "\r\n", "\n", "\x85", "\ufeff",
          "\\", "/", "javascript:alert(1)", " ", "NO", "yes", "10:30", "0x1F", "~", "null"]
TEXT = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(PIECES)), max_size=8).map("".join)


def yaml_text(text: str) -> bool:
    """True when the strict reader takes `text` back unchanged from its JSON spelling."""
    doc, problems = read_yaml("t.yaml", f"v: {yaml_json(text)}\n".encode())
    return not problems and doc.value == {"v": text}


# -- the reader alone: fast, so many examples ---------------------------------------------------

@FAST
@given(st.text())
def test_any_text_reads_back_exactly_or_as_a_located_problem(text: str) -> None:
    doc, problems = read_yaml("t.yaml", f"v: {yaml_json(text)}\n".encode())
    if problems:
        assert [p.code for p in problems] == ["yaml-escape"]
        assert all("\n" not in p.text() for p in problems)
    else:
        assert doc.value == {"v": text}


@FAST
@given(st.text())
def test_a_url_that_passes_the_checks_is_one_plain_http_address(text: str) -> None:
    for candidate in (text, "https://" + text, "http://x.org/" + text):
        if SAFE_URL.fullmatch(candidate) or external_url(candidate):
            assert candidate.lower().startswith(("http://", "https://"))
            assert not any(c.isspace() or c in "<>\"'`" for c in candidate), repr(candidate)


@FAST
@given(st.one_of(st.text(max_size=30), st.from_regex(r"[0-9]{4}(-[0-9]{2}){0,2}(/.*)?",
                                                     fullmatch=True)))
def test_a_date_is_parsed_or_refused_with_a_message(text: str) -> None:
    try:
        date = parse_date(text)
    except DateError as error:
        assert str(error)
    else:
        assert date.start <= date.end and "\n" not in date.text


# -- the whole build ------------------------------------------------------------------------------

@cache
def _cache_dir() -> Path:
    return Path(mkdtemp(prefix="site-gen-property-"))


@cache
def _plain_elements() -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """Which elements (tag and attribute names) each page of the plain build has."""
    root = Path(mkdtemp(prefix="site-gen-plain-"))
    try:
        with build_env(_cache_dir()):
            build(write_project(root, PLAIN), root / "out", incremental=False)
        return {path: set(Shape(data.decode()).elements)
                for path, data in read_tree(root / "out").items() if path.endswith(".html")}
    finally:
        shutil.rmtree(root)


def check_build(text: str) -> None:
    """Build the project with `text` everywhere and check that it stayed text."""
    plain = _plain_elements()
    root = Path(mkdtemp(prefix="site-gen-prop-"))
    try:
        project = write_project(root, text)
        with build_env(_cache_dir()):
            try:
                build(project, root / "out", incremental=False)
            except ProblemsFound as found:  # e.g. an empty title: a clean problem is fine
                assert found.problems
                assert all(p.text().count("\n") == 0 for p in found.problems)
                return
        tree = read_tree(root / "out")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for path, data in tree.items():
        if not path.endswith(".html"):
            continue
        page = Shape(data.decode("utf-8"))
        extra = set(page.elements) - plain[path]
        assert not extra, (path, extra)
        for attrs, script in page.scripts:
            if attrs.get("type") == "application/ld+json":
                json.loads(script)
                assert "</script" not in script.lower() and "<!--" not in script


@PROFILE
@given(TEXT)
def test_any_text_in_every_field_builds_a_site_where_it_is_only_text(text: str) -> None:
    assume(yaml_text(text))
    check_build(text)


@pytest.mark.parametrize("text", ["", " ", "\u2028", "<", "&amp;", "x\r\ny", "👩🏽‍💻\u202e"])
def test_edge_texts_build_or_report_cleanly(text: str) -> None:
    """Fixed edge cases, so that they run whatever the random profile draws."""
    assert yaml_text(text)
    check_build(text)
