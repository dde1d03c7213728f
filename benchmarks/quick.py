# SPDX-License-Identifier: MIT

"""A 10-second comparison: aiologic.Lock against threading and asyncio.

Two scenarios, about half of the time each: ``with lock:`` in one thread
against ``threading.Lock``, and ``async with lock:`` in one asyncio task
against ``asyncio.Lock``, both uncontended. The candidates alternate in
short batches until the time is spent; the report gives the median time
per operation, its min-max and the ratio (how many times faster aiologic
is). ``make demo`` runs it after the examples; the full suite is
``make bench``. Run:

    python benchmarks/quick.py [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import threading
import time
from typing import Callable

import aiologic
from aiologic.lowlevel import IMPLEMENTATION

Timer = Callable[[int], float]  # runs n operations, returns seconds

#: seconds one batch should take
BATCH = 0.05


def sync_lock(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        lock = factory()
        start = time.perf_counter()
        for _ in range(n):
            with lock:  # type: ignore[attr-defined]
                pass
        return time.perf_counter() - start

    return run


def async_lock(factory: Callable[[], object]) -> Timer:
    def run(n: int) -> float:
        async def main() -> float:
            lock = factory()
            start = time.perf_counter()
            for _ in range(n):
                async with lock:  # type: ignore[attr-defined]
                    pass
            return time.perf_counter() - start

        return asyncio.run(main())

    return run


SCENARIOS: dict[str, dict[str, Timer]] = {
    "sync `with lock`, uncontended": {
        "threading.Lock": sync_lock(threading.Lock),
        "aiologic.Lock": sync_lock(aiologic.Lock),
    },
    "asyncio `async with lock`, uncontended": {
        "asyncio.Lock": async_lock(asyncio.Lock),
        "aiologic.Lock": async_lock(aiologic.Lock),
    },
}


def calibrate(timer: Timer) -> int:
    """Operations that take about one batch."""
    n = 1000
    while True:
        elapsed = timer(n)
        if elapsed >= BATCH / 4:
            return max(1000, int(n * BATCH / elapsed))
        n *= 4


def compare(candidates: dict[str, Timer], seconds: float) -> None:
    sizes = {name: calibrate(timer) for name, timer in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or len(samples["aiologic.Lock"]) < 3:
        for name, timer in candidates.items():
            samples[name].append(timer(sizes[name]) / sizes[name])
    baseline = None
    for name, times in samples.items():
        median = statistics.median(times)
        line = (
            f"  {name:15} {median * 1e9:8.1f} ns"
            f"  [{min(times) * 1e9:.1f}-{max(times) * 1e9:.1f}]"
        )
        if baseline is None:
            baseline = median
        else:
            line += f"  {baseline / median:.2f}x as fast as the line above"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(
        f"{platform.python_implementation()} {platform.python_version()}"
        f" ({'GIL' if gil else 'free-threaded'}), aiologic core:"
        f" {IMPLEMENTATION}; median time per operation [min-max] of"
        f" {BATCH * 1000:.0f} ms batches over {args.seconds:g} s"
    )
    for title, candidates in SCENARIOS.items():
        print(f"\n{title}")
        compare(candidates, args.seconds / len(SCENARIOS))


if __name__ == "__main__":
    main()
