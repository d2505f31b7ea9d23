"""JSON-LD built from short forms shared between records: the same for every page, whichever
order the pages come in, and each site's own URLs."""

from __future__ import annotations

import copy
import json

from golden.support import SITE

from site_gen.jsonld import record_ld
from site_gen.render import site_model
from site_gen.theme import script_json
from site_gen.validate import gather


def test_descriptions_do_not_change_as_records_share_their_short_forms() -> None:
    gathered = gather(SITE)
    assert gathered.config is not None
    model = site_model(gathered)
    entries = [entry for members in model.ordered.values() for entry in members]
    config = model.config.with_base_url("https://example.org/a/")
    first = [copy.deepcopy(record_ld(config, entry)) for entry in entries]
    # In reverse order, then again: each description is built from the cached short forms.
    later = [record_ld(config, entry) for entry in reversed(entries)][::-1]
    again = [record_ld(config, entry) for entry in entries]
    assert first == later == again
    other = model.config.with_base_url("https://example.org/b/")
    moved = [json.dumps(record_ld(other, entry)) for entry in entries]
    assert all("example.org/a/" not in text for text in moved)
    assert sum(text.count("example.org/b/") for text in moved) == sum(
        json.dumps(ld).count("example.org/a/") for ld in first)
    assert [record_ld(config, entry) for entry in entries] == first


def test_script_json_is_sorted_compact_and_cannot_close_the_script() -> None:
    value = {"b": "</script><!-- \u2028\u2029 & é", "a": [1, 2.5, None, True]}
    text = str(script_json(value))
    assert text == ('{"a":[1,2.5,null,true],"b":"\\u003c/script\\u003e\\u003c!-- '
                    '\\u2028\\u2029 \\u0026 é"}')
    assert json.loads(text) == value
