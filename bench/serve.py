"""One-record edits in one long-lived builder, as `site-gen serve` keeps it.

    python bench/serve.py PROJECT --out OUT --event ID --edits 5

A full build first, then a no-change rebuild and a first edit (with its undo: the first edit
after a full build finds no spare output tree to update yet), then each measured edit: one
event's title changed and built, then restored and built again, as a save and an undo in an
editor. Prints one JSON object: the measured edits' wall and CPU seconds (user + system of
this process, every thread, and of the children each build waited for: the chart worker),
their time per stage, and the full build's, the no-change rebuild's and the first edit's
wall seconds. Each build's log goes to stderr, as `site-gen -v` writes it.

`bench.run` runs it as the `serve` scenario, in a subprocess with the same code and cache
folder as its other site-gen builds. It imports nothing from `bench`, so that it runs as a
plain script with only site_gen on the path.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import time
from pathlib import Path
from typing import Any

from site_gen.build import Builder


def _edited(text: str, mark: str) -> str:
    """The record's text with `mark` added to its title: inside the quotes, as
    bench.tools.SiteGen.edit adds it to a synthetic record's, or at the end of a plain one."""
    def add(found: re.Match[str]) -> str:
        value = found.group(2)
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            return found.group(1) + value[:-1] + mark + value[-1]
        return found.group(1) + value + mark

    changed, count = re.subn(r"^(title: *)(\S.*?) *$", add, text, count=1, flags=re.M)
    if not count:
        raise SystemExit("the event has no one-line title to edit")
    return changed


def _cpu() -> float:
    """User and system seconds of this process and of the children it has waited for."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(project: Path, out: Path, event: str, edits: int) -> dict[str, Any]:
    path = project / "content" / "events" / f"{event}.yaml"
    original = path.read_text(encoding="utf-8")
    builder = Builder(project, out)

    def build() -> tuple[float, float, dict[str, float]]:
        clock, cpu = time.perf_counter(), _cpu()
        result = builder.build()
        return time.perf_counter() - clock, _cpu() - cpu, dict(result.timings)

    found: dict[str, Any] = {"wall": [], "cpu": [], "stages": []}
    try:
        found["full"] = build()[0]
        found["nochange"] = build()[0]
        path.write_text(_edited(original, " (first edit)"), encoding="utf-8")
        found["first"] = build()[0]
        path.write_text(original, encoding="utf-8")
        build()
        for n in range(edits):
            path.write_text(_edited(original, f" (edit {n + 1})"), encoding="utf-8")
            wall, cpu, stages = build()
            found["wall"].append(wall)
            found["cpu"].append(cpu)
            found["stages"].append(stages)
            path.write_text(original, encoding="utf-8")
            build()
    finally:
        path.write_text(original, encoding="utf-8")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--event", required=True, help="the id of the event to edit")
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    if args.edits < 1:
        parser.error("--edits must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(json.dumps(measure(args.project, args.out, args.event, args.edits)))


if __name__ == "__main__":
    main()
