# SPDX-License-Identifier: MIT

"""The two cores of aiologic against the standard library (and 0.17.1).

Every candidate runs in a process of its own, because the core is chosen
once per process: ``stdlib`` (threading, asyncio or trio primitives),
``cython`` (the compiled core), ``python`` (the pure core, with
``AIOLOGIC_NO_EXTENSIONS=1``) and, given ``--baseline PYTHON`` (an
interpreter where aiologic 0.17.1 is installed), ``0.17.1``. The rounds
interleave the candidates; the table shows the median time per operation
with its min-max, and the ratios to the stdlib and to 0.17.1 (lower is
better). Run:

    python benchmarks/cores.py [--rounds N] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
from typing import Callable, Dict, List

#: scenario -> (what it measures, operations per round)
SCENARIOS = {
    "lock": ("sync `with Lock()`, uncontended", 200_000),
    "rlock": ("sync `with RLock()`, uncontended", 200_000),
    "semaphore": ("sync `with Semaphore()`, uncontended", 200_000),
    "asyncio_lock": ("asyncio `async with Lock()`, uncontended", 100_000),
    "trio_lock": ("trio `async with Lock()`, uncontended", 20_000),
    "contended_lock": ("4 threads on one `Lock`", 20_000),
    "event": ("`set()` + `is_set()` + `wait()` on a set event", 200_000),
    "simple_queue": ("`SimpleQueue` put + get, one thread", 200_000),
    "queue": ("`Queue(8)` put + get, one thread", 200_000),
    "asyncio_queue": ("asyncio `Queue(8)` put + get, one task", 100_000),
}

CANDIDATES = ("stdlib", "cython", "python", "0.17.1")

Timer = Callable[[int], float]  # runs n operations, returns seconds


# -- the scenarios, run inside a worker process -------------------------


def _primitives(candidate: str) -> Dict[str, Callable[..., object]]:
    if candidate == "stdlib":
        import asyncio
        import queue
        import threading

        return {
            "Lock": threading.Lock,
            "RLock": threading.RLock,
            "Semaphore": threading.Semaphore,
            "asyncio.Lock": asyncio.Lock,
            "Event": threading.Event,
            "SimpleQueue": queue.SimpleQueue,
            "Queue": queue.Queue,
            "asyncio.Queue": asyncio.Queue,
            "trio.Lock": lambda: __import__("trio").Lock(),
        }
    import aiologic

    return {
        "Lock": aiologic.Lock,
        "RLock": aiologic.RLock,
        "Semaphore": aiologic.Semaphore,
        "asyncio.Lock": aiologic.Lock,
        "Event": aiologic.Event,
        "SimpleQueue": aiologic.SimpleQueue,
        "Queue": aiologic.Queue,
        "asyncio.Queue": aiologic.Queue,
        "trio.Lock": aiologic.Lock,
    }


def _sync_with(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        lock = factory()
        start = time.perf_counter()
        for _ in range(n):
            with lock:  # type: ignore[attr-defined]
                pass
        return time.perf_counter() - start

    return run


def _asyncio_with(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        import asyncio

        async def main() -> float:
            lock = factory()
            start = time.perf_counter()
            for _ in range(n):
                async with lock:  # type: ignore[attr-defined]
                    pass
            return time.perf_counter() - start

        return asyncio.run(main())

    return run


def _trio_with(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        import trio

        async def main() -> float:
            lock = factory()
            start = time.perf_counter()
            for _ in range(n):
                async with lock:  # type: ignore[attr-defined]
                    pass
            return time.perf_counter() - start

        return trio.run(main)  # type: ignore[no-any-return]

    return run


def _contended(factory: Callable[[], object], threads: int = 4) -> Timer:
    def run(n: int) -> float:
        import threading

        lock = factory()
        per_thread = n // threads
        barrier = threading.Barrier(threads + 1)

        def worker() -> None:
            barrier.wait()
            for _ in range(per_thread):
                with lock:  # type: ignore[attr-defined]
                    pass

        workers = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in workers:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in workers:
            thread.join()
        return time.perf_counter() - start

    return run


def _event(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        event = factory()
        set_, is_set, wait = event.set, event.is_set, event.wait  # type: ignore
        start = time.perf_counter()
        for _ in range(n):
            set_()
            is_set()
            wait()
        return time.perf_counter() - start

    return run


def _method(obj: object, *names: str) -> Callable[..., object]:
    # the first of *names* that obj has: the stdlib and aiologic differ
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)  # type: ignore[no-any-return]
    raise AttributeError(names[0])


def _put_get(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        items = factory()
        put = _method(items, "put", "green_put")
        get = _method(items, "get_nowait", "green_get")
        start = time.perf_counter()
        for i in range(n):
            put(i)
            get()
        return time.perf_counter() - start

    return run


def _asyncio_queue(factory: Callable[[int], object]) -> Timer:
    def run(n: int) -> float:
        import asyncio

        async def main() -> float:
            items = factory(8)
            put = _method(items, "async_put", "put")
            get = _method(items, "async_get", "get")
            start = time.perf_counter()
            for i in range(n):
                await put(i)
                await get()
            return time.perf_counter() - start

        return asyncio.run(main())

    return run


def _timer(scenario: str, candidate: str) -> Timer | None:
    made = _primitives(candidate)
    if scenario == "trio_lock":
        try:
            import trio  # noqa: F401
        except ImportError:
            return None
        return _trio_with(made["trio.Lock"])
    builders = {
        "lock": lambda: _sync_with(made["Lock"]),
        "rlock": lambda: _sync_with(made["RLock"]),
        "semaphore": lambda: _sync_with(made["Semaphore"]),
        "asyncio_lock": lambda: _asyncio_with(made["asyncio.Lock"]),
        "contended_lock": lambda: _contended(made["Lock"]),
        "event": lambda: _event(made["Event"]),
        "simple_queue": lambda: _put_get(made["SimpleQueue"]),
        "queue": lambda: _put_get(lambda: made["Queue"](8)),
        "asyncio_queue": lambda: _asyncio_queue(made["asyncio.Queue"]),
    }
    return builders[scenario]()


def worker(candidate: str, scale: float, only: List[str]) -> None:
    """One round of the scenarios; prints seconds per operation."""
    results: Dict[str, object] = {}
    for scenario, (_, n) in SCENARIOS.items():
        if only and scenario not in only:
            continue
        run = _timer(scenario, candidate)
        if run is None:
            continue
        n = max(1000, int(n * scale))
        run(n // 10)  # warm-up
        results[scenario] = run(n) / n
    if candidate != "stdlib":
        import aiologic

        if aiologic.__version__ == "0.17.1":
            results["core"] = "0.17.1"
        else:
            results["core"] = aiologic.lowlevel.IMPLEMENTATION
    print(json.dumps(results))


# -- the orchestration --------------------------------------------------


def _run_worker(
    candidate: str, python: str, scale: float, only: List[str]
) -> dict:
    env = dict(os.environ)
    env.pop("AIOLOGIC_NO_EXTENSIONS", None)
    env.pop("AIOLOGIC_REQUIRE_EXTENSIONS", None)
    if candidate == "python":
        env["AIOLOGIC_NO_EXTENSIONS"] = "1"
    elif candidate == "cython":
        env["AIOLOGIC_REQUIRE_EXTENSIONS"] = "1"
    elif candidate == "0.17.1":
        # its own interpreter and packages, never this project's
        env.pop("PYTHONPATH", None)
    args = [python, os.path.abspath(__file__), "--worker", candidate]
    args += ["--scale", str(scale)]
    for scenario in only:
        args += ["--only", scenario]
    output = subprocess.run(
        args,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore


def _describe() -> str:
    build = (
        "free-threaded"
        if sysconfig.get_config_var("Py_GIL_DISABLED")
        else "with GIL"
    )
    return (
        f"{platform.python_implementation()} {platform.python_version()}"
        f" ({build}), {os.cpu_count()} CPUs"
    )


def _fmt(values: List[float]) -> str:
    return (
        f"{statistics.median(values) * 1e9:9.1f} ns"
        f" [{min(values) * 1e9:.0f}-{max(values) * 1e9:.0f}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--baseline", help="an interpreter with aiologic 0.17.1 installed"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=SCENARIOS,
        help="run this scenario (repeatable; default: all)",
    )
    parser.add_argument("--worker", choices=CANDIDATES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.scale, args.only)
        return

    candidates = dict.fromkeys(CANDIDATES[:3], sys.executable)
    if args.baseline:
        candidates["0.17.1"] = args.baseline
    rounds: Dict[str, List[dict]] = {name: [] for name in candidates}
    for _ in range(args.rounds):
        for name, python in candidates.items():
            rounds[name].append(
                _run_worker(name, python, args.scale, args.only)
            )
    for name in candidates:
        core = rounds[name][0].get("core", "stdlib")
        if core != name:
            sys.exit(f"the {name} candidate ran on {core!r}")

    print(f"{_describe()}; medians of {args.rounds} rounds, time per op")
    for scenario, (title, _) in SCENARIOS.items():
        if args.only and scenario not in args.only:
            continue
        print(f"\n{title}")
        base = base_0171 = None
        for name in candidates:
            values = [r[scenario] for r in rounds[name] if scenario in r]
            if not values:
                continue
            median = statistics.median(values)
            if name == "stdlib":
                base = median
            if name == "0.17.1":
                base_0171 = median
            line = f"  {name:8s} {_fmt(values)}"
            if base is not None:
                line += f"  x{median / base:5.2f} of stdlib"
            print(line)
        if base_0171 is not None:
            for name in ("cython", "python"):
                values = [r[scenario] for r in rounds[name]]
                if not values:
                    continue
                ratio = statistics.median(values) / base_0171
                print(f"  {name:8s} x{ratio:5.2f} of 0.17.1")


if __name__ == "__main__":
    main()
