"""Machine facts and Markdown tables from a results file (`python -m bench.report FILE`)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

SCENARIOS = {"cold": "cold full build", "warm": "warm-cache full build",
             "nochange": "no-change rebuild", "edit": "one-record edit rebuild",
             "serve": "one-record edit in `site-gen serve`"}
COMMAND_LINE = ("cold", "warm", "nochange", "edit")  # a new process for each build


def machine(out_dir: Path) -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    target = str(out_dir.resolve())
    fs = max((m for m in mounts if target == m[1] or target.startswith(m[1].rstrip("/") + "/")),
             key=lambda m: len(m[1]), default=["?", "?", "?"])
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu,
            "memory_gib": round(mem / 2**20, 1), "kernel": platform.release(),
            "python": platform.python_version(), "output_fs": f"{fs[2]} ({fs[1]})",
            "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r["status"] == "ok"]
    return statistics.median(values) if values else None


def _cell(rows: list[dict[str, Any]], places: int = 2) -> str:
    """Median wall time (min–max), median CPU time and the run count; failures named."""
    if not rows:
        return "skipped"
    ok = [r for r in rows if r["status"] == "ok"]
    bad = sorted({r["status"] for r in rows if r["status"] != "ok"})
    if not ok:
        return "; ".join(bad)
    walls = [r["wall"] for r in ok]
    text = f"{statistics.median(walls):.{places}f} s"
    if len(ok) > 1:
        text += f" ({min(walls):.{places}f}–{max(walls):.{places}f})"
    text += f", cpu {statistics.median(r['cpu'] for r in ok):.{places}f} s ×{len(ok)}"
    return text + (f" [{'; '.join(bad)}]" if bad else "")


def _ratio(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    """Wall-time ratio of the medians, and the CPU-time ratio in parentheses."""
    out = []
    for key in ("wall", "cpu"):
        x, y = _median(a, key), _median(b, key)
        out.append(f"{x / y:.2f}" if x is not None and y else "–")
    return f"{out[0]} (cpu {out[1]})" if out[0] != "–" else "–"


def tables(data: dict[str, Any]) -> str:
    """One table per size (medians, min–max and run count), stage times and budgets."""
    rows, tools = data["results"], data["tools"]
    pick = {}
    for r in rows:
        pick.setdefault((r["n"], r["tool"], r["scenario"]), []).append(r)
    out = []
    for n in data["sizes"]:
        def get(tool: str, sc: str, n: int = n) -> list[dict[str, Any]]:
            return pick.get((n, tool, sc), [])

        others = [t for t in tools if t != "site-gen"]
        head = ["scenario", *tools, *(f"site-gen / {t}" for t in others if "site-gen" in tools)]
        out += [f"### {n:,} records", "", "| " + " | ".join(head) + " |",
                "|" + "---|" * len(head)]
        line_scenarios = [sc for sc in data["scenarios"] if sc in COMMAND_LINE]
        for sc in data["scenarios"]:
            if sc == "serve":  # site-gen's alone, where it ran
                if get("site-gen", sc):
                    out.append(f"| {SCENARIOS[sc]} | " + " | ".join(
                        _cell(get(t, sc), 3) if t == "site-gen" else "–" for t in tools)
                        + " | –" * len(others) + " |")
                continue
            cells = [_cell(get(t, sc)) for t in tools]
            if "site-gen" in tools:
                cells += [_ratio(get("site-gen", sc), get(t, sc)) for t in others]
            out.append(f"| {SCENARIOS[sc]} | " + " | ".join(cells) + " |")
        for key, label in (
                ("maxrss_mb", "peak RSS, largest process (max over the command-line builds)"),
                ("tree_mb", "peak RSS, whole process tree (sampled)")):
            cells = []
            for t in tools:
                ok = [r[key] for sc in line_scenarios for r in get(t, sc) if r["status"] == "ok"]
                cells.append(f"{max(ok):,.0f} MB" if ok else "–")
            out.append(f"| {label} | " + " | ".join(cells + ["" for t in others
                                                            if "site-gen" in tools]) + " |")
        if get("site-gen", "serve"):
            out += _serve_rows(get("site-gen", "serve"), tools, others)
        cells = []
        for t in tools:
            load = [r["others"] for sc in data["scenarios"] for r in get(t, sc) if "others" in r]
            cells.append(f"{statistics.median(load):.2f} cores" if load else "–")
        out.append("| other load during the builds (median) | " + " | ".join(
            cells + ["" for t in others if "site-gen" in tools]) + " |")
        out.append("")
    out += stage_table(data, pick)
    out += budgets(pick)
    return "\n".join(out)


FULL = ("cold", "warm")  # the scenarios that build everything


def _serve_rows(rows: list[dict[str, Any]], tools: list[str], others: list[str]) -> list[str]:
    """The serve scenario's other builds (medians over its runs) and its peak RSS."""
    ok = [r for r in rows if r["status"] == "ok"]
    builds, rss = ["–"] * len(tools), ["–"] * len(tools)
    at = tools.index("site-gen")
    if any("full" in r for r in ok):
        full, nochange, first = (statistics.median(r[key] for r in ok if "full" in r)
                                 for key in ("full", "nochange", "first"))
        builds[at] = f"{full:.2f} s, {nochange:.3f} s, {first:.3f} s"
    if ok:
        rss[at] = f"{max(r['maxrss_mb'] for r in ok):,.0f} MB"
    blank = ["" for _ in others]
    return ["| `site-gen serve`: its full build (cache kept), no-change rebuild, first edit | "
            + " | ".join(builds + blank) + " |",
            "| peak RSS of `site-gen serve` (its full build and edits) | "
            + " | ".join(rss + blank) + " |"]


def budgets(pick: dict) -> list[str]:
    """The issue's budgets next to the measured medians (site-gen, wall time)."""
    def med(n: int, tool: str, sc: str, key: str = "wall") -> float | None:
        return _median(pick.get((n, tool, sc), []), key)

    def peak(n: int, key: str, scenarios: tuple[str, ...] = COMMAND_LINE) -> float | None:
        ok = [r[key] for (m, t, sc), rows in pick.items() if m == n and t == "site-gen"
              and sc in scenarios for r in rows if r["status"] == "ok"]
        return max(ok) if ok else None

    def show(value: float | None, fmt: str, limit: float) -> tuple[str, str]:
        if value is None:
            return "not measured", "–"
        return fmt.format(value), "yes" if value <= limit else "**no**"

    sg10, hugo10, sg100 = med(10_000, "site-gen", "cold"), med(10_000, "hugo", "cold"), \
        med(100_000, "site-gen", "cold")
    checks = [
        ("10,000 records cold full build ≤ 0.8 × Hugo's", "{:.2f} × Hugo",
         sg10 / hugo10 if sg10 and hugo10 else None, 0.8),
        ("one-record edit rebuild at 10,000 ≤ 0.3 s, in `site-gen serve`", "{:.3f} s",
         med(10_000, "site-gen", "serve"), 0.3),
        ("one-record edit rebuild at 10,000 ≤ 0.3 s, by the command line", "{:.2f} s",
         med(10_000, "site-gen", "edit"), 0.3),
        ("100,000 records cold full build ≤ 40 s", "{:.1f} s", sg100, 40),
        # The budget is about the full build (cold, or warm: output removed, caches kept);
        # the edit and no-change rebuilds are shown beside it.
        ("100,000 records full build peak RSS ≤ 1 GB (largest process)", "{:,.0f} MB",
         peak(100_000, "maxrss_mb", FULL), 1024),
        ("100,000 records full build peak RSS ≤ 1 GB (whole tree, sampled)", "{:,.0f} MB",
         peak(100_000, "tree_mb", FULL), 1024),
        ("100,000 records any command-line build's peak RSS ≤ 1 GB (largest process)",
         "{:,.0f} MB",
         peak(100_000, "maxrss_mb"), 1024),
        ("100,000 time ≤ 11 × 10,000 time (cold)", "{:.1f} ×",
         sg100 / sg10 if sg100 and sg10 else None, 11),
    ]
    out = ["### Budgets (issue 7)", "", "| budget | measured | met |", "|---|---|---|"]
    for label, fmt, value, limit in checks:
        shown, met = show(value, fmt, limit)
        out.append(f"| {label} | {shown} | {met} |")
    return [*out, ""]


def stage_table(data: dict[str, Any], pick: dict) -> list[str]:
    """site-gen's own stage times (median of the runs), per size and scenario.

    wall − sum is what no stage timer covers: interpreter start-up, imports, exit (in the
    serve scenario, what a build does outside its stages: checking the output, starting and
    closing the chart worker).
    """
    stages: list[str] = []
    for r in data["results"]:
        for name in r.get("stages", {}):
            if name not in stages:
                stages.append(name)
    if not stages:
        return []
    out = ["### site-gen time per stage (median seconds)", "",
           "| records | scenario | " + " | ".join(stages) + " | sum | wall | wall − sum |",
           "|" + "---|" * (len(stages) + 5)]
    for n in data["sizes"]:
        for sc in data["scenarios"]:
            rows = [r for r in pick.get((n, "site-gen", sc), []) if r["status"] == "ok"]
            if not rows:
                continue
            med = [statistics.median(r["stages"].get(s, 0.0) for r in rows) for s in stages]
            wall = statistics.median(r["wall"] for r in rows)
            places = 3 if sc == "serve" else 2  # a fraction of a second
            out.append(f"| {n:,} | {SCENARIOS[sc]} | "
                       + " | ".join(f"{m:.{places}f}" for m in [*med, sum(med), wall,
                                                                 wall - sum(med)]) + " |")
    return [*out, ""]


def section(data: dict[str, Any]) -> str:
    """The README's results section: command, machine, versions, run order, then tables."""
    m, v = data["machine"], data["versions"]
    runs = ", ".join(f"{k}: {r}" for k, r in data.get("runs_at", {}).items())
    facts = [
        f"Command (started {data['started']}):", "", "```sh", data["command"], "```", "",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory, "
        f"Linux {m['kernel']}, Python {m['python']}; output on {m['output_fs']}",
        f"- load average at start {m['loadavg_start']}, at end {m.get('loadavg_end', '?')}",
        f"- site-gen: commit {data['commit']}"
        f"{' with uncommitted changes in site_gen/' if data['dirty'] else ''}, "
        f"{data.get('code', '')}",
        "- versions: " + ", ".join(f"{k} {x.split('-')[0]}" for k, x in sorted(v.items())),
        f"- order: {data['order']}; runs per tool and size: {data['runs']}"
        + (f" except {runs}" if runs else "")
        + (f"; skipped: {', '.join(data['skip'])}" if data["skip"] else ""),
        f"- each build capped at {data['timeout_s']:.0f} s and {data['max_rss_mb']:.0f} MB "
        "(process tree; the serve scenario's process as a whole)", ""]
    return "\n".join(facts) + "\n" + tables(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path)
    data = json.loads(parser.parse_args().results.read_text())
    print(section(data))


if __name__ == "__main__":
    main()
