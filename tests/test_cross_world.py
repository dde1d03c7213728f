# SPDX-License-Identifier: MIT

"""One primitive shared at once by threads, event loops and greenlets.

In-process: plain threads, asyncio loops in several threads, trio, anyio on
both backends, and gevent/eventlet hubs in their own threads (no
monkey-patching). In a subprocess: gevent and eventlet greenlets of the main
thread, with monkey-patching off and on, sharing primitives with OS threads
and an asyncio loop.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import threading
import time

import pytest
import support
from support import wait_until, wait_waiting

pytestmark = pytest.mark.timeout(120)

SCRIPT = pathlib.Path(support.__file__).with_name("green_script.py")


def free(prim):
    if hasattr(prim, "locked"):
        return 0 if prim.locked() else 1
    if hasattr(prim, "available_tokens"):
        return prim.available_tokens
    return prim.value


# -- the founding example -----------------------------------------------------


@pytest.mark.parametrize(
    "backends",
    [("asyncio", "asyncio"), ("asyncio", "trio"), ("trio", "trio")],
    ids="-".join,
)
def test_two_threads_two_anyio_runs_share_a_lock(impl, backends):
    # two threads, each running anyio.run with two tasks; all four share
    # one Lock: `async with lock: await anyio.sleep(...)`
    import anyio

    lock = impl.Lock()
    intervals = []
    errors = []

    async def task(name):
        for _ in range(3):
            async with lock:
                start = time.monotonic()
                await anyio.sleep(0.005)  # hold it for a while
                intervals.append((start, time.monotonic(), name))

    async def main(prefix):
        async with anyio.create_task_group() as tg:
            tg.start_soon(task, prefix + "a")
            tg.start_soon(task, prefix + "b")

    def thread_main(prefix, backend):
        try:
            anyio.run(main, prefix, backend=backend)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(
            target=thread_main, args=(f"t{i}", backend), daemon=True
        )
        for i, backend in enumerate(backends)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), f"deadlock: {lock!r}"
    assert errors == []
    assert len(intervals) == 12
    assert sorted(name for _, _, name in intervals) == sorted(
        f"t{i}{x}" for i in range(2) for x in "ab" for _ in range(3)
    )
    intervals.sort()
    for (_, end, first), (start, _, second) in zip(intervals, intervals[1:]):
        assert end <= start, f"{first} and {second} held the lock together"
    assert not lock.locked()
    assert lock.waiting == 0


# -- wakes between every pair of worlds ---------------------------------------


@pytest.mark.parametrize("waker_lib", support.ALL_LIBS)
@pytest.mark.parametrize("waiter_lib", support.ALL_LIBS)
def test_wake_between_worlds(impl, waiter_lib, waker_lib):
    # the waker's release must reach the waiter whatever both run on:
    # the same loop (direct wake) or another thread (thread-safe entry)
    support.require(waiter_lib)
    support.require(waker_lib)
    lock = impl.Lock()
    with support.World(waiter_lib) as waiter_world:
        if waker_lib == waiter_lib:
            waker_world = waiter_world
            stack = None
        else:
            stack = support.World(waker_lib)
            waker_world = stack.start()
        try:
            holder = waker_world.spawn_hold(lock)
            assert holder.wait_acquired()
            ops = waiter_world.ops

            async def timed():
                return await ops.acquire(lock, timeout=0.02), lock.waiting

            assert waiter_world.call(timed) == (False, 0)
            waiter = waiter_world.spawn_hold(lock)
            wait_until(lambda: lock.waiting == 1)
            holder.release()  # the release runs in the waker's world
            assert waiter.wait_acquired() is True
            assert lock.owner[0] == waiter_world.backend
            # and back: the waiter's world wakes the waker's world
            back = waker_world.spawn_hold(lock)
            wait_until(lambda: lock.waiting == 1)
            waiter.release()
            assert back.wait_acquired() is True
            back.release()
            assert holder.result() and waiter.result() and back.result()
        finally:
            if stack is not None:
                stack.stop()
    assert not lock.locked()
    assert lock.waiting == 0


@pytest.mark.parametrize("with_greenlets", [False, True], ids=["loops", "all"])
def test_semaphore_released_by_plain_thread_wakes_every_world(
    impl, with_greenlets
):
    # one Semaphore(0) with a waiter in each world; one release(n) from a
    # plain thread wakes all of them
    libs = [
        lib for lib in support.ALL_LIBS if lib not in ("gevent", "eventlet")
    ]
    if with_greenlets:
        libs += ["gevent", "eventlet"]
    sem = impl.Semaphore(0)
    with support.open_worlds(*libs) as worlds:
        waiters = []
        for index, world in enumerate(worlds):
            waiters.append(world.spawn_hold(sem))
            wait_waiting(sem, index + 1)
        releaser = threading.Thread(target=sem.release, args=(len(worlds),))
        releaser.start()
        releaser.join(10)
        assert not releaser.is_alive()
        for waiter in waiters:
            assert waiter.wait_acquired() is True
        assert sem.value == 0
        for waiter in waiters:
            waiter.release()
            assert waiter.result() is True
    assert sem.value == len(libs)
    assert sem.waiting == 0


# -- everybody at once --------------------------------------------------------


@pytest.mark.parametrize(
    "make, capacity",
    [
        (lambda m: m.Lock(), 1),
        (lambda m: m.RLock(), 1),
        (lambda m: m.Semaphore(2), 2),
        (lambda m: m.BoundedSemaphore(1), 1),
        (lambda m: m.CapacityLimiter(2), 2),
        (lambda m: m.RCapacityLimiter(1), 1),
    ],
    ids=[
        "Lock",
        "RLock",
        "Semaphore",
        "BoundedSemaphore",
        "CapacityLimiter",
        "RCapacityLimiter",
    ],
)
def test_shared_by_every_world_at_once(impl, make, capacity):
    libs = [
        "threading",
        "threading",
        "asyncio",
        "asyncio",
        "trio",
        "anyio-asyncio",
        "anyio-trio",
    ]
    for lib in ("gevent", "eventlet"):
        support.require(lib)
        libs.append(lib)
    prim = make(impl)
    lock = threading.Lock()
    state = {"inside": 0, "max": 0, "entries": {}}
    iterations = support.stress(20)

    def worker(world, name):
        ops = world.ops

        async def body():
            for _ in range(iterations):
                async with ops.using(prim):
                    with lock:
                        state["inside"] += 1
                        state["max"] = max(state["max"], state["inside"])
                        state["entries"][name] = (
                            state["entries"].get(name, 0) + 1
                        )
                    await ops.checkpoint()
                    with lock:
                        state["inside"] -= 1
            return name

        return body

    with support.open_worlds(*libs) as worlds:
        tasks = []
        for index, world in enumerate(worlds):
            for j in range(2):
                tasks.append(
                    world.spawn(worker(world, f"{world.lib}{index}.{j}"))
                )
        names = [task.result(60) for task in tasks]
    assert state["max"] <= capacity
    assert state["inside"] == 0
    assert state["entries"] == dict.fromkeys(names, iterations)
    assert free(prim) == capacity
    assert prim.waiting == 0


# -- subprocess: greenlets with and without monkey-patching -------------------


@pytest.mark.parametrize(
    "patched", [False, True], ids=["unpatched", "monkey-patched"]
)
@pytest.mark.parametrize("green_lib", ["gevent", "eventlet"])
def test_greenlets_in_subprocess(impl, green_lib, patched):
    support.require(green_lib)
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(SCRIPT),
            green_lib,
            "1" if patched else "0",
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=90,
        env=support.subprocess_env(),
        cwd=str(SCRIPT.parent),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr[-4000:]
    report = json.loads(lines[-1])
    assert report["library"] == green_lib
    assert report["patched"] is patched
    workers = [
        "green-0",
        "green-1",
        "green-2",
        "thread-0",
        "thread-1",
        "loop-a",
        "loop-b",
    ]
    capacities = {
        "Lock": 1,
        "RLock": 1,
        "Semaphore": 2,
        "BoundedSemaphore": 1,
        "CapacityLimiter": 2,
    }
    assert sorted(report["kinds"]) == sorted(capacities)
    for kind, entry in report["kinds"].items():
        assert "error" not in entry, f"{kind}: {entry['error']}"
        contend = entry["contend"]
        assert contend["errors"] == [], f"{kind}: {contend['errors']}"
        assert contend["entries"] == dict.fromkeys(workers, 30), kind
        assert contend["violations"] == 0, kind
        assert contend["waiting"] == 0, kind
        assert contend["free"] == capacities[kind], kind
        timeouts = entry["timeouts"]
        assert timeouts["timed_out"] is True, kind
        assert timeouts["elapsed"] >= 0.04, kind
        assert timeouts["waiting_after_timeout"] == 0, kind
        assert timeouts["green_got"] is True, kind
        assert timeouts["holder"] == ["ok", True], kind
        assert timeouts["thread_waiter"] == ["ok", True], kind
        assert timeouts["waiting"] == 0, kind
        assert timeouts["free"] == 1, kind
