"""Who publishes the data, under which license, and how to cite it: shared by every data file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from site_gen.config import SiteConfig

_CC = "https://creativecommons.org/"
_ODC = "https://opendatacommons.org/licenses/"
LICENSES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", _CC + "licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     _CC + "licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": ("Creative Commons Attribution-NonCommercial 4.0 International",
                     _CC + "licenses/by-nc/4.0/"),
    "CC-BY-NC-SA-4.0": ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 "
                        "International", _CC + "licenses/by-nc-sa/4.0/"),
    "CC-BY-ND-4.0": ("Creative Commons Attribution-NoDerivatives 4.0 International",
                     _CC + "licenses/by-nd/4.0/"),
    "CC-BY-NC-ND-4.0": ("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 "
                        "International", _CC + "licenses/by-nc-nd/4.0/"),
    "CC-BY-3.0": ("Creative Commons Attribution 3.0 Unported", _CC + "licenses/by/3.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", _CC + "publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", _ODC + "odbl/1-0/"),
    "ODC-By-1.0": ("Open Data Commons Attribution License v1.0", _ODC + "by/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication and License v1.0",
                 _ODC + "pddl/1-0/"),
}
_BY_LOWER = {key.lower(): key for key in LICENSES}


@dataclass(frozen=True)
class DatasetInfo:
    """The package-level facts every data file repeats, taken once from site.yaml and the clock."""

    name: str
    title: str
    description: str
    version: str
    publisher: str
    license: str
    license_title: str
    license_url: str
    base_url: str
    created: datetime

    @property
    def created_iso(self) -> str:
        return self.created.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def data_url(self) -> str:
        """Absolute address of the codebook page, or "" when the site has no base_url."""
        return self.base_url + "data/" if self.base_url else ""

    @property
    def source_title(self) -> str:
        return f"{self.title} ({self.publisher})" if self.publisher else self.title

    @property
    def author(self) -> str:
        return self.publisher or self.title

    def citation(self) -> str:
        """A plain-text reference: publisher, year, title, version, URL and license."""
        parts = [f"{self.author} ({self.created.year}). {self.title} (version {self.version}) "
                 "[Data set]."]
        if self.data_url:
            parts.append(f"{self.data_url}.")
        parts.append(f"License: {self.license_title or self.license}.")
        return " ".join(parts)


def dataset_info(config: SiteConfig, created: datetime) -> DatasetInfo:
    """Resolve the license name to its canonical SPDX id, title and URL when it is a known one."""
    key = _BY_LOWER.get(config.license.lower())
    title, url = LICENSES[key] if key else ("", "")
    return DatasetInfo(
        name=config.dataset.name,
        title=config.title,
        description=config.description,
        version=config.dataset.version,
        publisher=config.publisher,
        license=key or config.license,
        license_title=title,
        license_url=url,
        base_url=config.base_url,
        created=created,
    )


def license_descriptor(info: DatasetInfo) -> dict[str, str]:
    """A Data Package license: name (and path and title for the common open licenses)."""
    licence = {"name": info.license}
    if info.license_url:
        licence.update(path=info.license_url, title=info.license_title)
    return licence


def citation_cff(info: DatasetInfo) -> str:
    """CITATION.cff 1.2.0 for the zip, so that repositories and reference managers can cite it."""

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = [
        "cff-version: 1.2.0",
        "message: If you use this dataset, please cite it as below.",
        "type: dataset",
        f"title: {q(info.title)}",
        f"version: {q(info.version)}",
        f"date-released: {q(info.created.date().isoformat())}",
        "authors:",
        f"  - name: {q(info.author)}",
    ]
    if info.description:
        lines.append(f"abstract: {q(info.description)}")
    if info.license in LICENSES:  # CFF accepts SPDX ids only
        lines.append(f"license: {q(info.license)}")
    if info.data_url:
        lines.append(f"url: {q(info.data_url)}")
    return "\n".join(lines) + "\n"
