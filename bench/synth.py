"""Generate a synthetic fact base of N records shaped like the example content, for benchmarks.

Text lengths follow the example records (titles ~45 characters, summaries ~150, quotes ~60,
notes ~120); words come from a Zipf-weighted vocabulary of a few thousand words so the
search index grows as it would with real text; actors, places and sources are referenced
with a skew (a few prominent actors appear often, most in a few records); figures fall in
about 60 groups that each track one quantity.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import shutil
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

COMMON = ("the", "of", "and", "to", "in", "a", "said", "on", "for", "that", "by", "with", "was",
          "as", "at", "from", "were", "had", "been", "its", "after", "forces", "city", "officials",
          "attack", "shelling", "residents", "region", "talks", "ministry", "report",
          "humanitarian", "corridor", "civilians", "infrastructure", "statement", "government",
          "agency", "border", "convoy", "missiles", "spokesman", "delegation", "negotiations",
          "sanctions", "refugees", "hospital", "school", "damaged", "confirmed", "according",
          "local", "authorities", "troops", "military", "capital", "president", "minister", "war",
          "invasion", "power", "plant", "bridge", "railway", "village", "oblast", "killed",
          "wounded", "evacuation", "aid", "shelter", "strike", "drone", "artillery", "front",
          "line", "counteroffensive", "occupied", "withdrew", "claimed", "denied", "reported",
          "ceasefire", "grain", "exports", "port", "energy")
SYLLABLES = ("ka", "ro", "vin", "de", "lo", "mar", "sa", "tek", "ul", "bo", "ri", "na", "zan",
             "pol", "ve", "ster", "gor", "ha", "li", "mi", "ov", "en", "ko", "dru", "ta", "vel",
             "ny", "sk", "pa", "chen", "or", "it")
EVENT_TYPES = {"strike": "Strike", "claim": "Territorial claim", "diplomacy": "Diplomacy",
               "statement": "Statement", "humanitarian": "Humanitarian",
               "sanctions": "Sanctions", "legal": "Legal action", "assessment": "Assessment",
               "decree": "Decree", "corporate": "Corporate action"}
METRICS = {"killed": ("People killed", "people"), "wounded": ("People wounded", "people"),
           "refugees": ("Refugees", "people"), "displaced": ("Displaced people", "people"),
           "missiles_launched": ("Missiles launched", "missiles"),
           "drones_downed": ("Drones shot down", "drones"),
           "buildings_damaged": ("Buildings damaged", "buildings"),
           "aid_delivered": ("Aid delivered", "tonnes"),
           "grain_exported": ("Grain exported", "tonnes"),
           "power_outages": ("Households without power", "households")}
QUALIFIERS = ("exact", "about", "about", "at_least", "at_least", "more_than", "nearly",
              "up_to", "range", "unquantified")
WORDING = {"exact": "", "about": "about ", "at_least": "at least ", "more_than": "more than ",
           "nearly": "nearly ", "up_to": "up to ", "range": "between "}
SHARES = {"events": 0.30, "figures": 0.30, "quotes": 0.20, "actors": 0.10, "places": 0.05,
          "sources": 0.05}
GROUPS = 60
DAYS = 3 * 365
START = date(2022, 2, 24)


def counts(n: int) -> dict[str, int]:
    sizes = {name: max(1, int(n * share)) for name, share in SHARES.items()}
    sizes["events"] += n - sum(sizes.values())
    return sizes


class Words:
    """A seeded source of words, names and texts with realistic lengths."""

    def __init__(self, rng: random.Random, size: int = 4000) -> None:
        self.rng = rng
        made = {self.coin() for _ in range(size)} - set(COMMON)
        self.vocab = list(COMMON) + sorted(made)
        self.cum = list(accumulate(1 / (rank + 2) for rank in range(len(self.vocab))))

    def coin(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def name(self, parts: int) -> str:
        return " ".join(self.coin().capitalize() for _ in range(parts))

    def length(self, median: float, low: int, high: int) -> int:
        return max(low, min(high, round(self.rng.lognormvariate(math.log(median), 0.45))))

    def text(self, median: float, low: int = 8, high: int = 400, sentences: bool = True) -> str:
        """Words up to a lognormal length around `median` characters, as sentences."""
        target, out, size = self.length(median, low, high), [], 0
        while size < target:
            chunk = self.rng.choices(self.vocab, cum_weights=self.cum, k=6)
            for word in chunk:
                out.append(word)
                size += len(word) + 1
                if size >= target:
                    break
        if not sentences:
            return " ".join(out).capitalize()
        text, start = [], 0
        while start < len(out):
            end = start + self.rng.randint(8, 20)
            text.append(" ".join(out[start:end]).capitalize() + ".")
            start = end
        return " ".join(text)


class Skewed:
    """Ids drawn with a Zipf-like skew: a few often, most a few times."""

    def __init__(self, rng: random.Random, ids: list[str], shift: float) -> None:
        self.rng, self.ids = rng, ids
        self.cum = list(accumulate(1 / (rank + shift) for rank in range(len(ids))))

    def one(self) -> str:
        return self.rng.choices(self.ids, cum_weights=self.cum)[0]

    def some(self, k: int) -> list[str]:
        picked: list[str] = []
        for _ in range(4 * k):
            item = self.one()
            if item not in picked:
                picked.append(item)
            if len(picked) == k:
                break
        return picked


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:limit].strip("-")


class Ids:
    """Unique readable slugs per collection."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, base: str) -> str:
        slug, k = base, 1
        while slug in self.taken:
            k += 1
            slug = f"{base}-{k}"
        self.taken.add(slug)
        return slug


def _lines(fields: dict[str, object]) -> str:
    out = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list):
            out.append(f"{key}: [{', '.join(value)}]")
        elif isinstance(value, bool):
            out.append(f"{key}: {'true' if value else 'false'}")
        else:
            out.append(f"{key}: {value}")
    return "\n".join(out) + "\n"


def _day(rng: random.Random, offset: int | None = None) -> date:
    return START + timedelta(days=rng.randint(0, DAYS) if offset is None else offset)


def _when(rng: random.Random) -> str:
    """A partial date: mostly a day, sometimes a month or an interval of days."""
    day, roll = _day(rng), rng.random()
    if roll < 0.05:
        return day.isoformat()[:7]
    if roll < 0.15:
        return f"{day.isoformat()}/{(day + timedelta(days=rng.randint(1, 14))).isoformat()}"
    return day.isoformat()


def _maybe(rng: random.Random, share: float, value: object) -> object:
    return value if rng.random() < share else None


def generate(root: Path, n: int, seed: int = 1) -> Path:
    """Write a project with n records under root (replacing it)."""
    rng = random.Random(seed)
    words = Words(rng)
    if root.exists():
        shutil.rmtree(root)
    sizes = counts(n)
    (root / "content").mkdir(parents=True)
    vocab = "\n".join(
        [f"  event_types: {{{', '.join(f'{k}: {v}' for k, v in EVENT_TYPES.items())}}}",
         f"  metrics: {{{', '.join(f'{k}: {v[0]}' for k, v in METRICS.items())}}}"])
    (root / "site.yaml").write_text(
        "title: Synthetic fact base\ndescription: Generated records for benchmarks.\n"
        "base_url: https://example.org/bench/\nlanguage: en\nlicense: CC-BY-4.0\n"
        "publisher: Bench Desk\ndataset: {name: bench-facts, version: \"1.0.0\"}\n"
        f"vocabularies:\n{vocab}\n")
    records: dict[str, dict[str, dict[str, object]]] = {c: {} for c in SHARES}
    ids = Ids()

    kinds = rng.choices(("person", "organization", "government", "group"), (40, 35, 15, 10),
                        k=sizes["actors"])
    bosses: list[str] = []
    for kind in kinds:
        name = words.name(2) if kind == "person" else (
            f"{words.name(1)} {rng.choice(('Ministry', 'Agency', 'News', 'Council', 'Forces'))}")
        rid = ids.make(_slug(name))
        records["actors"][rid] = {
            "name": _quoted(name), "kind": kind,
            "role": _maybe(rng, 0.7, _quoted(words.text(21, 6, 45, sentences=False))),
            "affiliation": rng.choice(bosses[-50:]) if bosses and rng.random() < 0.4 else None,
            "country": _maybe(rng, 0.87, rng.choice(("UA", "UA", "RU", "RU", "US", "FR", "DE",
                                                     "GB", "PL", "NO"))),
            "aliases": _maybe(rng, 0.3, [_quoted(words.name(1)) for _ in range(rng.randint(1, 2))]),
            "wikidata": _maybe(rng, 0.2, f"Q{rng.randint(100, 99_999_999)}"),
            "note": _maybe(rng, 0.45, _quoted(words.text(74, 20, 230)))}
        if kind != "person":
            bosses.append(rid)
    actor_ids = list(records["actors"])
    rng.shuffle(actor_ids)
    actors = Skewed(rng, actor_ids, 5)
    speakers = Skewed(rng, [a for a in actor_ids if records["actors"][a]["kind"] == "person"]
                      or actor_ids, 20)
    publishers = Skewed(rng, [a for a in actor_ids
                              if records["actors"][a]["kind"] == "organization"] or actor_ids, 3)
    for _ in range(sizes["places"]):
        name = words.name(rng.choice((1, 1, 1, 2)))
        records["places"][ids.make(_slug(name))] = {
            "name": _quoted(name), "country": rng.choice(("UA",) * 8 + ("RU", "PL")),
            "region": _maybe(rng, 0.75, _quoted(f"{words.name(1)} Oblast")),
            "lat": f"{rng.uniform(44.5, 52.3):.4f}", "lon": f"{rng.uniform(22.2, 40.2):.4f}",
            "aliases": _maybe(rng, 0.12, [_quoted(words.name(1))]),
            "note": _maybe(rng, 0.8, _quoted(words.text(53, 15, 120)))}
    places = Skewed(rng, list(records["places"]), 3)
    wires = publishers.ids[:5]
    for _ in range(sizes["sources"]):
        title = words.text(60, 25, 120, sentences=False)
        published = _day(rng)
        rid = ids.make(f"{_slug(title, 30)}-{published.isoformat()}")
        records["sources"][rid] = {
            "title": _quoted(title), "publisher": _maybe(rng, 0.8, publishers.one()),
            "url": _maybe(rng, 0.9, f"https://news.example.org/{published:%Y/%m}/{rid}"),
            "published": published.isoformat(),
            "accessed": _maybe(rng, 0.3, (published + timedelta(days=rng.randint(0, 30)))
                               .isoformat()),
            "language": rng.choice(("en",) * 6 + ("uk", "ru")),
            "contributors": _maybe(rng, 0.3, rng.sample(wires, min(len(wires),
                                                                  rng.randint(1, 3)))),
            "type": rng.choices(("article", "report", "statement", "dataset", "social_post",
                                 "broadcast"), (60, 15, 10, 3, 8, 4))[0],
            "note": _maybe(rng, 0.5, _quoted(words.text(120, 30, 260)))}
    sources = Skewed(rng, list(records["sources"]), 20)
    tags = Skewed(rng, sorted({_slug(words.text(12, 4, 20, sentences=False), 20)
                               for _ in range(80)}), 2)
    for _ in range(sizes["events"]):
        title, when = words.text(43, 15, 90, sentences=False), _when(rng)
        status = rng.choice(("reported", "reported", "reported", "claimed", "disputed",
                             "confirmed", "denied"))
        records["events"][ids.make(f"{when[:10]}-{_slug(title, 36)}")] = {
            "date": when, "title": _quoted(title),
            "summary": _maybe(rng, 0.95, _quoted(words.text(144, 40, 400))),
            "type": rng.choice(list(EVENT_TYPES)), "status": status,
            "places": rng.choices(([], [places.one()], places.some(2)), (10, 75, 15))[0] or None,
            "actors": actors.some(rng.choices((1, 2, 3, 4), (30, 40, 20, 10))[0]),
            "claimed_by": actors.some(1) if status == "claimed" else None,
            "disputed_by": actors.some(rng.randint(1, 2)) if status == "disputed" else None,
            "sources": sources.some(rng.choices((1, 2), (85, 15))[0]),
            "tags": tags.some(rng.randint(1, 3)),
            "note": _maybe(rng, 0.7, _quoted(words.text(140, 30, 260)))}
    event_ids = list(records["events"])
    _figures(rng, words, records, sizes["figures"], ids, actors, places, sources, event_ids)
    for _ in range(sizes["quotes"]):
        speaker, text = speakers.one(), words.text(54, 10, 300)
        language = rng.choices(("en", "uk", "ru"), (85, 10, 5))[0]
        records["quotes"][ids.make(f"{speaker[:16].strip('-')}-{_slug(text, 30)}")] = {
            "text": _quoted(text), "kind": rng.choice(("direct", "direct", "paraphrase")),
            "speaker": speaker, "said_on": _when(rng),
            "context": _maybe(rng, 0.87, _quoted(words.text(47, 12, 100, sentences=False))),
            "venue": _maybe(rng, 0.13, _quoted(words.text(23, 8, 45, sentences=False))),
            "audience": _maybe(rng, 0.04, actors.some(2)), "source": sources.one(),
            "event": _maybe(rng, 0.8, rng.choice(event_ids)), "language": language,
            "translated": True if language != "en" and rng.random() < 0.5 else None,
            "note": _maybe(rng, 0.8, _quoted(words.text(115, 30, 260)))}
    for collection, items in records.items():
        folder = root / "content" / collection
        folder.mkdir()
        for rid, fields in items.items():
            (folder / f"{rid}.yaml").write_text(f"id: {rid}\n{_lines(fields)}")
    return root


def _figures(rng: random.Random, words: Words, records: dict, count: int, ids: Ids,
             actors: Skewed, places: Skewed, sources: Skewed, event_ids: list[str]) -> None:
    """Figures: most in one of GROUPS series that each track one quantity over time."""
    series = []
    for g in range(GROUPS):
        metric = rng.choice(list(METRICS))
        series.append({"group": f"{metric.replace('_', '-')}-{g + 1:02d}", "metric": metric,
                       "subject": _quoted(words.text(48, 20, 81, sentences=False)),
                       "place": places.one(), "claimants": actors.some(rng.randint(2, 4)),
                       "scale": 10 ** rng.uniform(1, 6), "last": None})
    for _ in range(count):
        grouped = rng.random() < 0.7
        line = rng.choice(series) if grouped else None
        metric = line["metric"] if line else rng.choice(list(METRICS))
        qualifier = rng.choice(QUALIFIERS)
        offset = rng.randint(0, DAYS)
        scale = line["scale"] if line else 10 ** rng.uniform(1, 6)
        value = round(scale * (0.2 + offset / DAYS) * rng.uniform(0.8, 1.2)) + 1
        high = value + rng.randint(1, max(2, value // 5)) if qualifier == "range" else None
        unit = METRICS[metric][1]
        text = ("many " + unit if qualifier == "unquantified" else
                f"{WORDING[qualifier]}{value:,}" + (f" and {high:,}" if high else "") + f" {unit}")
        as_of = _day(rng, offset)
        rid = ids.make(f"{metric.replace('_', '-')}-{as_of.isoformat()}")
        records["figures"][rid] = {
            "metric": metric,
            "subject": line["subject"] if line else _quoted(words.text(48, 20, 81, False)),
            "value": None if qualifier == "unquantified" else value, "value_high": high,
            "qualifier": qualifier, "value_text": _quoted(text), "unit": unit,
            "as_of": as_of.isoformat(),
            "period_start": _maybe(rng, 0.15, START.isoformat()),
            "place": line["place"] if line else _maybe(rng, 0.9, places.one()),
            "event": _maybe(rng, 0.7, rng.choice(event_ids)),
            "claimant": rng.choice(line["claimants"]) if line else actors.one(),
            "source": sources.one(), "projection": True if rng.random() < 0.03 else None,
            "group": line["group"] if line else None,
            "supersedes": line["last"] if line and line["last"] and rng.random() < 0.05 else None,
            "note": _maybe(rng, 0.8, _quoted(words.text(122, 30, 260)))}
        if line:
            line["last"] = rid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.root, args.n, args.seed)


if __name__ == "__main__":
    main()
