"""The all-in-one download: every data file plus a README and a citation, as a reproducible zip."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from site_gen.codebook import CSV_RULES, Download, FieldView, TableView
from site_gen.dataset_meta import DatasetInfo

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
FILE_MODE = 0o100644


def _md(text: str) -> str:
    """Text safe inside a Markdown line (no accidental emphasis, code or HTML)."""
    for char in "\\`*<":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _field_line(view: FieldView) -> str:
    facts = [view.type]
    facts += [f"{c.label} `{c.code}`" if c.code else c.label for c in view.constraints]
    line = f"- `{view.name}` ({', '.join(facts)}): {_md(view.description)}"
    if view.reference:
        line += f" References `{view.reference[0]}.{view.reference[1]}`."
    if view.derived:
        line += " Derived by the build."
    if view.allowed:
        values = [f"`{a.value}` ({_md(a.label)})" if a.label else f"`{a.value}`"
                  for a in view.allowed]
        line += " Allowed values: " + ", ".join(values) + "."
    return line


def readme(info: DatasetInfo, tables: list[TableView], downloads: list[Download]) -> str:
    """README.md of the zip: what each file and table holds, how to cite, the license."""
    lines = [f"# {_md(info.title)}", ""]
    if info.description:
        lines += [_md(info.description), ""]
    lines += [f"Version {_md(info.version)}, built {info.created_iso}"
              + (f" by {_md(info.author)}." if info.publisher else ".")]
    if info.data_url:
        lines += ["", f"Codebook and latest version: <{info.data_url}>"]
    licence = info.license_title or info.license
    lines += ["", "## License", "", f"{_md(licence)} ({_md(info.license)})"
              + (f": <{info.license_url}>" if info.license_url else "")]
    lines += ["", "## How to cite", "", _md(info.citation()), "",
              "CITATION.cff holds the same reference for reference managers."]
    lines += ["", "## Files", ""]
    lines += [f"- `{d.name}` ({d.format}, {d.human_size}): {_md(d.description)}"
              for d in downloads]
    lines += ["- `README.md`: this file.", "- `CITATION.cff`: how to cite the dataset.",
              "", "## File conventions", ""]
    lines += [line for rule in CSV_RULES for line in (_md(rule), "")]
    lines += ["## Tables", ""]
    for table in tables:
        lines += [f"### {table.name}: {_md(table.title)}", "", _md(table.description), "",
                  f"{table.rows} rows. Primary key: "
                  + ", ".join(f"`{k}`" for k in table.primary_key) + ".", ""]
        lines += [_field_line(view) for view in table.fields]
        lines.append("")
    return "\n".join(lines)


def _stamp(when: datetime) -> tuple[int, int, int, int, int, int]:
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    return max(stamp, ZIP_EPOCH)


def zip_bytes(folder: str, files: dict[str, bytes], when: datetime) -> bytes:
    """A zip of `files` under `folder/`: sorted entries, fixed time and permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(f"{folder}/{name}", date_time=_stamp(when))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so that the permissions below are read
            entry.external_attr = FILE_MODE << 16
            archive.writestr(entry, files[name])
    return buffer.getvalue()
