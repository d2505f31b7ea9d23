"""The repository's own example fact base builds with `site-gen build` into a complete site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from golden.support import build_env, parse, shared_cache

from site_gen.validate import gather

REPO = Path(__file__).resolve().parent.parent


def test_the_example_site_builds(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    gathered = gather(REPO)
    assert gathered.ok, gathered.problems[:5]
    out = tmp_path / "site"
    with build_env(shared_cache(tmp_path_factory)):
        result = run_cli("build", str(REPO), "--out", str(out))
    assert result.exit_code == 0, result.output
    for record in gathered.records.all():
        page = out / record.collection / record.id / "index.html"
        assert page.is_file(), page
        assert json.loads((out / record.collection / f"{record.id}.json").read_text())["id"] \
            == record.id
    for path in ("index.html", "timeline/index.html", "figures/index.html", "search/index.html",
                 "feed.xml", "sitemap.xml", "robots.txt", "404.html", "data/index.html",
                 "search-index/meta.json", "assets/site.css"):
        assert (out / path).is_file(), path
    kherson = parse((out / "events/2022-03-02-russia-claims-kherson/index.html").read_bytes())
    assert "Claimed by Russian government; disputed by" in kherson.text
    home = parse((out / "index.html").read_bytes())
    assert "Events from " in home.text and "Latest events" in home.text
