# SPDX-License-Identifier: MIT

"""The scenarios, and the worker process that runs them for a candidate.

Each scenario is a function of a candidate's :class:`candidates.Api` and a
size *n*; it returns the measured value, or ``None`` when the candidate
has nothing for it (shown as ``-``). Units: ``s`` is seconds per
operation, ``B`` bytes per instance, ``/s`` operations (or requests) per
second. A worker process runs one round: every selected scenario once
(after a warm-up at a tenth of the size) for one candidate, and prints
the results as one JSON line:

    python benchmarks/scenarios.py CANDIDATE [--scale F] [--only GLOB ...]
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import gc
import json
import os
import platform
import sys
import sysconfig
import threading
import time
from typing import Any, Callable, NamedTuple, Optional, Tuple

Value = Optional[float]
Run = Callable[[Any, int], Any]

#: seconds a cross-thread scenario may take before it counts as hung
HANG_TIMEOUT = 120.0


class Scenario(NamedTuple):
    """One measurement: title and unit of its rows, base size, function."""

    group: str
    title: str
    unit: str
    n: int
    run: Run
    #: (key suffix, title, unit) when the run returns several values
    rows: tuple[tuple[str, str, str], ...] = ()
    #: the smallest size, whatever the scale
    floor: int = 10


class NotApplicable(Exception):
    """The candidate offers nothing for this scenario."""


# -- uncontended `with` / `async with` ------------------------------------


def _need(factory: Callable[[], Any] | None) -> Callable[[], Any]:
    if factory is None:
        raise NotApplicable
    return factory


def sync_with(attr: str) -> Run:
    def run(api: Any, n: int) -> float:
        lock = _need(getattr(api, attr))()
        start = time.perf_counter()
        for _ in range(n):
            with lock:
                pass
        return (time.perf_counter() - start) / n

    return run


def asyncio_with(attr: str) -> Run:
    def run(api: Any, n: int) -> float:
        factory = _need(getattr(api, "asyncio_" + attr))

        async def main() -> float:
            lock = factory()
            start = time.perf_counter()
            for _ in range(n):
                async with lock:
                    pass
            return time.perf_counter() - start

        return asyncio.run(main()) / n

    return run


def trio_with(attr: str) -> Run:
    def run(api: Any, n: int) -> float:
        factory = _need(getattr(api, "trio_" + attr))
        import trio

        async def main() -> float:
            lock = factory()
            start = time.perf_counter()
            for _ in range(n):
                async with lock:
                    pass
            return time.perf_counter() - start

        return trio.run(main) / n  # type: ignore[no-any-return]

    return run


# -- several threads and loops --------------------------------------------

#: a side of a cross-thread scenario: ("sync" | "async", setup, body);
#: setup and body are functions on a "sync" side (run in a thread of its
#: own) and coroutine functions on an "async" side (run in an asyncio loop
#: in a thread of its own). Every setup ends before any body starts.
Side = Tuple[str, Callable[[], Any], Callable[[], Any]]


def _nothing() -> None:
    pass


async def _anothing() -> None:
    pass


def run_sides(*sides: Side) -> float:
    """Run the sides together; seconds from the first body's start to the
    last body's end."""
    barrier = threading.Barrier(len(sides))
    errors: list[BaseException] = []
    starts: list[float] = []
    ends: list[float] = []

    def thread_main(side: Side) -> None:
        kind, setup, body = side
        try:
            if kind == "sync":
                setup()
                barrier.wait()
                starts.append(time.perf_counter())
                body()
            else:

                async def main() -> None:
                    await setup()
                    barrier.wait()
                    starts.append(time.perf_counter())
                    await body()

                asyncio.run(main())
            ends.append(time.perf_counter())
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=thread_main, args=(side,), daemon=True)
        for side in sides
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + HANG_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"hung for {HANG_TIMEOUT:.0f} s")
    return max(ends) - min(starts)


def threads_lock(api: Any, n: int, threads: int = 4) -> float:
    lock = _need(api.Lock)()
    per_thread = n // threads

    def body() -> None:
        for _ in range(per_thread):
            with lock:
                pass

    sides = [("sync", _nothing, body)] * threads
    return run_sides(*sides) / (per_thread * threads)


def loops_lock(api: Any, n: int) -> float:
    lock = _need(api.loops_Lock)()
    per_loop = n // 2

    async def body() -> None:
        for _ in range(per_loop):
            async with lock:
                pass

    return run_sides(
        ("async", _anothing, body), ("async", _anothing, body)
    ) / (per_loop * 2)


def queue_flow(kind: str, maxsize: int, producer: str, consumer: str) -> Run:
    """Items from a *producer* side to a *consumer* side through a queue."""

    def run(api: Any, n: int) -> float:
        ends: list[Any] = []

        def make() -> None:
            made = api.queue_ends(kind, maxsize, producer, consumer)
            if made is None:
                raise NotApplicable
            ends.extend(made)

        async def amake() -> None:
            make()

        # the queue is made on the asyncio side when there is one
        maker = "async" if "async" in (producer, consumer) else "sync"

        def setup(side: str) -> Callable[[], Any]:
            if side != maker:
                return _nothing if side == "sync" else _anothing
            return make if side == "sync" else amake

        def produce() -> None:
            put = ends[0]
            for i in range(n):
                put(i)

        async def aproduce() -> None:
            put = ends[0]
            for i in range(n):
                await put(i)

        def consume() -> None:
            get = ends[1]
            for _ in range(n):
                get()

        async def aconsume() -> None:
            get = ends[1]
            for _ in range(n):
                await get()

        return (
            run_sides(
                (
                    producer,
                    setup(producer),
                    produce if producer == "sync" else aproduce,
                ),
                (
                    consumer,
                    setup(consumer),
                    consume if consumer == "sync" else aconsume,
                ),
            )
            / n
        )

    return run


def ping_pong(first: str, second: str) -> Run:
    """Round trips of one-shot events between two sides (time per trip)."""

    def run(api: Any, n: int) -> float:
        pings: list[Any] = []  # waited for by the second side
        pongs: list[Any] = []  # waited for by the first side

        def maker(kind: str, out: list[Any]) -> Callable[[], Any]:
            def make() -> None:
                for _ in range(n):
                    made = api.signal(kind)
                    if made is None:
                        raise NotApplicable
                    out.append(made)

            async def amake() -> None:
                make()

            return make if kind == "sync" else amake

        def body(kind: str, mine: list[Any], theirs: list[Any], lead: bool):
            def sync_body() -> None:
                for i in range(n):
                    if lead:
                        theirs[i][0]()
                        mine[i][1]()
                    else:
                        mine[i][1]()
                        theirs[i][0]()

            async def async_body() -> None:
                for i in range(n):
                    if lead:
                        theirs[i][0]()
                        await mine[i][1]()
                    else:
                        await mine[i][1]()
                        theirs[i][0]()

            return sync_body if kind == "sync" else async_body

        return (
            run_sides(
                (first, maker(first, pongs), body(first, pongs, pings, True)),
                (
                    second,
                    maker(second, pings),
                    body(second, pings, pongs, False),
                ),
            )
            / n
        )

    return run


def broadcast_tasks(api: Any, n: int, waiters: int = 1000) -> float:
    """One ``set()`` in the loop wakes *waiters* tasks: time until all ran."""

    async def main() -> float:
        total = 0.0
        for _ in range(n):
            made = api.asyncio_event()
            if made is None:
                raise NotApplicable
            set_, wait = made
            tasks = [asyncio.ensure_future(wait()) for _ in range(waiters)]
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            start = time.perf_counter()
            set_()
            await asyncio.gather(*tasks)
            total += time.perf_counter() - start
        return total

    return asyncio.run(main()) / n


def broadcast_threads(api: Any, n: int, waiters: int = 100) -> float:
    """One ``set()`` wakes *waiters* threads: time until the last woke."""
    factory = _need(api.thread_event())
    total = 0.0
    for _ in range(n):
        event = factory()
        started = threading.Barrier(waiters + 1)
        woke: list[float] = []

        def wait(
            started: Any = started, event: Any = event, woke: Any = woke
        ) -> None:
            started.wait()
            event.wait()
            woke.append(time.perf_counter())

        threads = [threading.Thread(target=wait) for _ in range(waiters)]
        for thread in threads:
            thread.start()
        started.wait()
        time.sleep(0.02)  # let them all block; not timed
        start = time.perf_counter()
        event.set()
        for thread in threads:
            thread.join()
        total += max(woke) - start
    return total / n


# -- memory ----------------------------------------------------------------


def memory(name: str) -> Run:
    """Bytes per instance: traced allocations of *n* new instances / n."""

    def run(api: Any, n: int) -> Value:
        factory = _need(api.instances().get(name))
        try:
            import tracemalloc
        except ImportError:
            raise NotApplicable from None
        if not hasattr(tracemalloc, "get_traced_memory"):
            raise NotApplicable  # PyPy has no allocation tracing
        made: list[Any] = [None] * n
        factory()  # first-use allocations are not per instance
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(n):
                made[i] = factory()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        return (after - before) / n

    return run


# -- scaling ----------------------------------------------------------------


def scaling(what: str, threads: int) -> Run:
    """Operations per second of *threads* threads on one object."""

    def run(api: Any, n: int) -> float:
        per_thread = n // threads
        if what == "semaphore":
            semaphore = _need(api.Semaphore)(8)

            def body() -> None:
                for _ in range(per_thread):
                    with semaphore:
                        pass

        else:
            ends = api.queue_ends("Queue", 0, "sync", "sync")
            if ends is None:
                raise NotApplicable
            put, get = ends

            def body() -> None:
                # each get follows this thread's own put: never waits
                for i in range(per_thread):
                    put(i)
                    get()

        sides = [("sync", _nothing, body)] * threads
        return per_thread * threads / run_sides(*sides)

    return run


# -- the server workload ----------------------------------------------------


def server(api: Any, n: int) -> dict[str, float]:
    import server as workload

    if api.handoff is None:
        raise NotApplicable
    return workload.serve(api.handoff, n)


# -- the table of scenarios ---------------------------------------------------


def _table() -> dict[str, Scenario]:
    table: dict[str, Scenario] = {}
    kinds = [
        ("lock", "Lock"),
        ("rlock", "RLock"),
        ("semaphore", "Semaphore"),
        ("limiter", "CapacityLimiter"),
    ]
    group = "uncontended"
    for name, cls in kinds:
        table["sync_" + name] = Scenario(
            group, f"sync `with {cls}`", "s", 200_000, sync_with(cls)
        )
    for name, cls in kinds:
        table["asyncio_" + name] = Scenario(
            group,
            f"asyncio `async with {cls}`",
            "s",
            100_000,
            asyncio_with(cls),
        )
    for name, cls in kinds:
        table["trio_" + name] = Scenario(
            group, f"trio `async with {cls}`", "s", 30_000, trio_with(cls)
        )
    group = "contended"
    table["threads_lock"] = Scenario(
        group, "4 threads on one Lock", "s", 20_000, threads_lock
    )
    table["loops_lock"] = Scenario(
        group,
        "2 asyncio loops in 2 threads on one Lock",
        "s",
        20_000,
        loops_lock,
    )
    group = "queues"
    flows = [
        ("sync_async", "thread -> asyncio", "sync", "async"),
        ("async_sync", "asyncio -> thread", "async", "sync"),
        ("sync_sync", "thread -> thread", "sync", "sync"),
    ]
    for key, title, producer, consumer in flows:
        for bound, maxsize in (("unbounded", 0), ("bounded", 64)):
            table[f"queue_{key}_{bound}"] = Scenario(
                group,
                f"Queue {title}, {bound}"
                + (f" ({maxsize})" if maxsize else ""),
                "s",
                20_000,
                queue_flow("Queue", maxsize, producer, consumer),
            )
        table[f"simplequeue_{key}"] = Scenario(
            group,
            f"SimpleQueue {title}",
            "s",
            20_000,
            queue_flow("SimpleQueue", 0, producer, consumer),
        )
    group = "events"
    table["pingpong_thread_asyncio"] = Scenario(
        group,
        "Event ping-pong thread <-> asyncio (per round trip)",
        "s",
        5_000,
        ping_pong("sync", "async"),
    )
    table["pingpong_loops"] = Scenario(
        group,
        "Event ping-pong loop <-> loop (per round trip)",
        "s",
        5_000,
        ping_pong("async", "async"),
    )
    table["broadcast_tasks"] = Scenario(
        group,
        "one set() wakes 1,000 asyncio tasks",
        "s",
        40,
        broadcast_tasks,
    )
    table["broadcast_threads"] = Scenario(
        group,
        "one set() wakes 100 threads",
        "s",
        10,
        broadcast_threads,
    )
    group = "memory"
    for cls in (
        "Lock",
        "RLock",
        "Semaphore",
        "CapacityLimiter",
        "Event",
        "Condition",
        "Queue",
        "SimpleQueue",
    ):
        table["memory_" + cls.lower()] = Scenario(
            group, f"bytes per {cls}", "B", 2_000, memory(cls)
        )
    group = "scaling"
    for what in ("semaphore", "queue"):
        for threads in (1, 2, 4, 8):
            title = (
                "Semaphore(8) acquire + release"
                if what == "semaphore"
                else ("Queue put + get")
            )
            table[f"scaling_{what}_{threads}"] = Scenario(
                group,
                f"{threads} thread{'s' if threads > 1 else ''}: {title}",
                "/s",
                80_000,
                scaling(what, threads),
            )
    table["server"] = Scenario(
        "server",
        "asyncio server, 4 worker threads, 32 connections",
        "/s",
        10_000,
        server,
        rows=(
            ("rps", "requests per second", "/s"),
            ("p50", "p50 latency", "s"),
            ("p99", "p99 latency", "s"),
        ),
        # fewer requests would measure the start more than the load
        floor=2_000,
    )
    return table


SCENARIOS = _table()


def rows() -> dict[str, tuple[str, str, str]]:
    """Every row of the report: key -> (group, title, unit)."""
    result: dict[str, tuple[str, str, str]] = {}
    for name, scenario in SCENARIOS.items():
        if scenario.rows:
            for suffix, title, unit in scenario.rows:
                result[f"{name}.{suffix}"] = (
                    scenario.group,
                    f"{scenario.title}: {title}",
                    unit,
                )
        else:
            result[name] = (scenario.group, scenario.title, scenario.unit)
    return result


def select(only: list[str]) -> list[str]:
    """The scenarios whose names match one of the *only* globs (or all)."""
    return [
        name
        for name in SCENARIOS
        if not only or any(fnmatch.fnmatch(name, glob) for glob in only)
    ]


def describe() -> dict[str, Any]:
    """The interpreter: implementation, version, build, CPU count."""
    free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "build": "free-threaded" if free else "GIL",
        "gil_enabled": gil,
        "cpus": os.cpu_count(),
    }


def worker(candidate: str, scale: float, only: list[str]) -> dict[str, Any]:
    """One round of the selected scenarios for *candidate*."""
    import candidates

    api = candidates.load(candidate)
    results: dict[str, Any] = {}
    for name in select(only):
        scenario = SCENARIOS[name]
        n = max(scenario.floor, int(scenario.n * scale))
        try:
            if scenario.group not in ("memory", "server"):
                scenario.run(api, max(1, n // 10))  # warm-up
            value = scenario.run(api, n)
        except (NotApplicable, ImportError):
            # ImportError: e.g. no trio on this interpreter
            value = None
        except Exception as exc:
            value = f"error: {type(exc).__name__}: {exc}"
        if scenario.rows:
            for suffix, _, _ in scenario.rows:
                results[f"{name}.{suffix}"] = (
                    value if not isinstance(value, dict) else value[suffix]
                )
        else:
            results[name] = value
    return {
        "candidate": candidate,
        "core": api.core or candidate,
        "interpreter": describe(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    print(json.dumps(worker(args.candidate, args.scale, args.only)))


if __name__ == "__main__":
    main()
