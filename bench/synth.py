"""Generate a synthetic fact base of N records with realistic text lengths, for benchmarks."""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

WORDS = tuple("the city officials said attack shelling residents region forces talks ministry "
         "report humanitarian corridor civilians infrastructure statement government "
         "agency border convoy missiles spokesman delegation negotiations sanctions "
         "refugees hospital school damaged confirmed according local authorities").split()
EVENT_TYPES = {"strike": "Strike", "claim": "Territorial claim", "diplomacy": "Diplomacy",
               "statement": "Statement", "humanitarian": "Humanitarian"}
METRICS = {"killed": "People killed", "wounded": "People wounded", "refugees": "Refugees",
           "missiles_launched": "Missiles launched", "displaced": "Displaced people"}
QUALIFIERS = ("exact", "about", "at_least", "more_than", "nearly", "up_to", "range")
SHARES = {"events": 0.30, "figures": 0.30, "quotes": 0.20, "actors": 0.10, "places": 0.05,
          "sources": 0.05}


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()


def _day(rng: random.Random) -> str:
    return (date(2022, 2, 24) + timedelta(days=rng.randint(0, 364))).isoformat()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def counts(n: int) -> dict[str, int]:
    sizes = {name: max(1, int(n * share)) for name, share in SHARES.items()}
    sizes["events"] += n - sum(sizes.values())
    return sizes


def generate(root: Path, n: int, seed: int = 1) -> Path:
    """Write a project with about n records under root (replacing it)."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    sizes = counts(n)
    (root / "content").mkdir(parents=True)
    vocab = "\n".join(
        [f"  event_types: {{{', '.join(f'{k}: {v}' for k, v in EVENT_TYPES.items())}}}",
         f"  metrics: {{{', '.join(f'{k}: {v}' for k, v in METRICS.items())}}}"])
    (root / "site.yaml").write_text(
        "title: Synthetic fact base\ndescription: Generated records for benchmarks.\n"
        "base_url: https://example.org/bench/\nlanguage: en\nlicense: CC-BY-4.0\n"
        "publisher: Bench Desk\ndataset: {name: bench-facts, version: \"1.0.0\"}\n"
        f"vocabularies:\n{vocab}\n")
    ids = {c: [f"{c[:-1]}-{i:06d}" for i in range(k)] for c, k in sizes.items()}

    def write(collection: str, record_id: str, body: str) -> None:
        folder = root / "content" / collection
        folder.mkdir(exist_ok=True)
        (folder / f"{record_id}.yaml").write_text(f"id: {record_id}\n{body}")

    for i, rid in enumerate(ids["actors"]):
        kind = rng.choice(("person", "organization", "government", "group"))
        write("actors", rid, f"name: {_quoted(_text(rng, 2, 3))}\nkind: {kind}\n"
              f"role: {_quoted(_text(rng, 3, 6))}\ncountry: {rng.choice(('UA', 'RU', 'NO'))}\n"
              + (f"affiliation: {ids['actors'][i - 1]}\n" if i else ""))
    for rid in ids["places"]:
        write("places", rid, f"name: {_quoted(_text(rng, 1, 2))}\ncountry: UA\n"
              f"lat: {rng.uniform(44.5, 52.3):.4f}\nlon: {rng.uniform(22.2, 40.2):.4f}\n")
    for rid in ids["sources"]:
        write("sources", rid, f"title: {_quoted(_text(rng, 6, 12))}\n"
              f"publisher: {rng.choice(ids['actors'])}\nurl: https://example.org/{rid}\n"
              f"published: {_day(rng)}\nlanguage: en\ntype: article\n"
              f"contributors: [{rng.choice(ids['actors'])}]\n")
    for rid in ids["events"]:
        status = rng.choice(("reported", "reported", "claimed", "disputed", "confirmed"))
        body = (f"date: {_day(rng)}\ntitle: {_quoted(_text(rng, 5, 10))}\n"
                f"summary: {_quoted(_text(rng, 20, 45))}\n"
                f"type: {rng.choice(list(EVENT_TYPES))}\nstatus: {status}\n"
                f"places: [{rng.choice(ids['places'])}]\n"
                f"actors: [{', '.join(rng.sample(ids['actors'], 2))}]\n"
                f"sources: [{rng.choice(ids['sources'])}]\ntags: [{rng.choice(WORDS)}]\n")
        if status == "claimed":
            body += f"claimed_by: [{rng.choice(ids['actors'])}]\n"
        write("events", rid, body)
    for rid in ids["figures"]:
        qualifier = rng.choice(QUALIFIERS)
        value = rng.randint(1, 100_000)
        body = (f"metric: {rng.choice(list(METRICS))}\nsubject: civilians\nvalue: {value}\n"
                f"qualifier: {qualifier}\nvalue_text: {_quoted(f'{qualifier} {value:,}')}\n"
                f"unit: people\nas_of: {_day(rng)}\nplace: {rng.choice(ids['places'])}\n"
                f"claimant: {rng.choice(ids['actors'])}\nsource: {rng.choice(ids['sources'])}\n"
                f"group: group-{rng.randint(1, 60):02d}\n")
        if qualifier == "range":
            body += f"value_high: {value + rng.randint(1, 5000)}\n"
        write("figures", rid, body)
    for rid in ids["quotes"]:
        write("quotes", rid, f"text: {_quoted(_text(rng, 12, 40))}\n"
              f"kind: {rng.choice(('direct', 'paraphrase'))}\n"
              f"speaker: {rng.choice(ids['actors'])}\nsaid_on: {_day(rng)}\n"
              f"context: {_quoted(_text(rng, 4, 9))}\nsource: {rng.choice(ids['sources'])}\n"
              f"event: {rng.choice(ids['events'])}\nlanguage: en\n")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.root, args.n, args.seed)


if __name__ == "__main__":
    main()
