"""Rebuild times in one long-lived builder (as `site-gen serve` keeps it) and by the CLI.

    python -m bench.incremental PROJECT --out /dev/shm/out --runs 5

Prints the medians of: a full build (each run starts from an empty output and cache), a
no-change rebuild, the first one-record edit after the full build and a later one-record
edit (with its time per stage) in the same Builder, and a one-record edit rebuild by
`python -m site_gen build`.
The edited record (an event's title) is restored afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from site_gen.build import Builder


def _timed(action: object) -> float:
    clock = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="site-gen-bench-cache-"))
    os.environ["SITE_GEN_CACHE"] = str(cache)
    event = sorted((args.project / "content" / "events").glob("*.y*ml"))[0]
    original = event.read_text(encoding="utf-8")
    full, unchanged, first, edited, cli = [], [], [], [], []
    stages: list[dict[str, float]] = []
    written = 0
    try:
        for run in range(args.runs):
            shutil.rmtree(args.out, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            builder = Builder(args.project, args.out)
            full.append(_timed(builder.build))
            unchanged.append(_timed(builder.build))
            # The first edit after a full build finds no spare output tree to update yet;
            # the edits after it (as in `site-gen serve`) do.
            event.write_text(original.replace("title: ", f"title: First {run} ", 1),
                             encoding="utf-8")
            first.append(_timed(builder.build))
            event.write_text(original, encoding="utf-8")
            builder.build()
            event.write_text(original.replace("title: ", f"title: Edited {run} ", 1),
                             encoding="utf-8")
            clock = time.perf_counter()
            result = builder.build()
            edited.append(time.perf_counter() - clock)
            written = result.stats.written
            stages.append(result.timings)
            event.write_text(original, encoding="utf-8")
            builder.build()
        command = [sys.executable, "-m", "site_gen", "build", str(args.project), "--out",
                   str(args.out)]
        subprocess.run(command, check=True, capture_output=True)
        for run in range(args.runs):
            event.write_text(original.replace("title: ", f"title: Command {run} ", 1),
                             encoding="utf-8")
            cli.append(_timed(lambda: subprocess.run(command, check=True,
                                                     capture_output=True)))
    finally:
        event.write_text(original, encoding="utf-8")
        shutil.rmtree(cache, ignore_errors=True)
    print(f"median of {args.runs}: full build {statistics.median(full):.2f} s (empty cache), "
          f"no-change rebuild {statistics.median(unchanged):.3f} s, first edit after the full "
          f"build {statistics.median(first):.3f} s, one-record edit {statistics.median(edited):.3f}"
          f" s ({written} files written); command-line one-record edit "
          f"{statistics.median(cli):.2f} s")
    names = list(stages[0])
    print("one-record edit by stage (median s): " + "  ".join(
        f"{name} {statistics.median(s.get(name, 0.0) for s in stages):.3f}" for name in names))


if __name__ == "__main__":
    main()
