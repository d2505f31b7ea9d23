"""Benchmark site-gen against Hugo and Pelican on synthetic fact bases of N records.

    python -m bench.run --sizes 1000,10000,100000 --runs 5 --skip pelican@100000

For each size: generate the project (bench.synth), write the same records as a Hugo and a
Pelican site, then for each run and each tool in turn (site-gen, hugo, pelican, site-gen, …)
measure four builds: cold (no output, no cache), warm (cache kept, no output), no change
(output and cache kept) and one edit (one event's title changed, then restored). Every
build is a subprocess; results are medians over the runs. For site-gen, a fifth scenario
(`serve`, up to --serve-max records) edits the same event several times in one long-lived
builder, as `site-gen serve` keeps it (bench/serve.py, also a subprocess). Projects and
outputs live in a temporary folder on tmpfs (/dev/shm) and are removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import measure, records, report, synth
from bench.tools import TOOLS, Tool, beside_output, versions

SCENARIOS = ("cold", "warm", "nochange", "edit", "serve")
SERVE = Path(__file__).with_name("serve.py")  # run as a script: only site_gen on the path


def _pairs(text: str) -> set[tuple[str, int]]:
    out = set()
    for item in filter(None, text.split(",")):
        tool, _, n = item.partition("@")
        out.add((tool, int(n)))
    return out


def _runs_at(text: str) -> dict[tuple[str, int], int]:
    out = {}
    for item in filter(None, text.split(",")):
        key, _, runs = item.partition("=")
        tool, _, n = key.partition("@")
        out[(tool, int(n))] = int(runs)
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="record counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and size")
    parser.add_argument("--tools", default="site-gen,hugo,pelican")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--skip", default="", help="TOOL@N pairs not to run, e.g. pelican@100000")
    parser.add_argument("--runs-at", default="",
                        help="TOOL@N=R overrides of --runs, e.g. site-gen@100000=1")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per build")
    parser.add_argument("--max-rss-mb", type=float, default=8000,
                        help="kill a build whose process tree holds more than this")
    parser.add_argument("--workdir", type=Path, default=Path("/dev/shm"),
                        help="where the temporary projects and outputs go (tmpfs)")
    parser.add_argument("--results", type=Path, default=None,
                        help="JSON results file (default: WORKDIR/site-gen-bench-<time>.json)")
    parser.add_argument("--serve-max", type=int, default=10_000,
                        help="the largest size at which the serve scenario runs")
    parser.add_argument("--serve-edits", type=int, default=5,
                        help="edits measured per run of the serve scenario (their median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep projects and outputs")
    parser.add_argument("--live", action="store_true",
                        help="build with the working tree's site_gen as it changes, instead of "
                             "a copy taken at the start (the default keeps every run on the "
                             "same code while the tree is being edited)")
    args = parser.parse_args(argv)
    if args.serve_edits < 1:
        parser.error("--serve-edits must be at least 1")
    args.sizes = [int(n) for n in args.sizes.split(",")]
    args.tools = [t for t in args.tools.split(",") if t]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.tools) - set(TOOLS) | set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown tool or scenario: {', '.join(sorted(unknown))}")
    args.skip, args.runs_at = _pairs(args.skip), _runs_at(args.runs_at)
    return args


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _git(*cmd: str) -> str:
    repo = Path(__file__).resolve().parent.parent
    try:
        return subprocess.run(["git", "-C", str(repo), *cmd], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def snapshot(dest: Path) -> str:
    """Copy the site_gen package to dest; return a short hash of what was copied."""
    import site_gen

    source = Path(site_gen.__file__).resolve().parent
    target = dest / "site_gen"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(target)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _build(tool: Tool, scenario: str, event: str, logs: Path, args: argparse.Namespace,
           tag: str) -> dict[str, Any]:
    tool.clean(scenario)
    if scenario == "edit":
        tool.edit(event)
    try:
        got = measure.run(tool.command(), logs / f"{tag}.log", args.timeout, args.max_rss_mb,
                          extra_env=tool.env)
    finally:
        tool.restore()
    return {"status": got.status, "wall": round(got.wall, 3), "cpu": round(got.cpu, 3),
            "maxrss_mb": round(got.maxrss_mb, 1), "tree_mb": round(got.tree_mb, 1),
            "others": round(got.others, 2),
            "stages": tool.stages(got.stdout)}


def _serve(tool: Tool, event: str, logs: Path, args: argparse.Namespace,
           tag: str) -> dict[str, Any]:
    """The serve scenario: the median of the run's edits, in one long-lived builder. A run
    killed (timeout, memory) leaves no output behind, nor the event edited."""
    out = tool.out.parent / f"{tool.out.name}-serve"
    script = args.code / SERVE.name if args.code else SERVE
    command = [sys.executable, str(script), str(tool.site), "--out", str(out), "--event", event,
               "--edits", str(args.serve_edits)]
    record = tool.site / "content" / "events" / f"{event}.yaml"
    original = record.read_bytes()
    try:
        got = measure.run(command, logs / f"{tag}.log", args.timeout, args.max_rss_mb,
                          extra_env=tool.env)
    finally:
        record.write_bytes(original)
        for folder in (out, *beside_output(out)):
            shutil.rmtree(folder, ignore_errors=True)
    row: dict[str, Any] = {"status": got.status, "maxrss_mb": round(got.maxrss_mb, 1),
                           "tree_mb": round(got.tree_mb, 1), "others": round(got.others, 2),
                           "wall": 0.0, "cpu": 0.0, "stages": {}}
    if got.status != "ok":
        return row
    try:
        found = json.loads(got.stdout.strip().splitlines()[-1])
        stages = found["stages"]
        names = list(dict.fromkeys(name for timings in stages for name in timings))
        row.update(wall=round(statistics.median(found["wall"]), 4),
                   cpu=round(statistics.median(found["cpu"]), 4),
                   stages={name: statistics.median(s.get(name, 0.0) for s in stages)
                           for name in names},
                   edits=[round(x, 4) for x in found["wall"]],
                   full=round(found["full"], 3), nochange=round(found["nochange"], 4),
                   first=round(found["first"], 4))
    except (IndexError, KeyError, TypeError, ValueError, statistics.StatisticsError):
        row["status"] = "failed (no result printed)"
    return row


def bench_size(n: int, args: argparse.Namespace, data: dict[str, Any], save) -> None:
    base = Path(tempfile.mkdtemp(prefix=f"site-gen-bench-{n}-", dir=args.workdir))
    logs = args.results.parent / (args.results.stem + "-logs")
    clock = time.perf_counter()
    project = synth.generate(base / "site-gen", n, args.seed)
    facts = records.load(project)
    tools = {name: TOOLS[name](base / name, base / "out" / name) for name in args.tools
             if (name, n) not in args.skip}
    for tool in tools.values():
        tool.prepare(project, facts)
    if "site-gen" in tools:
        # The copy, or with --live the checkout. PYTHONSAFEPATH: `-m` would put the working
        # folder first on the path, in the build and in its chart worker (so that a benchmark
        # started in the checkout ran the working tree rather than the copy), and a script
        # its own folder (bench/serve.py: bench/, whose `run` and `tools` could shadow).
        code = args.code or Path(__file__).resolve().parent.parent
        tools["site-gen"].env.update(PYTHONPATH=str(code), PYTHONSAFEPATH="1")
    data["prepare_s"][str(n)] = round(time.perf_counter() - clock, 1)
    events = [item["id"] for item in facts["events"]]
    event = events[len(events) // 2]
    broken: set[str] = set()
    try:
        for run in range(max(args.runs_at.get((t, n), args.runs) for t in tools)):
            for name, tool in tools.items():
                if run >= args.runs_at.get((name, n), args.runs) or name in broken:
                    continue
                for scenario in args.scenarios:
                    tag = f"{n}-{name}-{run + 1}-{scenario}"
                    if scenario == "serve" and (name != "site-gen" or n > args.serve_max):
                        continue
                    _say(f"{n:,} {name} run {run + 1} {scenario}")
                    row = (_serve(tool, event, logs, args, tag) if scenario == "serve"
                           else _build(tool, scenario, event, logs, args, tag))
                    row.update(n=n, tool=name, run=run + 1, scenario=scenario)
                    data["results"].append(row)
                    save()
                    _say(f"  {row['status']} {row['wall']:.2f}s cpu {row['cpu']:.2f}s "
                         f"rss {row['maxrss_mb']:.0f}/{row['tree_mb']:.0f} MB, "
                         f"others {row['others']:.2f} cores")
                    if row["status"] != "ok":
                        broken.add(name)
                        break
                if name in broken:
                    shutil.rmtree(tool.out, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.results = args.results or args.workdir / f"site-gen-bench-{stamp}.json"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    code = Path(tempfile.mkdtemp(prefix="site-gen-code-", dir=args.workdir))
    args.code = None if args.live else code
    if args.code:  # the serve scenario's script, measured from the copy too
        shutil.copy2(SERVE, code / SERVE.name)
    data: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": stamp, "machine": report.machine(args.workdir), "versions": versions(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--", "site_gen")),
        "code": "live working tree" if args.live else f"copy of site_gen, sha256 {snapshot(code)}",
        "sizes": args.sizes, "tools": args.tools, "scenarios": args.scenarios,
        "order": "per size, runs alternate tools: for each run, each tool does "
                 + ", ".join(args.scenarios) + " in turn"
                 + (f" (serve: site-gen only, up to {args.serve_max:,} records, the median of "
                    f"{args.serve_edits} edits per run)" if "serve" in args.scenarios else ""),
        "skip": sorted(f"{t}@{n}" for t, n in args.skip),
        "runs": args.runs, "runs_at": {f"{t}@{n}": r for (t, n), r in args.runs_at.items()},
        "timeout_s": args.timeout, "max_rss_mb": args.max_rss_mb,
        "prepare_s": {}, "results": []}

    def save() -> None:
        args.results.write_text(json.dumps(data, indent=1) + "\n")

    save()
    _say(f"results: {args.results}")
    try:
        for n in args.sizes:
            bench_size(n, args, data, save)
    finally:
        shutil.rmtree(code, ignore_errors=True)
    data["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    save()
    print(report.section(data))
    _say(f"results: {args.results}")


if __name__ == "__main__":
    main()
