# SPDX-License-Identifier: MIT

"""The stress runner: every kind of primitive hammered from every library.

    python tests/stress/run.py [--seconds S] [--cores cython,python]
        [--seed N] [--only lock,queue,...] [--threads N] [--loops N]

For each core, two worker processes (this script with ``--worker``) run
one primitive after another, each for ``--seconds``: the "async" group
(plain threads, asyncio loops in several threads, a trio loop in a
thread) and the "green" group (plain threads, an asyncio loop, a gevent
hub and an eventlet hub, each in its own thread, unpatched). All actors
of a group share ONE instance and mix blocking, timed, non-blocking and
cancelled calls chosen by a generator seeded from ``--seed`` (the choices
replay; the thread schedule does not). Invariants are checked during the
run and at the end; one line per primitive, core and group; exit status
1 on any violation or on an actor that did not finish (its tracebacks
are dumped). The core is chosen per worker by the environment
(``AIOLOGIC_NO_EXTENSIONS=1`` or ``AIOLOGIC_REQUIRE_EXTENSIONS=1``).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import platform
import random
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GRACE = 20.0  # seconds an actor may take to finish after the deadline
CORE_ENV = {
    "cython": {"AIOLOGIC_REQUIRE_EXTENSIONS": "1"},
    "python": {"AIOLOGIC_NO_EXTENSIONS": "1"},
}
GROUPS = ("async", "green")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=5.0,
        help="seconds per primitive and core (default 5)",
    )
    parser.add_argument(
        "--cores",
        default=None,
        help="cython,python (default: both on CPython, python elsewhere)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated primitives (default: all)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="plain threads of the async group",
    )
    parser.add_argument(
        "--loops",
        type=int,
        default=2,
        help="asyncio loops (threads) of the async group",
    )
    parser.add_argument("--worker", choices=GROUPS, help=argparse.SUPPRESS)
    parser.add_argument("--core", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    return args


# -- worker ----------------------------------------------------------------


def worker(args):
    sys.path.insert(0, HERE)
    from scenarios import SCENARIOS
    from worlds import Run, available

    import aiologic

    impl = aiologic.lowlevel.IMPLEMENTATION
    if impl != args.core:
        emit({"error": f"asked for the {args.core} core, got {impl}"})
        return 1
    names = args.only.split(",") if args.only else list(SCENARIOS)
    faulthandler.dump_traceback_later(
        len(names) * (args.seconds + GRACE) + 60, exit=True
    )
    if args.worker == "async":
        wanted = [
            ("threading", args.threads, 1),
            ("asyncio", args.loops, 4),
            ("trio", 1, 4),
        ]
    else:
        wanted = [
            ("threading", 2, 1),
            ("asyncio", 1, 3),
            ("gevent", 1, 4),
            ("eventlet", 1, 4),
        ]
    plan = []
    for lib, n, k in wanted:
        reason = None if lib == "threading" else available(lib)
        if reason is None:
            plan.append((lib, n, k))
        else:
            emit({"absent": lib, "reason": reason})
    libs = [lib for lib, _n, _k in plan]
    if args.worker == "green" and not {"gevent", "eventlet"} & set(libs):
        return 0  # nothing green here; the absences are reported
    for name in names:
        scenario = SCENARIOS[name](aiologic, args.seed)
        start = time.monotonic()
        run = Run(scenario, plan, args.seed, args.seconds)
        run.start()
        stuck = run.join(run.deadline + GRACE)
        took = time.monotonic() - start
        acts = run.acts
        ledger = scenario.ledger
        if stuck:
            ledger.violation(
                f"did not finish within {GRACE}s after the deadline:"
                f" {', '.join(stuck)}"
            )
        else:
            scenario.finish(acts)
            ledger.check(sum(a.ops for a in acts) > 0, "no operation was run")
        emit(
            {
                "prim": name,
                "libs": libs,
                "ops": sum(a.ops for a in acts),
                "cancels": sum(a.cancels for a in acts),
                "seconds": took,
                "checks": ledger.checks + sum(a.checks for a in acts),
                "violations": ledger.violations,
                "total_violations": ledger.total_violations,
                "hang": bool(stuck),
                "notes": ledger.notes,
            }
        )
        if stuck:
            faulthandler.dump_traceback(sys.stderr, all_threads=True)
            sys.stderr.flush()
            os._exit(1)  # stuck threads cannot be joined
    return 0


def emit(record):
    print(json.dumps(record), flush=True)


# -- parent ----------------------------------------------------------------


def interpreter():
    ft = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil = ""
    if ft:
        enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
        gil = " (GIL enabled)" if enabled else " (GIL disabled)"
    return (
        f"{platform.python_implementation()} {platform.python_version()}"
        f"{'t' if ft else ''}{gil}"
    )


def spawn(args, core, group, seed):
    env = dict(os.environ)
    for key in ("AIOLOGIC_NO_EXTENSIONS", "AIOLOGIC_REQUIRE_EXTENSIONS"):
        env.pop(key, None)
    env.update(CORE_ENV[core])
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        group,
        "--core",
        core,
        "--seed",
        str(seed),
        "--seconds",
        str(args.seconds),
        "--threads",
        str(args.threads),
        "--loops",
        str(args.loops),
    ]
    if args.only:
        cmd += ["--only", args.only]
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    sys.path.insert(0, HERE)
    from scenarios import SCENARIOS

    if args.only:
        unknown = set(args.only.split(",")) - set(SCENARIOS)
        if unknown:
            print(
                f"unknown primitives: {sorted(unknown)};"
                f" known: {', '.join(SCENARIOS)}",
                file=sys.stderr,
            )
            return 2
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    if args.cores:
        cores = args.cores.split(",")
    elif platform.python_implementation() == "CPython":
        cores = ["cython", "python"]
    else:
        cores = ["python"]
    count = len(args.only.split(",")) if args.only else len(SCENARIOS)
    limit = count * (args.seconds + GRACE) + 120
    print(
        f"stress: {interpreter()}, cores {','.join(cores)},"
        f" {args.seconds:g}s per primitive, seed {seed}"
        f" (replay: --seed {seed})",
        flush=True,
    )
    total_ops = total_checks = total_bad = 0
    failed = []
    for core in cores:
        procs = {group: spawn(args, core, group, seed) for group in GROUPS}
        for group, proc in procs.items():
            try:
                out, err = proc.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                failed.append(f"{core}/{group}: no result after {limit:g}s")
            for line in out.splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    print(f"  {core}/{group}: {line}")
                    continue
                if "absent" in rec:
                    print(
                        f"  {core}/{group}: {rec['absent']} not available"
                        f" here ({rec['reason']}): not run"
                    )
                    continue
                if "error" in rec:
                    failed.append(f"{core}/{group}: {rec['error']}")
                    continue
                bad = rec["total_violations"]
                rate = rec["ops"] / max(rec["seconds"], 1e-9)
                print(
                    f"{rec['prim']:<18} {core:<6} {group:<5}"
                    f" ops {rec['ops']:>9} {rate:>10.0f} ops/s"
                    f" cancelled {rec['cancels']:>6}"
                    f" checks {rec['checks']:>9} violations {bad}"
                    f"  [{'+'.join(rec['libs'])}]"
                    + "".join(f" {k}={v}" for k, v in rec["notes"].items()),
                    flush=True,
                )
                for message in rec["violations"]:
                    print(f"    VIOLATION (seed {seed}): {message}")
                total_ops += rec["ops"]
                total_checks += rec["checks"]
                total_bad += bad
                if bad:
                    failed.append(f"{rec['prim']} {core}/{group}")
            if proc.returncode:
                failed.append(f"{core}/{group}: exit status {proc.returncode}")
                sys.stderr.write(err[-20000:])
            elif err.strip():
                sys.stderr.write(err[-5000:])
    print(
        f"stress: {total_ops} ops, {total_checks} invariant checks,"
        f" {total_bad} violations, seed {seed}:"
        f" {'FAILED ' + '; '.join(failed) if failed else 'ok'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
