"""The README of the all-in-one download (the zip itself is made by dataset_archive)."""

from __future__ import annotations

from site_gen.codebook import CSV_RULES, Download, FieldView, TableView
from site_gen.dataset_meta import DatasetInfo


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
