# SPDX-License-Identifier: MIT

"""A short benchmark of aiologic against the standard library.

Each scenario runs every candidate in the same process, interleaved over
several rounds, and reports the median time per operation and the ratio
to the stdlib baseline (lower is better). Run:

    python benchmarks/quick.py [--rounds N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import queue
import statistics
import sys
import threading
import time
from typing import Callable, Dict, List

import aiologic
from aiologic.lowlevel import IMPLEMENTATION

Timer = Callable[[int], float]  # runs n operations, returns seconds


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


def contended_lock(factory: Callable[[], object], threads: int = 4) -> Timer:
    def run(n: int) -> float:
        lock = factory()
        per_thread = max(1, n // threads)
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
        return (time.perf_counter() - start) * n / (per_thread * threads)

    return run


def thread_to_asyncio_aiologic(n: int) -> float:
    items = aiologic.Queue()  # type: ignore[var-annotated]

    def producer() -> None:
        for i in range(n):
            items.green_put(i)

    async def main() -> float:
        start = time.perf_counter()
        thread = threading.Thread(target=producer)
        thread.start()
        for _ in range(n):
            await items.async_get()
        elapsed = time.perf_counter() - start
        thread.join()
        return elapsed

    return asyncio.run(main())


def thread_to_asyncio_stdlib(n: int) -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[int] = asyncio.Queue()

        def producer() -> None:
            for i in range(n):
                loop.call_soon_threadsafe(items.put_nowait, i)

        start = time.perf_counter()
        thread = threading.Thread(target=producer)
        thread.start()
        for _ in range(n):
            await items.get()
        elapsed = time.perf_counter() - start
        thread.join()
        return elapsed

    return asyncio.run(main())


def thread_to_thread(factory: Callable[[], object], get: str) -> Timer:
    def run(n: int) -> float:
        items = factory()
        put = getattr(items, "put", None) or items.green_put  # type: ignore

        def producer() -> None:
            for i in range(n):
                put(i)

        take = getattr(items, get)
        start = time.perf_counter()
        thread = threading.Thread(target=producer)
        thread.start()
        for _ in range(n):
            take()
        elapsed = time.perf_counter() - start
        thread.join()
        return elapsed

    return run


SCENARIOS: Dict[str, Dict[str, Timer]] = {
    "sync Lock, uncontended": {
        "threading.Lock": sync_lock(threading.Lock),
        "aiologic.Lock": sync_lock(aiologic.Lock),
    },
    "sync RLock, uncontended": {
        "threading.RLock": sync_lock(threading.RLock),
        "aiologic.RLock": sync_lock(aiologic.RLock),
    },
    "sync Semaphore, uncontended": {
        "threading.Semaphore": sync_lock(threading.Semaphore),
        "aiologic.Semaphore": sync_lock(aiologic.Semaphore),
    },
    "asyncio Lock, uncontended": {
        "asyncio.Lock": async_lock(asyncio.Lock),
        "aiologic.Lock": async_lock(aiologic.Lock),
    },
    "4 threads, one Lock": {
        "threading.Lock": contended_lock(threading.Lock),
        "aiologic.Lock": contended_lock(aiologic.Lock),
    },
    "thread -> thread queue": {
        "queue.Queue": thread_to_thread(queue.Queue, "get"),
        "aiologic.Queue": thread_to_thread(aiologic.Queue, "green_get"),
        "aiologic.SimpleQueue": thread_to_thread(
            aiologic.SimpleQueue, "green_get"
        ),
    },
    "thread -> asyncio queue": {
        "asyncio.Queue+call_soon_threadsafe": thread_to_asyncio_stdlib,
        "aiologic.Queue": thread_to_asyncio_aiologic,
    },
}

OPERATIONS = {
    "4 threads, one Lock": 20_000,
    "thread -> thread queue": 20_000,
    "thread -> asyncio queue": 20_000,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=100_000)
    args = parser.parse_args()

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(
        f"{platform.python_implementation()} {platform.python_version()}"
        f" ({'GIL' if gil else 'free-threaded'}),"
        f" aiologic core: {IMPLEMENTATION}, {args.rounds} rounds,"
        " median time per operation (ratio to the first line)"
    )
    for scenario, candidates in SCENARIOS.items():
        ops = OPERATIONS.get(scenario, args.ops)
        samples: Dict[str, List[float]] = {name: [] for name in candidates}
        for _ in range(args.rounds):
            for name, timer in candidates.items():
                samples[name].append(timer(ops) / ops)
        print(f"\n{scenario} ({ops} operations per round)")
        baseline = None
        for name, times in samples.items():
            median = statistics.median(times)
            baseline = baseline or median
            print(
                f"  {name:38} {median * 1e6:9.3f} us"
                f"  [{min(times) * 1e6:.3f}-{max(times) * 1e6:.3f}]"
                f"  x{median / baseline:.2f}"
            )


if __name__ == "__main__":
    main()
