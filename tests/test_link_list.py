"""Links joined as prose: each label escaped once, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import Markup

from site_gen.site_model import Entry
from site_gen.theme import make_env


def _entry(record_id: str, label: str) -> Entry:
    entry = Entry("actors", record_id, {"id": record_id})
    entry.label = label
    return entry


def _old(links: list[Markup]) -> Markup:
    """The prose join as Markup operations do it: the definition of the bytes."""
    if len(links) <= 1:
        return links[0] if links else Markup("")
    return Markup(", ").join(links[:-1]) + Markup(" and ") + links[-1]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5])
def test_links_join_as_prose_with_each_label_escaped_once(tmp_path: Path, count: int) -> None:
    env = make_env(tmp_path)
    entries = [_entry(f"a{i}", f"A & <b>{i}</b> \"q\" 'x'") for i in range(count)]
    html = env.from_string("{{ xs|link_list }}").render(root="../../", xs=entries)
    links = [Markup(f'<a href="../../actors/a{i}/">A &amp; &lt;b&gt;{i}&lt;/b&gt; '
                    f"&#34;q&#34; &#39;x&#39;</a>") for i in range(count)]
    assert html == str(_old(links))
    assert html.count("&amp;") == count and "&amp;amp;" not in html
    if count >= 3:
        assert html.count(", ") == count - 2 and html.count(" and ") == 1


def test_a_link_is_made_once_per_depth(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    entry = _entry("kyiv", "Kyiv")
    page = env.from_string("{{ x|link }}|{{ [x, x]|link_list }}")
    assert page.render(root="", x=entry) == (
        '<a href="actors/kyiv/">Kyiv</a>|<a href="actors/kyiv/">Kyiv</a> and '
        '<a href="actors/kyiv/">Kyiv</a>')
    assert page.render(root="../", x=entry).startswith('<a href="../actors/kyiv/">')
    assert set(entry.links) == {"", "../"}
