"""The search index of a long-lived builder: an edit serialises again only the shards and doc
chunks it touched, and the files equal those of an index made from scratch."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from site_gen.build import Builder
from site_gen.render import site_model
from site_gen.search import SearchCache, build_search, shard_key, words
from site_gen.search_index import FOLDER
from site_gen.site_model import SiteModel
from site_gen.validate import gather

GOLDEN = Path(__file__).parent / "golden" / "site"
FINGERPRINT = "site"


@pytest.fixture
def project(golden_project: Path) -> Path:
    return golden_project


def model_of(project: Path) -> SiteModel:
    gathered = gather(project)
    assert gathered.ok, gathered.problems
    return site_model(gathered)


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def update(project: Path, cache: SearchCache, fingerprint: str = FINGERPRINT
           ) -> tuple[dict[str, bytes], set[str]]:
    """The files of the cached index after the project's current records, checked against an
    index made from scratch, and the paths that were serialised again."""
    model = model_of(project)
    files = build_search(model, cache, fingerprint)
    assert files == build_search(model)
    assert cache.index is not None
    return files, set(cache.index.remade)


def terms(*texts: str) -> set[str]:
    return {f"{FOLDER}terms/{shard_key(word)}.json" for text in texts for word in words(text)}


def test_an_unchanged_model_serialises_nothing_again(project: Path) -> None:
    cache = SearchCache()
    files, remade = update(project, cache)
    assert remade == {path for path in files if not path.endswith("meta.json")}
    assert update(project, cache)[1] == set()


def test_a_title_edit_remakes_the_shards_of_its_words_and_its_chunk(project: Path) -> None:
    cache = SearchCache()
    files = update(project, cache)[0]
    replace_text(project / "content/events/kyiv-strike.yaml", "title: Missile hits Kyiv",
                 "title: Missile strikes Kyiv")
    remade = update(project, cache)[1]
    assert remade == terms("hits strikes") | {f"{FOLDER}docs/0.json"}
    assert len(remade) < len(files) / 4


def test_a_renamed_actor_reaches_the_records_citing_it(project: Path) -> None:
    cache = SearchCache()
    update(project, cache)
    replace_text(project / "content/actors/actors.yaml", "name: Wire Agency",
                 "name: Wire Agency Zulu")
    files, remade = update(project, cache)
    assert remade == terms("zulu") | {f"{FOLDER}docs/0.json"}
    docs = json.loads(files[f"{FOLDER}docs/0.json"])
    found = json.loads(files[f"{FOLDER}terms/{shard_key('zulu')}.json"])["zulu"]
    assert {docs[number][0] for number in found} == {"actors/wire-agency/",
                                                     "sources/wire-report/"}


def test_additions_and_removals_renumber_the_docs_and_match_a_fresh_index(
        project: Path) -> None:
    cache = SearchCache()
    files = update(project, cache)[0]
    (project / "content/events/lviv-rally.yaml").write_text(
        "id: lviv-rally\ndate: 2022-03-02\ntitle: Rally in Lviv\ntype: diplomacy\n"
        "status: reported\nplaces: [kyiv]\nsources: [wire-report]\n", encoding="utf-8")
    added, remade = update(project, cache)
    assert added != files and remade == {p for p in added if not p.endswith("meta.json")}
    replace_text(project / "content/events/lviv-rally.yaml", "Rally in Lviv", "Protest in Odesa")
    assert update(project, cache)[1] == terms("protest odesa") | {f"{FOLDER}docs/0.json"}
    (project / "content/events/lviv-rally.yaml").unlink()
    (project / "content/events/first-week.yaml").unlink()
    update(project, cache)


def test_a_new_fingerprint_makes_the_index_anew(project: Path) -> None:
    cache = SearchCache()
    files = update(project, cache)[0]
    assert update(project, cache, "other site")[1] == {
        p for p in files if not p.endswith("meta.json")}


def test_random_edits_of_the_model_match_a_fresh_index(project: Path) -> None:
    """Fields, labels and versions changed at random, as edits of records would change them."""
    model = model_of(project)
    cache = SearchCache()
    build_search(model, cache, FINGERPRINT)
    entries = [e for members in model.entries.values() for e in members.values()]
    rnd = random.Random(7)
    vocabulary = ["Kyiv", "Kyïv", "Київ", "strike", "tower", "naïve", "Ωmega", "2022", "talks"]
    for step in range(60):
        entry = rnd.choice(entries)
        if rnd.random() < 0.4:
            entry.label = " ".join(rnd.sample(vocabulary, 2))
        else:
            texts = [name for name, value in entry.fields.items() if isinstance(value, str)]
            entry.fields = {**entry.fields,
                            rnd.choice(texts): " ".join(rnd.sample(vocabulary, 3))}
        entry.version = f"{entry.version}+{step}"
        assert build_search(model, cache, FINGERPRINT) == build_search(model), step


def test_only_a_long_lived_builder_keeps_the_index(project: Path, tmp_path: Path) -> None:
    assert Builder(project, tmp_path / "once", long_lived=False).search is None
    builder = Builder(project, tmp_path / "out")
    builder.build()
    replace_text(project / "content/events/kyiv-strike.yaml", "title: Missile hits Kyiv",
                 "title: Missile strikes Kyiv")
    builder.build()
    assert builder.search is not None and builder.search.index is not None
    assert set(builder.search.index.remade) == terms("hits strikes") | {
        f"{FOLDER}docs/0.json"}


def test_the_word_memo_does_not_grow_with_edits(project: Path) -> None:
    cache = SearchCache()
    update(project, cache)
    size = len(cache.known)
    path = project / "content/events/kyiv-strike.yaml"
    for number in range(5):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("title: Missile", f"title: Edit {number} Missile", 1),
                        encoding="utf-8")
        update(project, cache)
    assert len(cache.known) == size


def test_each_doc_keeps_its_words_as_one_tuple_of_shared_strings(project: Path) -> None:
    """At 100,000 records the word lists are most of the search stage's memory: a tuple per
    doc and per text, and one string object per word however many docs hold it."""
    cache = SearchCache()
    build_search(model_of(project), cache, FINGERPRINT)
    assert cache.index is not None
    assert all(type(found) is tuple for found in cache.index.found)
    assert all(type(split) is tuple for split in cache.known.values())
    held: dict[str, str] = {}
    repeated = 0
    for found in cache.index.found:
        for word in found:
            repeated += word in held
            assert held.setdefault(word, word) is word
    assert repeated > 100
