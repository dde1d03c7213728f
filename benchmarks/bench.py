# SPDX-License-Identifier: MIT

"""The benchmark suite: aiologic against what users would use instead.

Candidates: ``stdlib`` (threading, asyncio, queue; trio's own primitives
under trio), ``janus``, ``culsans``, ``0.17.1`` (aiologic 0.17.1),
``cython`` and ``python`` (this project's compiled and pure cores). Each
runs in a worker process of its own (``scenarios.py``), one process per
round and candidate, the rounds interleaving the candidates (in a rotating
order). The project's candidates run on this interpreter, where this
project is installed; the peers (janus, culsans, 0.17.1) on ``--peers``,
an interpreter of the same version with ``aiologic==0.17.1 janus culsans
trio`` installed. ``make bench`` sets both up and runs this:

    python benchmarks/bench.py [--quick] [--peers PYTHON] [--rounds N]
        [--scale F] [--only GLOB ...] [--candidates NAME,...]
        [--chart-python PYTHON] [--out DIR | --no-save]

It prints one table (median, min-max and the ratios to the stdlib and to
0.17.1 of every scenario and candidate) and the targets, and writes
``<out>/<tag>.md``, ``.json``, ``.rst`` (a summary) and ``.png`` (the
chart, drawn by ``chart.py`` with ``--chart-python``, which has
matplotlib), the tag naming the interpreter (``cpython-3.11``,
``cpython-3.13t``, ``pypy-3.9``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import report
import scenarios
from candidates import CANDIDATES, LABELS

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ("janus", "culsans", "0.17.1")
#: the project's candidates and the core each must run
CORES = {"cython": "cython", "python": "python"}


def tag() -> str:
    """``cpython-3.11``, ``cpython-3.13t``, ``pypy-3.9``..."""
    info = scenarios.describe()
    version = ".".join(info["version"].split(".")[:2])
    free = "t" if info["build"] == "free-threaded" else ""
    return f"{info['implementation'].lower()}-{version}{free}"


def plan(args: argparse.Namespace) -> tuple[dict, dict]:
    """candidate -> (python, env) for those that run; others -> why not."""
    wanted = args.candidates.split(",") if args.candidates else CANDIDATES
    runs: dict[str, tuple[str, dict]] = {}
    skipped: dict[str, str] = {}
    for name in CANDIDATES:
        if name not in wanted:
            skipped[name] = "not run: not in --candidates"
            continue
        env = dict(os.environ)
        for var in ("AIOLOGIC_NO_EXTENSIONS", "AIOLOGIC_REQUIRE_EXTENSIONS"):
            env.pop(var, None)
        python = sys.executable
        if name in PEERS:
            if not args.peers:
                skipped[name] = "not run: no --peers interpreter"
                continue
            python = args.peers
            # their own packages, never this project's
            env.pop("PYTHONPATH", None)
        elif name == "cython":
            if platform.python_implementation() != "CPython":
                skipped[name] = "no compiled core on this interpreter"
                continue
            env["AIOLOGIC_REQUIRE_EXTENSIONS"] = "1"
        elif name == "python":
            env["AIOLOGIC_NO_EXTENSIONS"] = "1"
        runs[name] = (python, env)
    return runs, skipped


def run_worker(
    name: str, python: str, env: dict, scale: float, only: list
) -> dict:
    """One round of *name* in a new process; fails loudly."""
    args = [python, os.path.join(HERE, "scenarios.py"), name]
    args += ["--scale", str(scale)]
    for glob in only:
        args += ["--only", glob]
    done = subprocess.run(
        args, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        sys.exit(f"the {name} worker failed ({done.returncode})")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    core = result["core"]
    if name in CORES and core != CORES[name]:
        sys.exit(f"the {name} candidate ran the {core!r} core")
    if name == "0.17.1" and core != "0.17.1":
        sys.exit(f"the 0.17.1 candidate ran aiologic {core!r}")
    return result


def describe(info: dict) -> str:
    gil = "GIL" if info["build"] == "GIL" else "free-threaded"
    if info["build"] != "GIL" and info["gil_enabled"]:
        gil += ", GIL enabled at run time"
    return (
        f"{info['implementation']} {info['version']} ({gil}),"
        f" {info['cpus']} CPUs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, n/20")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--scale", type=float)
    parser.add_argument(
        "--peers",
        "--baseline",
        help="an interpreter with aiologic 0.17.1, janus and culsans",
    )
    parser.add_argument("--candidates", help="comma-separated subset")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="scenarios matching this glob (repeatable; default all)",
    )
    parser.add_argument("--chart-python", help="a python with matplotlib")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    scale = args.scale or (0.05 if args.quick else 1.0)
    if not scenarios.select(args.only):
        sys.exit(f"no scenario matches {args.only}")

    runs, skipped = plan(args)
    started = time.monotonic()
    results: dict[str, list] = {name: [] for name in runs}
    names = list(runs)
    for number in range(rounds):
        shift = number % len(names)
        order = names[shift:] + names[:shift]
        timings = []
        for name in order:
            python, env = runs[name]
            begin = time.monotonic()
            results[name].append(
                run_worker(name, python, env, scale, args.only)
            )
            timings.append(f"{name} {time.monotonic() - begin:.1f}s")
        sys.stderr.write(
            f"round {number + 1}/{rounds}: {', '.join(timings)}\n"
        )
    elapsed = time.monotonic() - started

    meta = {
        key: value
        for key, value in scenarios.rows().items()
        if key.split(".")[0] in scenarios.select(args.only)
    }
    # columns in the order of CANDIDATES; a skipped one shows "-"
    table = report.aggregate(
        {
            name: results.get(name, [])
            for name in CANDIDATES
            if name in runs or name in skipped
        },
        list(meta),
    )
    info = next(iter(results.values()))[0]["interpreter"]
    date = datetime.date.today().isoformat()
    command = " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]])
    title = (
        f"{describe(info)}; medians of {rounds} rounds (scale {scale:g});"
        f" {date}"
    )
    long_rows = report.lines(table, meta, LABELS)
    found = report.targets(table, meta)
    notes = [f"{LABELS[n]}: {why}" for n, why in skipped.items()]
    print(title)
    print(
        "ratios: times better than the baseline (> 1: faster, or fewer"
        " bytes); '-': the candidate has nothing for it"
    )
    for note in notes:
        print(note)
    print()
    print(report.text(long_rows))
    print("\nTargets (compiled core):")
    print(report.targets_text(found))
    print(f"\n{elapsed:.0f} s for the runs")
    if args.no_save:
        return

    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, tag())
    cores = {name: results[name][0]["core"] for name in results}
    data: dict[str, Any] = {
        "title": title,
        "command": command,
        "date": date,
        "interpreter": info,
        "rounds": rounds,
        "scale": scale,
        "seconds": round(elapsed, 1),
        "candidates": [c for c in CANDIDATES if c in runs],
        "labels": LABELS,
        "cores": cores,
        "skipped": skipped,
        "rows": {
            k: {"group": g, "title": t, "unit": u}
            for k, (g, t, u) in meta.items()
        },
        "results": table,
        "targets": found,
    }
    with open(base + ".json", "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1, ensure_ascii=False)
        file.write("\n")
    with open(base + ".md", "w", encoding="utf-8") as file:
        file.write(f"# Benchmarks: {describe(info)}\n\n")
        file.write(f"`{command}` on {date}; medians of {rounds} rounds")
        file.write(f" (scale {scale:g}), {elapsed:.0f} s.\n")
        file.write(
            "Ratios: times better than the baseline (> 1: faster, or"
            " fewer bytes); `-`: the candidate has nothing for it.\n\n"
        )
        for note in notes:
            file.write(f"- {note}\n")
        file.write("\n" + report.markdown(long_rows) + "\n\n")
        file.write("## Targets (compiled core)\n\n")
        file.write(report.targets_text(found) + "\n")
    with open(base + ".rst", "w", encoding="utf-8") as file:
        file.write(report.summary_rst(table, meta, LABELS) + "\n")
    written = [base + ext for ext in (".md", ".json", ".rst")]
    if args.chart_python:
        try:
            subprocess.run(
                [
                    args.chart_python,
                    os.path.join(HERE, "chart.py"),
                    base + ".json",
                    base + ".png",
                ],
                check=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"no chart: {exc}")
        else:
            written.append(base + ".png")
    print("wrote " + ", ".join(os.path.relpath(p) for p in written))


if __name__ == "__main__":
    main()
