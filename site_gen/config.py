"""site.yaml: the project's typed settings and vocabularies; unknown keys are errors."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from site_gen.problems import Pos, Problem
from site_gen.yamlstrict import Document, read_yaml

# Used with fullmatch: a `$` would also accept a final line break ("strike\n").
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# A host, then a path: no spaces, quotes, angle brackets, backslashes, query or fragment,
# since pages, feed, sitemap and robots.txt append paths to it.
BASE_URL = re.compile(r"https?://[^\s/<>\"'`\\?#]+(/[^\s<>\"'`\\?#]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Dataset:
    name: str
    """Machine name of the published Data Package (a lowercase slug)."""
    version: str
    """Version of the published data, e.g. 1.0.0; bump it when the data changes meaningfully."""


@dataclass(frozen=True)
class SiteConfig:
    """The settings in site.yaml. Each attribute's docstring is the documentation of its key."""

    title: str
    """Name of the fact base, shown in every page header and in the dataset metadata."""
    description: str = ""
    """One or two sentences on what the fact base covers; home page, feed and dataset."""
    base_url: str = ""
    """Absolute URL where the site is published; only used for feed, sitemap and canonical URLs."""
    language: str = "en"
    """BCP 47 language of the site's pages, e.g. en or uk."""
    license: str = "CC-BY-4.0"
    """SPDX identifier of the data license, e.g. CC-BY-4.0."""
    publisher: str = ""
    """Who publishes the fact base (a desk, an NGO, a team)."""
    dataset: Dataset = field(default_factory=lambda: Dataset("fact-base", "1.0.0"))
    """Name and version of the published Data Package: {name: …, version: …}."""
    vocabularies: dict[str, dict[str, str]] = field(default_factory=dict)
    """Open vocabularies: vocabulary name -> {slug: label}, e.g. event_types and metrics."""

    def with_base_url(self, base_url: str) -> SiteConfig:
        """A copy with the base URL given on the command line (always ending in /)."""
        return replace(self, base_url=base_url if base_url.endswith("/") else base_url + "/")

    def label(self, vocabulary: str, slug: str) -> str:
        return self.vocabularies.get(vocabulary, {}).get(slug, slug)


KEYS = ("title", "description", "base_url", "language", "license", "publisher", "dataset",
        "vocabularies")
REQUIRED = ("title",)


def valid_base_url(text: str) -> bool:
    """An absolute http(s) URL that paths can be appended to, and nothing that could escape."""
    return BASE_URL.fullmatch(text) is not None


def _suggest(name: str, options: list[str] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean '{match[0]}'?" if match else f"; known keys: {', '.join(options)}"


def read_config(project: Path) -> tuple[SiteConfig | None, list[Problem]]:
    """Read and check site.yaml; return None with problems when it cannot be used."""
    path = project / "site.yaml"
    rel = "site.yaml"
    if not path.is_file():
        return None, [Problem(rel, 1, 1, "config-missing",
                              "no site.yaml in the project; run `site-gen init` or create one")]
    doc, problems = read_yaml(rel, path.read_bytes())
    if problems:
        return None, problems
    return parse_config(doc, rel)


def parse_config(doc: Document, rel: str) -> tuple[SiteConfig | None, list[Problem]]:
    data = doc.value
    problems: list[Problem] = []

    def at(*path: str | int) -> Pos:
        return doc.values.get(tuple(path), Pos(rel))

    def bad(code: str, message: str, *path: str | int) -> None:
        problems.append(Problem.at(at(*path), code, message))

    if not isinstance(data, dict):
        return None, [Problem.at(at(), "config-type", "site.yaml holds a mapping of settings")]
    for key in data:
        if key not in KEYS:
            pos = doc.keys.get((key,), Pos(rel))
            problems.append(Problem.at(pos, "config-unknown-key",
                                       f"unknown setting '{key}'{_suggest(key, KEYS)}"))
    for key in REQUIRED:
        if key not in data:
            bad("config-required", f"site.yaml needs '{key}'")
        elif data[key] is None or (isinstance(data[key], str) and not data[key].strip()):
            bad("config-required", f"'{key}' is empty; site.yaml needs a {key}", key)
    text: dict[str, str] = {}
    for key in ("title", "description", "base_url", "language", "license", "publisher"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            bad("config-type", f"'{key}' must be text; put it in quotes", key)
            continue
        text[key] = value
    base_url = text.get("base_url", "")
    if base_url and not valid_base_url(base_url):
        bad("config-base-url", "base_url must be an absolute http(s) URL, "
            "e.g. https://example.org/facts/", "base_url")
    elif base_url and not base_url.endswith("/"):
        base_url += "/"
    if "language" in text and not LANGUAGE.fullmatch(text["language"]):
        bad("config-language", "language must be a BCP 47 tag such as en or uk", "language")
    dataset = Dataset("fact-base", "1.0.0")
    raw = data.get("dataset")
    if raw is not None:
        if not isinstance(raw, dict):
            bad("config-type", "dataset is a mapping: {name: my-facts, version: 1.0.0}",
                "dataset")
        else:
            for key in raw:
                if key not in ("name", "version"):
                    problems.append(Problem.at(
                        doc.keys.get(("dataset", key), at("dataset")), "config-unknown-key",
                        f"unknown dataset setting '{key}'{_suggest(key, ('name', 'version'))}"))
            name, version = raw.get("name", "fact-base"), raw.get("version", "1.0.0")
            if not isinstance(name, str) or not SLUG.fullmatch(name):
                bad("config-dataset", "dataset.name must be a lowercase slug like ukraine-facts",
                    "dataset", "name")
            if not isinstance(version, str):
                bad("config-type", "dataset.version must be text; quote it: \"1.0.0\"",
                    "dataset", "version")
            dataset = Dataset(str(name), str(version))
    vocabularies: dict[str, dict[str, str]] = {}
    raw = data.get("vocabularies")
    if raw is not None and not isinstance(raw, dict):
        bad("config-type", "vocabularies maps a vocabulary name to {slug: label}",
            "vocabularies")
    elif isinstance(raw, dict):
        for name, terms in raw.items():
            if not isinstance(terms, dict) or not terms:
                bad("config-vocabulary", f"vocabulary '{name}' maps slugs to labels, "
                    "e.g. {strike: Strike}", "vocabularies", name)
                continue
            vocabularies[name] = {}
            for slug, label in terms.items():
                if not SLUG.fullmatch(slug):
                    problems.append(Problem.at(
                        doc.keys.get(("vocabularies", name, slug), at("vocabularies", name)),
                        "config-vocabulary",
                        f"'{slug}' is not a slug: use lowercase letters, digits, - and _"))
                if not isinstance(label, str):
                    bad("config-vocabulary", f"the label of '{slug}' must be text",
                        "vocabularies", name, slug)
                    continue
                vocabularies[name][slug] = label
    if problems:
        return None, problems
    return SiteConfig(
        title=text["title"],
        description=text.get("description", ""),
        base_url=base_url,
        language=text.get("language", "en"),
        license=text.get("license", "CC-BY-4.0"),
        publisher=text.get("publisher", ""),
        dataset=dataset,
        vocabularies=vocabularies,
    ), []
