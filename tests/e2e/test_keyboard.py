"""Keyboard only: Tab from page load reaches the skip link, every nav link and the search box,
each with a focus indicator that its unfocused style does not have."""

from __future__ import annotations

import pytest

from .browser import close, guarded_page

NAV = ("Home", "Timeline", "Events", "Figures", "Quotes", "Actors", "Places", "Sources", "Data",
       "Search")
STYLE = """el => { const s = getComputedStyle(el);
  return {outline: s.outlineStyle === "none" ? "none"
                   : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
          shadow: s.boxShadow}; }"""
# Each focusable element of the page, by what the test calls it, with its unfocused style.
TARGETS = f"""() => {{
  const style = {STYLE};
  const named = [];
  const skip = document.querySelector(".skip-link");
  if (skip) named.push(["skip link", skip]);
  document.querySelectorAll(".site-header nav a")
    .forEach(a => named.push(["nav " + a.textContent.trim(), a]));
  const box = document.querySelector("#search-input");
  if (box) named.push(["search box", box]);
  named.forEach(([name, el]) => {{ el.dataset.e2eName = name; }});
  return Object.fromEntries(named.map(([name, el]) => [name, style(el)]));
}}"""
FOCUSED = f"""() => {{
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  return {{name: el.dataset.e2eName || el.tagName.toLowerCase(), style: ({STYLE})(el),
           page: getComputedStyle(document.body).backgroundColor,
           visible: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
                    && box.right <= innerWidth && box.bottom <= innerHeight}};
}}"""
TABS = 30
INSIDE_MAIN = """() => document.activeElement !== document.body
  && document.querySelector("main").contains(document.activeElement)"""


def _indicated(focused: dict, unfocused: dict, page_colour: str) -> bool:
    """An outline or shadow that the element does not have without focus, in a colour that
    is not the page's own."""
    outline = focused["outline"]
    drawn = outline != "none" and not outline.split()[1].startswith("0") \
        and not outline.endswith(page_colour)
    return focused != unfocused and (drawn or focused["shadow"] != "none")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tab_reaches_skip_link_nav_and_search_with_visible_focus(browser, site,
                                                                 scheme: str) -> None:
    page, guard = guarded_page(browser, site.netloc, scheme=scheme)
    try:
        page.goto(site.page_url("search"))
        unfocused = page.evaluate(TARGETS)
        reached: dict[str, dict] = {}
        for _ in range(TABS):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused and focused["name"] in unfocused:
                reached.setdefault(focused["name"], focused)
            if "search box" in reached:
                break
    finally:
        close(page)
    wanted = ["skip link", *(f"nav {title}" for title in NAV), "search box"]
    assert [name for name in wanted if name not in reached] == []
    order = list(reached)
    assert order[0] == "skip link" and order[-1] == "search box"
    hidden = [name for name, focus in reached.items() if not focus["visible"]]
    unmarked = [name for name, focus in reached.items()
                if not _indicated(focus["style"], unfocused[name], focus["page"])]
    assert hidden == [] and unmarked == [], (reached, unfocused)
    assert guard.console_errors == []


def test_skip_link_moves_focus_into_main(browser, site) -> None:
    page, _ = guarded_page(browser, site.netloc)
    try:
        page.goto(site.page_url("figures"))
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        inside = page.evaluate(INSIDE_MAIN)
    finally:
        close(page)
    assert inside
