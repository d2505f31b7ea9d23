"""Rendering scales linearly: thousands of records render in about a second, not minutes."""

from __future__ import annotations

import random
import time
from pathlib import Path

from golden.support import StandInCharts

from site_gen.render import render_site
from site_gen.theme import make_env
from site_gen.validate import gather

RECORDS = 4000
MIN_RECORDS_PER_SECOND = 1000  # about a third of this machine's speed, for slow CI runners


def _date(rnd: random.Random) -> str:
    pick = rnd.random()
    if pick < 0.1:
        return "2022-03"
    if pick < 0.2:
        return f"2022-02-{rnd.randint(20, 28)}/2022-03-0{rnd.randint(1, 9)}"
    return f"2022-03-{rnd.randint(1, 28):02d}"


def synthetic_project(root: Path, total: int) -> Path:
    """A valid project of `total` records of realistic size, in the example's proportions."""
    rnd = random.Random(7)
    tenth = total // 10
    counts = {"actors": tenth, "places": tenth // 2, "sources": tenth // 2,
              "events": 3 * tenth, "figures": 2 * tenth}
    counts["quotes"] = total - sum(counts.values())
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(
        "title: Synthetic\nbase_url: https://example.org/s/\nvocabularies:\n"
        "  event_types: {strike: Strike, diplomacy: Diplomacy, claim: Claim}\n"
        "  metrics: {killed: Killed, refugees: Refugees}\n")

    def pick(collection: str) -> str:
        return f"{collection[0]}{rnd.randrange(counts[collection])}"

    records = {
        "actors": [f"- id: a{i}\n  name: Actor number {i}\n  kind: "
                   f"{rnd.choice(['person', 'organization', 'government', 'group'])}\n"
                   f"  role: Spokesperson {i}" for i in range(counts["actors"])],
        "places": [f"- id: p{i}\n  name: Place {i}\n  country: UA\n"
                   f"  lat: {rnd.uniform(44, 52):.3f}\n  lon: {rnd.uniform(22, 40):.3f}"
                   for i in range(counts["places"])],
        "sources": [f"- id: s{i}\n  title: Report number {i}\n  publisher: {pick('actors')}\n"
                    f"  url: https://example.org/news/{i}\n  published: {_date(rnd)}\n"
                    "  type: article" for i in range(counts["sources"])],
        "events": [f"- id: e{i}\n  date: {_date(rnd)}\n  title: Something happened, number {i}\n"
                   f"  summary: A summary of what happened in a few more words, number {i}.\n"
                   f"  type: {rnd.choice(['strike', 'diplomacy', 'claim'])}\n  status: "
                   f"{rnd.choice(['reported', 'claimed', 'disputed', 'confirmed', 'denied'])}\n"
                   f"  places: [{pick('places')}]\n  actors: [{pick('actors')}]\n"
                   f"  claimed_by: [{pick('actors')}]\n  sources: [{pick('sources')}]\n"
                   f"  note: An editor's note {i}." for i in range(counts["events"])],
        "figures": [f"- id: f{i}\n  metric: {rnd.choice(['killed', 'refugees'])}\n"
                    f"  value: {rnd.randint(1, 100000)}\n  qualifier: at_least\n"
                    f"  value_text: at least {i}\n  as_of: {_date(rnd)}\n"
                    f"  claimant: {pick('actors')}\n  source: {pick('sources')}\n"
                    f"  place: {pick('places')}\n  group: g{i % (counts['figures'] // 4)}"
                    for i in range(counts["figures"])],
        "quotes": [f"- id: q{i}\n  text: We said something important, number {i}.\n"
                   f"  kind: direct\n  speaker: {pick('actors')}\n  said_on: {_date(rnd)}\n"
                   f"  source: {pick('sources')}\n  event: {pick('events')}"
                   for i in range(counts["quotes"])],
    }
    for collection, items in records.items():
        folder = root / "content" / collection
        folder.mkdir()
        (folder / f"{collection}.yaml").write_text("\n".join(items) + "\n")
    return root


def test_thousands_of_records_render_in_about_a_second(tmp_path: Path) -> None:
    project = synthetic_project(tmp_path / "synthetic", RECORDS)
    gathered = gather(project)
    assert gathered.ok, gathered.problems[:3]
    env = make_env(project)
    clock = time.perf_counter()
    files = render_site(gathered, StandInCharts(), env)
    seconds = time.perf_counter() - clock
    pages = [p for p in files if p.endswith("/index.html") and p.count("/") == 2]
    assert len(pages) == RECORDS
    assert RECORDS / seconds >= MIN_RECORDS_PER_SECOND, f"{RECORDS} records in {seconds:.2f}s"
