"""Machine-readable twins of record pages: schema.org JSON-LD and each record's own JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from site_gen.config import SiteConfig
from site_gen.filters import figure_value
from site_gen.json_text import compact_text
from site_gen.site_model import Entry

CONTEXT = "https://schema.org"
ACTOR_TYPES = {"person": "Person", "organization": "Organization",
               "government": "GovernmentOrganization", "group": "Organization"}


def absolute(config: SiteConfig, path: str) -> str | None:
    """An absolute URL from base_url, or None when the site has no base_url."""
    return config.base_url + path if config.base_url else None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _short(config: SiteConfig, entry: Entry, shape: str,
           make: Callable[[SiteConfig, Entry], dict[str, Any]]) -> dict[str, Any]:
    """A short form of a record that other records' JSON-LD embed, made once however many
    records name it and kept with the record's other components (Entry.rendered), which are
    dropped whenever what they show changes; made again for another site. Shared between
    descriptions: never mutated."""
    key = ("jsonld", shape)
    hit = entry.rendered.get(key)
    if hit is None or hit[0] is not config:
        hit = entry.rendered[key] = (config, make(config, entry))
    return hit[1]


def _make_thing(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    if entry.collection == "actors":
        kind = ACTOR_TYPES.get(str(entry.fields.get("kind")), "Thing")
    elif entry.collection == "places":
        kind = "Place"
    elif entry.collection == "sources":
        kind = "CreativeWork"
    else:
        kind = "Thing"
    return _compact({"@type": kind, "name": entry.label, "url": absolute(config, entry.path)})


def _thing(config: SiteConfig, entry: Entry | None) -> dict[str, Any] | None:
    """A short reference to another record: its type, name and page URL (shared: copy it to
    change it)."""
    return None if entry is None else _short(config, entry, "thing", _make_thing)


def _make_source(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    return {**_short(config, entry, "thing", _make_thing), **_compact({
        "sameAs": entry.fields.get("url"),
        "datePublished": entry.fields.get("published"),
        "publisher": _thing(config, entry.ref.get("publisher")),
    })}


def _source(config: SiteConfig, entry: Entry | None) -> dict[str, Any] | None:
    return None if entry is None else _short(config, entry, "source", _make_source)


def _make_place(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    data = dict(_short(config, entry, "thing", _make_thing))
    lat, lon = entry.fields.get("lat"), entry.fields.get("lon")
    if lat is not None and lon is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}
    return data


def _place(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    return _short(config, entry, "place", _make_place)


def _interpreter(config: SiteConfig) -> dict[str, Any] | None:
    if not config.publisher:
        return None
    return {"@type": "Organization", "name": config.publisher}


def event_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    fields = entry.fields
    return _compact({
        "@type": "Event",
        "name": fields.get("title"),
        "description": fields.get("summary"),
        "startDate": fields.get("date_start"),
        "endDate": fields.get("date_end"),
        "location": [_place(config, place) for place in entry.ref.get("places", [])],
        "actor": [_thing(config, actor) for actor in entry.ref.get("actors", [])],
        "keywords": [config.label("event_types", str(fields.get("type"))),
                     str(fields.get("status")), *fields.get("tags", [])],
        "subjectOf": [_source(config, source) for source in entry.ref.get("sources", [])],
    })


def figure_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    fields = entry.fields
    claimant = entry.ref.get("claimant")
    text = f"{entry.label}"
    if fields.get("subject"):
        text += f" ({fields['subject']})"
    if claimant is not None:
        text += f", per {claimant.label}"
    return _compact({
        "@type": "Claim",
        "name": entry.label,
        "text": text,
        "abstract": fields.get("value_text") or figure_value(fields),
        "author": _thing(config, claimant),
        "claimInterpreter": _interpreter(config),
        "appearance": _source(config, entry.ref.get("source")),
        "temporalCoverage": fields.get("as_of"),
        "spatialCoverage": _place(config, entry.ref["place"]) if entry.ref.get("place") else None,
    })


def quote_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    fields = entry.fields
    speaker = _thing(config, entry.ref.get("speaker"))
    return _compact({
        "@type": "Quotation",
        "text": fields.get("text"),
        "spokenByCharacter": speaker,
        "creator": speaker,
        "dateCreated": fields.get("said_on"),
        "inLanguage": fields.get("language"),
        "isBasedOn": _source(config, entry.ref.get("source")),
    })


def actor_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    fields = entry.fields
    data = dict(_thing(config, entry) or {})
    data.update(_compact({
        "alternateName": fields.get("aliases"),
        "description": fields.get("role"),
        "sameAs": (f"https://www.wikidata.org/wiki/{fields['wikidata']}"
                   if fields.get("wikidata") else None),
    }))
    return data


def place_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    data = dict(_place(config, entry))
    if entry.fields.get("aliases"):
        data["alternateName"] = entry.fields["aliases"]
    return data


def source_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    data = dict(_source(config, entry) or {})
    data.update(_compact({
        "inLanguage": entry.fields.get("language"),
        "contributor": [_thing(config, a) for a in entry.ref.get("contributors", [])],
    }))
    return data


BUILDERS = {"events": event_ld, "figures": figure_ld, "quotes": quote_ld,
            "actors": actor_ld, "places": place_ld, "sources": source_ld}


def record_ld(config: SiteConfig, entry: Entry) -> dict[str, Any]:
    """The schema.org description of a record page (Event, Claim, Quotation, …)."""
    data = {"@context": CONTEXT, **BUILDERS[entry.collection](config, entry)}
    url = absolute(config, entry.path)
    if url:
        data["@id"] = url
        data["url"] = url
    return data


def _reference(entry: Entry) -> dict[str, str]:
    return {"id": entry.id, "collection": entry.collection, "label": entry.label,
            "path": entry.path, "json": entry.json_path}


# Compact JSON with sorted keys, as record files and data in pages are written; one encoder.
ENCODE = partial(compact_text, sort_keys=True)
TEXT = json.encoder.encode_basestring  # what ENCODE does with a str, without its checks


def _reference_json(entry: Entry) -> str:
    """A record's reference as JSON text, made once however many records name it."""
    text = entry.rendered.get(("json", "reference"))
    if text is None:
        text = entry.rendered[("json", "reference")] = ENCODE(_reference(entry))
    return text


def record_json(config: SiteConfig, entry: Entry) -> bytes:
    """A record's fields (with derived columns) and its resolved references, as JSON.

    The bytes of json_text.compact of one dict with sorted keys (cited_by, collection,
    fields, id, label, path, references, url), put together from parts so that the
    reference to a record named by many others is encoded once."""
    references: list[str] = []
    for name, target in sorted(entry.ref.items()):
        if isinstance(target, list):
            listed = ",".join([_reference_json(t) for t in target])
            references.append(f"{TEXT(name)}:[{listed}]")
        elif target is not None:
            references.append(f"{TEXT(name)}:{_reference_json(target)}")
    cited = sorted(((f"{collection}.{field}", entries)
                    for (collection, field), entries in entry.back.items()),
                   key=lambda item: item[0])
    cited_by = ",".join([f"{TEXT(key)}:[{','.join([TEXT(e.id) for e in entries])}]"
                         for key, entries in cited])
    return (f'{{"cited_by":{{{cited_by}}},"collection":{TEXT(entry.collection)},'
            f'"fields":{ENCODE(entry.fields)},"id":{TEXT(entry.id)},'
            f'"label":{TEXT(entry.label)},"path":{TEXT(entry.path)},'
            f'"references":{{{",".join(references)}}},'
            f'"url":{ENCODE(absolute(config, entry.path))}}}\n').encode()
