"""A record's JSON, put together from cached parts, is byte for byte what json.dumps makes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from golden.support import SITE

from site_gen.config import SiteConfig
from site_gen.jsonld import record_json
from site_gen.render import site_model
from site_gen.site_model import Entry
from site_gen.validate import gather

HOSTILE = "Kyiv</script>\"'\\ \u2028 \u00e9 \U0001f600 \x1f"


def dumped(config: SiteConfig, entry: Entry) -> bytes:
    """record_json as one dict through json.dumps: the definition of its bytes."""
    def reference(e: Entry) -> dict[str, str]:
        return {"id": e.id, "collection": e.collection, "label": e.label, "path": e.path,
                "json": e.json_path}
    references: dict[str, Any] = {}
    for name, target in entry.ref.items():
        if isinstance(target, list):
            references[name] = [reference(t) for t in target]
        elif target is not None:
            references[name] = reference(target)
    data = {"collection": entry.collection, "id": entry.id, "label": entry.label,
            "path": entry.path, "fields": entry.fields, "references": references,
            "url": config.base_url + entry.path if config.base_url else None,
            "cited_by": {f"{c}.{f}": [e.id for e in es] for (c, f), es in entry.back.items()}}
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            + "\n").encode()


@pytest.mark.parametrize("base_url", ["", "https://example.org/golden/"])
def test_every_golden_record_matches_json_dumps(base_url: str) -> None:
    gathered = gather(SITE)
    assert gathered.config is not None
    gathered.config = gathered.config.with_base_url(base_url) if base_url else gathered.config
    model = site_model(gathered)
    entries = [entry for members in model.ordered.values() for entry in members]
    assert len(entries) == 19
    for _ in range(2):  # the second time, references come from the cache
        for entry in entries:
            assert record_json(model.config, entry) == dumped(model.config, entry), entry


def test_hostile_text_in_every_part_matches_json_dumps() -> None:
    config = SiteConfig(title="t", base_url=f"https://example.org/{HOSTILE}/")
    target = Entry("actors", HOSTILE, {"id": HOSTILE, "name": HOSTILE})
    target.label = HOSTILE
    entry = Entry("events", f"e-{HOSTILE}", {"id": f"e-{HOSTILE}", HOSTILE: [HOSTILE, 1.5, None],
                                            "n": 10**20, "ok": True, "nested": {"b": 1, "a": 2}})
    entry.label = HOSTILE
    entry.ref = {HOSTILE: target, "b": [target, target], "a": None, "c": []}
    entry.back = {("quotes", HOSTILE): [target], ("figures", "event"): [target, target],
                  ("actors", "affiliation"): []}
    assert record_json(config, entry) == dumped(config, entry)
    assert json.loads(record_json(config, entry))["references"][HOSTILE]["label"] == HOSTILE
