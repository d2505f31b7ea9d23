"""Charts carry text alternatives and a data table, and tell claimants apart without colour."""

from __future__ import annotations

from .browser import close, guarded_page
from .visits import SETTLED

CHARTS = """() => [...document.querySelectorAll("figure.chart")].map(figure => {
  const view = figure.querySelector(".chart-interactive");
  const key = [...figure.querySelectorAll(".chart-interactive path[aria-label^='claimant: ']")];
  return {
    id: figure.id,
    alt: figure.querySelector(".chart-alt").textContent.trim(),
    label: view ? view.getAttribute("aria-label") : null,
    role: view ? view.getAttribute("role") : null,
    rows: figure.querySelectorAll(".chart-data tbody tr").length,
    claimants: new Set(key.map(p => p.getAttribute("aria-label"))).size,
    shapes: new Set(key.map(p => p.getAttribute("d"))).size,
  };
})"""
CARDS = """() => [...document.querySelectorAll(".figure-card")].map(
  card => card.querySelector(".figure-claimant")?.textContent.trim() ?? "")"""


def test_charts_have_text_alternatives_tables_and_shapes(browser, site) -> None:
    page, guard = guarded_page(browser, site.netloc)
    try:
        page.goto(site.page_url("figures"))
        page.wait_for_function(SETTLED, timeout=15_000)
        charts = page.evaluate(CHARTS)
        cards = page.evaluate(CARDS)
    finally:
        close(page)
    assert charts and guard.console_errors == []
    for chart in charts:
        assert chart["alt"].startswith(chart["alt"].split(",")[0]) and len(chart["alt"]) > 20
        assert chart["label"] == chart["alt"] and chart["role"] == "graphics-document", chart
        assert chart["rows"] > 0, chart
        # The claimant key: one symbol per claimant, each of its own shape.
        assert chart["claimants"] > 0 and chart["shapes"] == chart["claimants"], chart
    assert any(chart["claimants"] > 1 for chart in charts)
    assert cards and all(text.startswith("per ") and len(text) > 4 for text in cards), cards
