# SPDX-License-Identifier: MIT

"""Generic contracts of every lock-like primitive, on every library.

Each *kind* below builds a primitive that admits ``capacity`` holders at
once; the tests check, for each kind and library: mutual exclusion, FIFO
hand-off across threads, tasks and loops, ``blocking=False``, timeouts,
cancellation (a permit is never lost nor duplicated, also when the waiter is
cancelled after it was handed the permit), checkpoints (exactly one per async
call on trio, none on asyncio for calls that need not wait), no thread per
waiting task, and bad input leaving the object usable.
"""

from __future__ import annotations

import math
import random
import threading
import time

import pytest
import support
from support import TrioStepCounter, YieldCounter, wait_until, wait_waiting

pytestmark = pytest.mark.timeout(120)


class Kind:
    """How to build and inspect one lock-like primitive."""

    def __init__(
        self, name, make, capacity, free, reentrant=False, strict=True
    ):
        self.name = name
        self._make = make
        self.capacity = capacity
        self._free = free
        self.reentrant = reentrant
        # strict: releasing without holding raises RuntimeError
        self.strict = strict

    def make(self, impl):
        return self._make(impl)

    def free(self, prim):
        return self._free(prim)

    def __repr__(self):
        return self.name


def _lock_free(lock):
    return 0 if lock.locked() else 1


def _value(sem):
    return sem.value


def _tokens(limiter):
    return limiter.available_tokens


KINDS = [
    Kind("Lock", lambda m: m.Lock(), 1, _lock_free),
    Kind("RLock", lambda m: m.RLock(), 1, _lock_free, reentrant=True),
    Kind("Semaphore", lambda m: m.Semaphore(1), 1, _value, strict=False),
    Kind("Semaphore3", lambda m: m.Semaphore(3), 3, _value, strict=False),
    Kind("BoundedSemaphore2", lambda m: m.BoundedSemaphore(2), 2, _value),
    Kind(
        "BinarySemaphore",
        lambda m: m.BinarySemaphore(),
        1,
        _value,
        strict=False,
    ),
    Kind(
        "BoundedBinarySemaphore",
        lambda m: m.BoundedBinarySemaphore(),
        1,
        _value,
    ),
    Kind("CapacityLimiter", lambda m: m.CapacityLimiter(1), 1, _tokens),
    Kind("CapacityLimiter2", lambda m: m.CapacityLimiter(2), 2, _tokens),
    Kind(
        "RCapacityLimiter",
        lambda m: m.RCapacityLimiter(1),
        1,
        _tokens,
        reentrant=True,
    ),
]
SINGLE = [kind for kind in KINDS if kind.capacity == 1]


@pytest.fixture(params=KINDS, ids=repr)
def kind(request):
    return request.param


@pytest.fixture(params=SINGLE, ids=repr)
def single_kind(request):
    return request.param


def assert_idle(kind, prim, context=""):
    assert kind.free(prim) == kind.capacity, f"{context}permit lost: {prim!r}"
    assert prim.waiting == 0, f"{context}waiter left behind: {prim!r}"


def fill(world, kind, prim):
    """Take every permit with holders of ``world``; return them."""
    holders = [world.spawn_hold(prim) for _ in range(kind.capacity)]
    for holder in holders:
        assert holder.wait_acquired() is True
    assert kind.free(prim) == 0
    return holders


def release_all(holders):
    for holder in holders:
        holder.release()
    for holder in holders:
        assert holder.result() is True


class Occupancy:
    """Counts holders inside the critical section; remembers the maximum."""

    def __init__(self, capacity):
        self.capacity = capacity
        self._lock = threading.Lock()
        self.inside = 0
        self.max_inside = 0
        self.entries = 0
        self.violations = []

    def enter(self, who):
        with self._lock:
            self.inside += 1
            self.entries += 1
            self.max_inside = max(self.max_inside, self.inside)
            if self.inside > self.capacity:
                self.violations.append((who, self.inside))

    def leave(self):
        with self._lock:
            self.inside -= 1


# -- mutual exclusion ---------------------------------------------------------


def exclusion_worker(world, prim, occupancy, name, iterations):
    ops = world.ops

    async def body():
        for _ in range(iterations):
            assert await ops.acquire(prim)
            occupancy.enter(name)
            await ops.checkpoint()
            occupancy.leave()
            await ops.release(prim)
        return iterations

    return body


def test_exclusion_in_one_world(impl, world, kind):
    prim = kind.make(impl)
    occupancy = Occupancy(kind.capacity)
    iterations = support.stress(20)
    tasks = [
        world.spawn(exclusion_worker(world, prim, occupancy, i, iterations))
        for i in range(kind.capacity + 3)
    ]
    assert [task.result(30) for task in tasks] == [iterations] * len(tasks)
    assert occupancy.violations == []
    assert occupancy.max_inside <= kind.capacity
    assert occupancy.entries == iterations * len(tasks)
    assert_idle(kind, prim)


MIXES = {
    "threads-loops": ("threading", "threading", "asyncio", "asyncio", "trio"),
    "anyio": ("anyio-asyncio", "anyio-trio", "threading"),
    "greenlets": ("gevent", "eventlet", "threading", "asyncio"),
}


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_exclusion_across_worlds(impl, kind, mix):
    prim = kind.make(impl)
    occupancy = Occupancy(kind.capacity)
    iterations = support.stress(15)
    with support.open_worlds(*MIXES[mix]) as worlds:
        tasks = []
        for index, world in enumerate(worlds):
            for j in range(2):
                worker = exclusion_worker(
                    world, prim, occupancy, (world.lib, index, j), iterations
                )
                tasks.append(world.spawn(worker))
        for task in tasks:
            assert task.result(60) == iterations
    assert occupancy.violations == []
    assert occupancy.entries == iterations * len(tasks)
    assert_idle(kind, prim)


# -- FIFO hand-off ------------------------------------------------------------


def fifo_waiter(world, prim, log, name):
    ops = world.ops

    async def body():
        assert await ops.acquire(prim)
        log.append(name)
        await ops.release(prim)
        return name

    return body


@pytest.mark.parametrize(
    "libs",
    [
        ("threading", "asyncio", "threading", "asyncio", "threading"),
        (
            "trio",
            "asyncio",
            "threading",
            "anyio-trio",
            "anyio-asyncio",
            "trio",
        ),
        ("gevent", "threading", "eventlet", "asyncio", "gevent", "eventlet"),
    ],
    ids=["threads-loops", "trio-anyio", "greenlets"],
)
def test_fifo_across_worlds(impl, single_kind, libs):
    # API.md 2.2: ['thread0', 'loop1', 'thread2', 'loop3', 'thread4'];
    # every waiter runs in a world of its own (two asyncio entries are two
    # event loops in two threads)
    kind = single_kind
    prim = kind.make(impl)
    log = []
    expected = [f"{lib}{i}" for i, lib in enumerate(libs)]
    with support.open_worlds(*libs) as worlds:
        holder = worlds[0].spawn_hold(prim)
        assert holder.wait_acquired()
        tasks = []
        for index, (world, name) in enumerate(zip(worlds, expected)):
            tasks.append(world.spawn(fifo_waiter(world, prim, log, name)))
            wait_waiting(prim, index + 1)
        holder.release()
        names = [task.result() for task in tasks]
        assert holder.result() is True
    assert names == expected
    assert log == expected
    assert_idle(kind, prim)


def test_fifo_multi_permit(impl, world):
    # each released permit goes to the longest-waiting task
    sem = impl.Semaphore(0)
    ops = world.ops

    async def waiter():
        return await ops.acquire(sem)

    tasks = []
    for i in range(5):
        tasks.append(world.spawn(waiter))
        wait_waiting(sem, i + 1)
    for i, task in enumerate(tasks):
        sem.release()
        assert task.result() is True
        assert sem.waiting == 4 - i
        assert [t.done() for t in tasks] == [True] * (i + 1) + [False] * (
            4 - i
        )
    assert sem.value == 0


# -- blocking=False and timeouts ----------------------------------------------


def test_nowait(impl, world, kind):
    prim = kind.make(impl)
    ops = world.ops

    async def attempt():
        if world.is_async:
            counter = YieldCounter(prim.async_acquire(blocking=False))
            ok = await counter
            yields = counter.yields
        else:
            ok, yields = prim.green_acquire(blocking=False), 0
        waiting = prim.waiting
        if ok:
            await ops.release(prim)
        return ok, yields, waiting

    assert world.call(attempt) == (True, 0, 0)
    holders = fill(world, kind, prim)
    assert world.call(attempt) == (False, 0, 0)
    release_all(holders)
    assert world.call(attempt) == (True, 0, 0)
    assert_idle(kind, prim)


def test_timeout(impl, world, kind):
    prim = kind.make(impl)
    ops = world.ops
    holders = fill(world, kind, prim)

    async def attempt(timeout):
        start = time.monotonic()
        ok = await ops.acquire(prim, timeout=timeout)
        elapsed = time.monotonic() - start
        if ok:
            await ops.release(prim)
        return ok, elapsed, prim.waiting

    ok, elapsed, waiting = world.call(attempt, 0.05)
    assert (ok, waiting) == (False, 0)
    assert elapsed >= 0.04
    assert world.call(attempt, 0)[0] is False
    assert kind.free(prim) == 0
    release_all(holders)
    assert world.call(attempt, 0)[0] is True
    assert world.call(attempt, 0.05)[0] is True
    assert_idle(kind, prim)


def timed_attempt(world, prim, timeout):
    ops = world.ops

    async def attempt():
        ok = await ops.acquire(prim, timeout=timeout)
        if ok:
            await ops.release(prim)
        return ok

    return attempt


def assert_idle_soon(kind, prim, context):
    wait_until(
        lambda: kind.free(prim) == kind.capacity and prim.waiting == 0,
        message=lambda: f"{context}: permits not conserved: {prim!r}",
    )


def test_timeout_then_release_race(impl, kind):
    # a waiter whose timeout fires while it is being handed the permit
    # either keeps it (and releases it) or passes it on: never lost
    prim = kind.make(impl)
    with support.open_worlds("threading", "asyncio", "trio") as worlds:
        for seed in support.seeds(30):
            rng = random.Random(seed)
            holders = fill(worlds[0], kind, prim)
            world = worlds[seed % len(worlds)]
            timeout = rng.choice([0.001, 0.002, 0.005])
            task = world.spawn(timed_attempt(world, prim, timeout))
            time.sleep(rng.random() * 2 * timeout)  # vary the race window
            release_all(holders)
            assert task.result() in (True, False), f"seed={seed}"
            assert_idle_soon(kind, prim, f"seed={seed}")


# -- cancellation -------------------------------------------------------------


def test_cancel_waiting(impl, cancellable_world, kind):
    world = cancellable_world
    prim = kind.make(impl)
    holders = fill(world, kind, prim)
    waiter = world.spawn_hold(prim)
    wait_until(lambda: prim.waiting == 1)
    waiter.cancel()
    assert isinstance(waiter.task.exception(), world.cancelled_exc)
    wait_until(lambda: prim.waiting == 0)
    assert kind.free(prim) == 0
    release_all(holders)
    assert_idle(kind, prim)
    # still usable
    holders = fill(world, kind, prim)
    release_all(holders)
    assert_idle(kind, prim)


def test_cancel_timed_waiter(impl, cancellable_world, kind):
    world = cancellable_world
    prim = kind.make(impl)
    holders = fill(world, kind, prim)
    waiter = world.spawn_hold(prim, timeout=30)
    wait_until(lambda: prim.waiting == 1)
    waiter.cancel()
    assert isinstance(waiter.task.exception(), world.cancelled_exc)
    wait_until(lambda: prim.waiting == 0)
    release_all(holders)
    assert_idle(kind, prim)


def test_cancel_after_handoff(impl, cancellable_world, single_kind):
    # API.md 2.3: the releaser hands the permit to waiter A and cancels A
    # before A runs. asyncio: A gets CancelledError and the permit reaches
    # B; trio: once rescheduled, the acquisition stands (A acquires, then
    # B). Either way nothing is lost or duplicated.
    world = cancellable_world
    kind = single_kind
    prim = kind.make(impl)
    ops = world.ops
    occupancy = Occupancy(1)
    log = []
    gate = world.gate()
    tasks = {}

    def waiter(name):
        async def body():
            assert await ops.acquire(prim)
            occupancy.enter(name)
            log.append(name)
            try:
                await ops.checkpoint()
            finally:
                occupancy.leave()
                await ops.release(prim)
            return True

        return body

    async def releaser():
        assert await ops.acquire(prim)
        await gate.wait()
        await ops.release(prim)  # hands the permit to A
        world.cancel_now(tasks["A"])  # A has not run yet
        return kind.free(prim)

    first = world.spawn(releaser)
    wait_until(lambda: kind.free(prim) == 0)
    for name in ("A", "B"):
        tasks[name] = world.spawn(waiter(name))
        wait_until(lambda: prim.waiting == len(tasks))
    gate.open()
    assert first.result() == 0  # handed over, not returned to the pool
    error_a = tasks["A"].exception()
    assert tasks["B"].result() is True
    assert log in (["A", "B"], ["B"])
    if "A" not in log:
        assert isinstance(error_a, world.cancelled_exc), error_a
    elif error_a is not None:
        # acquired, then cancelled at the next checkpoint (and released)
        assert isinstance(error_a, world.cancelled_exc), error_a
    if world.lib == "asyncio":
        assert log == ["B"], "asyncio: the cancelled waiter must not acquire"
    if world.lib == "trio":
        assert log == ["A", "B"], "trio: the rescheduled waiter keeps it"
    assert occupancy.violations == []
    assert_idle(kind, prim)


def test_cancel_after_handoff_semaphore(impl, cancellable_world):
    # API.md 2.3 example: Semaphore(0), waiters A and B; release() wakes A,
    # A is cancelled before it runs -> B acquires, value ends at 0
    world = cancellable_world
    sem = impl.Semaphore(0)
    ops = world.ops
    tasks = {}

    def waiter(name):
        async def body():
            return await ops.acquire(sem)

        return body

    async def releaser():
        sem.release()
        world.cancel_now(tasks["A"])
        return sem.value

    for name in ("A", "B"):
        tasks[name] = world.spawn(waiter(name))
        wait_until(lambda: sem.waiting == len(tasks))
    assert world.call(releaser) == 0
    error_a = tasks["A"].exception()
    if error_a is None:
        # A kept the permit (trio semantics); B is still waiting
        assert world.lib != "asyncio"
        assert tasks["A"].result() is True
        wait_until(lambda: sem.waiting == 1)
        assert not tasks["B"].done()
        sem.release()
    else:
        assert isinstance(error_a, world.cancelled_exc)
    assert tasks["B"].result() is True
    assert sem.value == 0
    assert sem.waiting == 0
    if world.lib == "trio":
        assert error_a is None
    if world.lib == "asyncio":
        assert error_a is not None


def racing_attempt(world, prim, occupancy, record, timeout, hold):
    ops = world.ops

    async def body():
        try:
            ok = await ops.acquire(prim, timeout=timeout)
        except BaseException:
            record("cancelled")
            raise
        if not ok:
            record("timeout")
            return False
        record("acquired")
        occupancy.enter(world.lib)
        try:
            if hold:
                await ops.sleep(hold)
            else:
                await ops.checkpoint()
        finally:
            occupancy.leave()
            await ops.release(prim)
        return True

    return body


def test_cancel_while_releasing_stress(impl, kind):
    # seeded races between releases, timeouts and cancellations across
    # threads and loops; permits are conserved and exclusion holds
    prim = kind.make(impl)
    libs = ("threading", "asyncio", "trio", "anyio-asyncio")
    attempts = 24
    with support.open_worlds(*libs) as worlds:
        for seed in support.seeds(8):
            rng = random.Random(seed)
            occupancy = Occupancy(kind.capacity)
            outcomes = [[] for _ in range(attempts)]
            tasks = []
            for index in range(attempts):
                world = rng.choice(worlds)
                timeout = rng.choice([None, 0.001, 0.003, 0.01])
                hold = rng.choice([0, 0, 0.001])
                body = racing_attempt(
                    world,
                    prim,
                    occupancy,
                    outcomes[index].append,
                    timeout,
                    hold,
                )
                tasks.append(world.spawn(body))
            for task in rng.sample(tasks, 8):
                if task.world.lib != "threading":
                    time.sleep(rng.random() * 0.002)  # vary the race window
                    task.cancel()
            for task in tasks:
                assert task.wait(30), f"seed={seed}: {task!r} hangs; {prim!r}"
            assert_idle_soon(kind, prim, f"seed={seed}")
            assert occupancy.violations == [], f"seed={seed}"
            counts = {"acquired": 0, "timeout": 0, "cancelled": 0}
            for task, seen in zip(tasks, outcomes):
                exc = task.exception()
                cancelled = isinstance(exc, task.world.cancelled_exc or ())
                assert exc is None or cancelled, f"seed={seed}: {exc!r}"
                if not seen:  # cancelled before it started
                    assert cancelled, f"seed={seed}: {task!r} has no outcome"
                outcome = seen or ["cancelled"]
                assert len(outcome) == 1, f"seed={seed}: {outcome}"
                counts[outcome[0]] += 1
            assert sum(counts.values()) == attempts, f"seed={seed}: {counts}"
            assert occupancy.entries == counts["acquired"], f"seed={seed}"


# -- checkpoints --------------------------------------------------------------


async def trio_count(call):
    """Await ``call()`` in trio, counting yields and scheduler steps."""
    async with TrioStepCounter() as steps:
        counter = YieldCounter(call())
        try:
            result = await counter
        except BaseException as exc:
            result = exc
    return result, counter.yields, steps.steps


@pytest.fixture(params=["trio", "anyio-trio"])
def trio_world(request):
    support.require(request.param)
    with support.World(request.param) as world:
        yield world


@pytest.fixture(params=["asyncio", "anyio-asyncio"])
def asyncio_world(request):
    with support.World(request.param) as world:
        yield world


def test_trio_uncontended_call_checkpoints_once(impl, trio_world, kind):
    prim = kind.make(impl)
    ops = trio_world.ops

    async def body():
        acquired = await trio_count(prim.async_acquire)
        await ops.release(prim)
        nowait = await trio_count(lambda: prim.async_acquire(blocking=False))
        await ops.release(prim)
        return acquired, nowait

    acquired, nowait = trio_world.call(body)
    assert acquired == (True, 1, 1)
    assert nowait == (True, 0, 0)
    assert_idle(kind, prim)


@pytest.mark.parametrize("name", ["RLock", "RCapacityLimiter"])
def test_trio_reentrant_acquire_checkpoints_once(impl, trio_world, name):
    prim = getattr(impl, name)()

    async def body():
        assert await prim.async_acquire()
        again = await trio_count(prim.async_acquire)
        nowait = await trio_count(lambda: prim.async_acquire(blocking=False))
        await trio_world.ops.release(prim, 3)
        return again, nowait

    assert trio_world.call(body) == ((True, 1, 1), (True, 0, 0))
    assert not prim


def test_trio_contended_call_checkpoints_once(impl, trio_world, kind):
    prim = kind.make(impl)
    holders = fill(trio_world, kind, prim)

    async def body():
        result = await trio_count(prim.async_acquire)
        await trio_world.ops.release(prim)
        return result

    task = trio_world.spawn(body)
    wait_until(lambda: prim.waiting == 1)
    release_all(holders[:1])
    assert task.result() == (True, 1, 1)
    release_all(holders[1:])
    assert_idle(kind, prim)


def test_trio_timed_out_call_checkpoints_once(impl, trio_world, kind):
    prim = kind.make(impl)
    holders = fill(trio_world, kind, prim)

    async def body():
        return await trio_count(lambda: prim.async_acquire(timeout=0.01))

    assert trio_world.call(body) == (False, 1, 1)
    release_all(holders)
    assert_idle(kind, prim)


def test_trio_cancelled_scope_does_not_leak_permit(impl, trio_world, kind):
    # API.md 2.1: inside an already cancelled scope the uncontended acquire
    # raises Cancelled at its checkpoint and gives the permit back
    import trio

    prim = kind.make(impl)

    async def body():
        with trio.CancelScope() as scope:
            scope.cancel()
            await prim.async_acquire()
            return "not cancelled"
        return scope.cancelled_caught, kind.free(prim), prim.waiting

    assert trio_world.call(body) == (True, kind.capacity, 0)
    assert_idle(kind, prim)


def test_asyncio_uncontended_call_does_not_yield(impl, asyncio_world, kind):
    prim = kind.make(impl)
    ops = asyncio_world.ops

    async def body():
        results = []
        for kwargs in ({}, {"blocking": False}, {"timeout": 1}):
            coro = prim.async_acquire(**kwargs)
            try:
                coro.send(None)
            except StopIteration as exc:
                results.append(exc.value)
            else:
                coro.close()
                results.append("yielded")
            if results[-1] is True:
                await ops.release(prim)
        return results

    assert asyncio_world.call(body) == [True, True, True]
    assert_idle(kind, prim)


def test_asyncio_enabled_checkpoints_yield_once(impl, asyncio_world, kind):
    prim = kind.make(impl)
    ops = asyncio_world.ops
    enable_checkpoints = impl.lowlevel.enable_checkpoints

    async def body():
        async with enable_checkpoints():
            counter = YieldCounter(prim.async_acquire())
            assert await counter
            await ops.release(prim)
            nowait = YieldCounter(prim.async_acquire(blocking=False))
            assert await nowait
            await ops.release(prim)
        return counter.yields, nowait.yields

    assert asyncio_world.call(body) == (1, 0)
    assert_idle(kind, prim)


def test_asyncio_cancelled_at_checkpoint_does_not_leak_permit(impl, kind):
    import asyncio

    prim = kind.make(impl)
    enable_checkpoints = impl.lowlevel.enable_checkpoints

    async def body():
        async with enable_checkpoints():
            task = asyncio.current_task()
            task.cancel()
            try:
                await prim.async_acquire()
            except asyncio.CancelledError:
                outcome = "cancelled"
            else:
                outcome = "acquired"
            if hasattr(task, "uncancel"):
                task.uncancel()
        return outcome, kind.free(prim), prim.waiting

    with support.World("asyncio") as world:
        assert world.call(body) == ("cancelled", kind.capacity, 0)
    assert_idle(kind, prim)


def test_asyncio_contended_call_yields_once(impl, asyncio_world, kind):
    prim = kind.make(impl)
    holders = fill(asyncio_world, kind, prim)

    async def body():
        counter = YieldCounter(prim.async_acquire())
        assert await counter
        await asyncio_world.ops.release(prim)
        return counter.yields

    task = asyncio_world.spawn(body)
    wait_until(lambda: prim.waiting == 1)
    release_all(holders)
    assert task.result() == 1
    assert_idle(kind, prim)


# -- threads ------------------------------------------------------------------


def _threads():
    return {t for t in threading.enumerate() if not t.name.startswith("task-")}


def _describe(threads):
    return sorted(f"{t.name} (daemon={t.daemon})" for t in threads)


def test_no_thread_per_waiter(impl, cancellable_world, kind):
    world = cancellable_world
    prim = kind.make(impl)
    holders = fill(world, kind, prim)
    before = _threads()
    log = []
    waiters = [
        world.spawn(fifo_waiter(world, prim, log, i)) for i in range(10)
    ]
    wait_until(lambda: prim.waiting == 10)
    during = _threads()
    assert during == before, f"threads started: {_describe(during - before)}"
    release_all(holders)
    assert sorted(waiter.result() for waiter in waiters) == list(range(10))
    assert sorted(log) == list(range(10))
    assert _threads() == before
    assert_idle(kind, prim)


def test_no_thread_leaked_after_timeouts(impl, world, kind):
    prim = kind.make(impl)
    holders = fill(world, kind, prim)
    before = _threads()
    before_all = threading.active_count()
    ops = world.ops

    async def attempt():
        return await ops.acquire(prim, timeout=0.01)

    tasks = [world.spawn(attempt) for _ in range(10)]
    assert [task.result() for task in tasks] == [False] * 10
    assert prim.waiting == 0
    assert _threads() == before, f"leaked: {_describe(_threads() - before)}"
    if world.lib == "threading":
        wait_until(lambda: threading.active_count() <= before_all)
    release_all(holders)
    assert_idle(kind, prim)


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout, exc, message",
    [
        (-1, ValueError, "timeout must be non-negative"),
        (-0.5, ValueError, "timeout must be non-negative"),
        (math.nan, ValueError, "timeout must be non-NaN"),
        ("soon", TypeError, None),
        ([], TypeError, None),
    ],
)
def test_bad_timeout_when_contended(impl, world, kind, timeout, exc, message):
    prim = kind.make(impl)
    ops = world.ops
    holders = fill(world, kind, prim)

    async def attempt():
        with pytest.raises(exc) as info:
            await ops.acquire(prim, timeout=timeout)
        ignored = await ops.acquire(prim, blocking=False, timeout=timeout)
        return str(info.value), ignored, prim.waiting

    text, ignored, waiting = world.call(attempt)
    if message is not None:
        assert text == message
    assert (ignored, waiting) == (False, 0)
    assert kind.free(prim) == 0
    release_all(holders)
    assert_idle(kind, prim)
    holders = fill(world, kind, prim)
    release_all(holders)
    assert_idle(kind, prim)


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc",
    [(-1, ValueError), (math.nan, ValueError), ("soon", TypeError)],
)
def test_bad_timeout_when_uncontended(impl, world, kind, timeout, exc):
    prim = kind.make(impl)
    ops = world.ops

    async def attempt():
        with pytest.raises(exc):
            await ops.acquire(prim, timeout=timeout)
        return kind.free(prim), prim.waiting

    assert world.call(attempt) == (kind.capacity, 0)
    assert_idle(kind, prim)


def test_release_without_holding(impl, world, kind):
    prim = kind.make(impl)
    ops = world.ops

    async def attempt():
        try:
            await ops.release(prim)
        except RuntimeError as exc:
            return type(exc)
        return None

    if kind.strict:
        assert world.call(attempt) is RuntimeError
        assert_idle(kind, prim)
        holders = fill(world, kind, prim)
        release_all(holders)
        assert_idle(kind, prim)
    else:
        # unbounded semaphores accept extra permits
        assert world.call(attempt) is None
        assert kind.free(prim) == kind.capacity + 1
