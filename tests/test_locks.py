# SPDX-License-Identifier: MIT

"""Behaviour of ``Lock`` and ``RLock`` on every library."""

from __future__ import annotations

import copy
import math
import pickle
import re
import threading
import time
import weakref

import pytest
import support
from support import wait_until, wait_waiting

pytestmark = pytest.mark.timeout(60)

LOCK_REPR = re.compile(
    r"<aiologic\.(?P<cls>\w+)\(\) at 0x[0-9a-fA-F]+ \[(.*)\]>"
)


def state_of(obj):
    match = LOCK_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group(2)


def acquire_release_body(world, lock):
    ops = world.ops

    async def body():
        ok = await ops.acquire(lock)
        await ops.release(lock)
        return ok

    return body


@pytest.fixture(params=["Lock", "RLock"])
def lock_type(request, impl):
    return getattr(impl, request.param)


# -- object protocol ---------------------------------------------------------


def test_initial_state(lock_type):
    lock = lock_type()
    assert LOCK_REPR.fullmatch(repr(lock)).group("cls") == lock_type.__name__
    assert state_of(lock) == "unlocked"
    assert not lock
    assert not lock.locked()
    assert lock.owner is None
    assert lock.waiting == 0
    assert lock.green_owned() is False


def test_rlock_is_a_lock(impl):
    assert issubclass(impl.RLock, impl.Lock)
    assert impl.RLock().count == 0


@pytest.mark.parametrize("name", ["acquire", "release"])
def test_no_plain_acquire_release(lock_type, name):
    with pytest.raises(AttributeError):
        getattr(lock_type(), name)


def test_rlock_has_no_level(impl):
    assert not hasattr(impl.RLock(), "level")


def test_repr_locked_and_waiting(lock_type):
    lock = lock_type()
    assert lock.green_acquire()
    assert state_of(lock) == "locked, waiting=0"
    assert lock
    with support.World("threading") as world:
        holders = []
        for i in range(2):
            holders.append(world.spawn_hold(lock))
            wait_waiting(lock, i + 1)
        assert state_of(lock) == "locked, waiting=2"
        lock.green_release()
        for holder in holders:
            assert holder.wait_acquired()
            holder.release()
            assert holder.result() is True
    assert state_of(lock) == "unlocked"


def test_subclass_repr_and_weakref(lock_type):
    class Custom(lock_type):
        pass

    lock = Custom()
    assert re.fullmatch(
        r"<\S*Custom\(\) at 0x[0-9a-fA-F]+ \[unlocked\]>", repr(lock)
    )
    ref = weakref.ref(lock)
    assert ref() is lock


def test_pickle_and_copy_give_fresh_unlocked_lock(lock_type):
    lock = lock_type()
    assert lock.green_acquire()
    for clone in (
        pickle.loads(pickle.dumps(lock)),
        copy.copy(lock),
        copy.deepcopy(lock),
    ):
        assert type(clone) is lock_type
        assert clone is not lock
        assert not clone.locked()
        assert clone.owner is None
        assert clone.green_acquire(blocking=False)
    assert lock.locked()
    lock.green_release()


# -- ownership ---------------------------------------------------------------


def test_owner_is_the_acquiring_task(impl, world, lock_type):
    lock = lock_type()
    ops = world.ops

    async def body():
        assert await ops.acquire(lock)
        me = world.current_ident()
        seen = (
            lock.owner,
            lock.locked(),
            bool(lock),
            await ops.call(lock, "owned"),
        )
        await ops.release(lock)
        return me, seen, lock.owner, lock.locked()

    me, seen, owner_after, locked_after = world.call(body)
    assert me[0] == world.backend
    assert seen == (me, True, True, True)
    assert owner_after is None
    assert locked_after is False
    # owned() is per task: the test's thread does not own it either way
    assert lock.green_owned() is False


def test_reacquire_by_owner_raises(impl, world):
    lock = impl.Lock()
    ops = world.ops

    async def body():
        assert await ops.acquire(lock)
        errors = []
        for kwargs in ({}, {"blocking": False}, {"timeout": 0}):
            with pytest.raises(RuntimeError) as info:
                await ops.acquire(lock, **kwargs)
            errors.append(str(info.value))
        still = (lock.owner == world.current_ident(), lock.waiting)
        await ops.release(lock)
        return errors, still

    errors, still = world.call(body)
    assert errors == ["the current task is already holding this lock"] * 3
    assert still == (True, 0)
    assert not lock.locked()


def test_release_unlocked_raises(world, lock_type):
    lock = lock_type()
    ops = world.ops

    async def body():
        with pytest.raises(RuntimeError) as info:
            await ops.release(lock)
        ok = await ops.acquire(lock)
        await ops.release(lock)
        return str(info.value), ok, lock.locked()

    assert world.call(body) == ("release unlocked lock", True, False)


def test_release_by_non_owner_raises(world, lock_type):
    lock = lock_type()
    ops = world.ops
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()
    owner = lock.owner

    async def intruder():
        with pytest.raises(RuntimeError) as info:
            await ops.release(lock)
        return str(info.value), await ops.call(lock, "owned")

    message, owned = world.call(intruder)
    assert message == "the current task is not holding this lock"
    assert owned is False
    assert lock.owner == owner
    assert lock.locked()
    # the test thread is not the owner either
    with pytest.raises(RuntimeError, match="not holding this lock"):
        lock.green_release()
    holder.release()
    assert holder.result() is True
    assert not lock.locked()


def test_async_acquired_lock_is_not_green_owned(async_lib, lock_type):
    # ownership is per (library, task): an async task cannot green_release
    lock = lock_type()
    with support.World(async_lib) as world:

        async def body():
            assert await lock.async_acquire()
            with pytest.raises(
                RuntimeError,
                match=r"^the current task is not holding this lock$",
            ):
                lock.green_release()
            owned = (lock.async_owned(), lock.green_owned())
            lock.async_release()
            return owned

        assert world.call(body) == (True, False)
    assert not lock.locked()


def test_green_acquire_in_thread_of_holding_task_raises(async_lib, lock_type):
    # simple mixed-deadlock detection (API.md 1.2): a plain thread blocking
    # on a lock held by a task of its own event loop would never wake up
    lock = lock_type()
    with support.World(async_lib) as world:

        async def body():
            assert await lock.async_acquire()
            try:
                with pytest.raises(RuntimeError) as info:
                    lock.green_acquire()
                with pytest.raises(RuntimeError):
                    lock.green_acquire(blocking=False)
                return str(info.value), lock.async_owned(), lock.waiting
            finally:
                lock.async_release()

        assert world.call(body) == (
            "the current thread is already holding this lock",
            True,
            0,
        )
    assert not lock.locked()


def test_async_acquire_in_loop_of_holding_thread_raises(async_lib, lock_type):
    # the other way round: a task waiting for the plain thread that runs
    # its own event loop would never wake up either
    lock = lock_type()
    with support.World(async_lib) as world:

        async def body():
            assert lock.green_acquire()  # the loop's thread, not a task
            try:
                with pytest.raises(RuntimeError) as info:
                    await lock.async_acquire()
                with pytest.raises(RuntimeError):
                    await lock.async_acquire(blocking=False)
                with pytest.raises(RuntimeError):
                    async with lock:
                        pass
                return str(info.value), lock.green_owned(), lock.waiting
            finally:
                lock.green_release()

        message, owned, waiting = world.call(body)
    assert message.startswith(
        "the current thread is already holding this lock"
    )
    assert "event loop" in message
    assert (owned, waiting) == (True, 0)
    assert not lock.locked()


def test_async_acquire_waits_for_a_thread_of_another_loop(lock_type):
    # a lock held by another OS thread is an ordinary wait, not a deadlock
    lock = lock_type()
    holder_ready, release = threading.Event(), threading.Event()

    def hold():
        with lock:
            holder_ready.set()
            release.wait(support.DEFAULT_TIMEOUT)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holder_ready.wait(support.DEFAULT_TIMEOUT)
    with support.World("asyncio") as world:

        async def body():
            async with lock:
                return lock.async_owned()

        task = world.spawn(body)
        support.wait_waiting(lock, 1)
        release.set()
        assert task.result() is True
    holder.join(support.DEFAULT_TIMEOUT)
    assert not lock.locked()


# -- waiting -----------------------------------------------------------------


def test_nowait_fails_while_held(world, lock_type):
    lock = lock_type()
    ops = world.ops
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()

    async def body():
        return (
            await ops.acquire(lock, blocking=False),
            # blocking=False ignores timeout entirely, even an invalid one
            await ops.acquire(lock, blocking=False, timeout=-1),
            await ops.acquire(lock, timeout=0),
            lock.waiting,
        )

    assert world.call(body) == (False, False, False, 0)
    assert lock.owner is not None
    holder.release()
    assert holder.result()
    assert world.call(acquire_release_body(world, lock)) is True
    assert not lock.locked()


def test_nowait_succeeds_when_free(world, lock_type):
    lock = lock_type()
    ops = world.ops

    async def body():
        ok = await ops.acquire(lock, blocking=False)
        owned = lock.owner == world.current_ident()
        await ops.release(lock)
        return ok, owned

    assert world.call(body) == (True, True)
    assert not lock.locked()


def test_timeout_returns_false(world, lock_type):
    lock = lock_type()
    ops = world.ops
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()

    async def body():
        start = time.monotonic()
        ok = await ops.acquire(lock, timeout=0.05)
        return ok, time.monotonic() - start, lock.waiting

    ok, elapsed, waiting = world.call(body)
    assert ok is False
    assert elapsed >= 0.04
    assert waiting == 0
    assert lock.owner is not None
    holder.release()
    assert holder.result()
    # still usable after the timeout
    assert world.call(acquire_release_body(world, lock)) is True
    assert not lock.locked()


def test_acquire_waits_until_released(world, lock_type):
    lock = lock_type()
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()
    waiter = world.spawn_hold(lock, timeout=math.inf)
    wait_until(lambda: lock.waiting == 1)
    assert not waiter.done()
    holder.release()
    assert waiter.wait_acquired() is True
    waiter.release()
    assert holder.result() is True
    assert waiter.result() is True
    assert not lock.locked()
    assert lock.waiting == 0


@pytest.mark.parametrize("timeout", [None, math.inf, 10**400, 1e300])
def test_no_timeout_values(lock_type, timeout):
    lock = lock_type()
    assert lock.green_acquire()
    with support.World("threading") as world:
        waiter = world.spawn_hold(lock, timeout=timeout)
        wait_until(lambda: lock.waiting == 1)
        lock.green_release()
        assert waiter.wait_acquired() is True
        waiter.release()
        assert waiter.result() is True
    assert not lock.locked()


def test_handoff_before_the_waiter_runs(world, lock_type):
    # release() hands the lock to the first waiter: it stays locked, names
    # the waiter as owner, and a newcomer cannot barge in
    lock = lock_type()
    ops = world.ops
    gate = world.gate()
    # the waiter holds on until the first task has looked, so that a
    # waiter in another thread cannot release before the observation
    observed = world.gate()
    idents = []

    async def first():
        assert await ops.acquire(lock)
        await gate.wait()
        await ops.release(lock)
        return (
            lock.locked(),
            lock.owner,
            lock.waiting,
            await ops.acquire(lock, blocking=False),
        )

    task = world.spawn(first)
    wait_until(lock.locked)

    async def second():
        idents.append(world.current_ident())
        ok = await ops.acquire(lock)
        await observed.wait()
        await ops.release(lock)
        return ok

    waiter = world.spawn(second)
    wait_until(lambda: lock.waiting == 1)
    gate.open()
    locked, owner, waiting, barged = task.result()
    observed.open()
    assert waiter.result() is True
    assert locked is True
    assert owner == idents[0]
    assert waiting == 0
    assert barged is False
    assert not lock.locked()


def test_fifo_order_in_one_world(world, lock_type):
    lock = lock_type()
    ops = world.ops
    log = []
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()

    async def waiter(name):
        assert await ops.acquire(lock)
        log.append(name)
        await ops.release(lock)

    tasks = []
    for i in range(6):
        tasks.append(world.spawn(waiter, i))
        wait_waiting(lock, i + 1)
    holder.release()
    for task in tasks:
        task.result()
    assert holder.result()
    assert log == list(range(6))
    assert not lock.locked()
    assert lock.waiting == 0


def test_context_manager(world, lock_type):
    lock = lock_type()
    ops = world.ops

    async def body():
        async with ops.using(lock) as entered:
            inside = (entered is lock, lock.owner == world.current_ident())
        with pytest.raises(ZeroDivisionError):
            async with ops.using(lock):
                raise ZeroDivisionError
        return inside, lock.locked()

    assert world.call(body) == ((True, True), False)


# -- timeout validation -------------------------------------------------------


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc, message",
    [
        (-1, ValueError, "timeout must be non-negative"),
        (-math.inf, ValueError, "timeout must be non-negative"),
        (math.nan, ValueError, "timeout must be non-NaN"),
        ("1", TypeError, None),
    ],
)
def test_bad_timeout_rejected_even_uncontended(
    world, lock_type, timeout, exc, message
):
    lock = lock_type()
    ops = world.ops

    async def body():
        with pytest.raises(exc) as info:
            await ops.acquire(lock, timeout=timeout)
        return str(info.value), lock.locked(), lock.waiting

    text, locked, waiting = world.call(body)
    if message is not None:
        assert text == message
    assert (locked, waiting) == (False, 0)
    assert world.call(acquire_release_body(world, lock)) is True


@pytest.mark.parametrize(
    "timeout, exc, message",
    [
        (-1, ValueError, "timeout must be non-negative"),
        (math.nan, ValueError, "timeout must be non-NaN"),
        ("1", TypeError, None),
    ],
)
def test_bad_timeout_rejected_when_contended(
    world, lock_type, timeout, exc, message
):
    lock = lock_type()
    ops = world.ops
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()
    owner = lock.owner

    async def body():
        with pytest.raises(exc) as info:
            await ops.acquire(lock, timeout=timeout)
        return str(info.value), lock.waiting

    text, waiting = world.call(body)
    if message is not None:
        assert text == message
    assert waiting == 0
    assert lock.owner == owner
    holder.release()
    assert holder.result()
    assert world.call(acquire_release_body(world, lock)) is True
    assert not lock.locked()


# -- RLock --------------------------------------------------------------------


def test_rlock_reentrancy(impl, world):
    lock = impl.RLock()
    ops = world.ops

    async def body():
        seen = []
        assert await ops.acquire(lock)
        assert await ops.acquire(lock, 2)
        assert await ops.acquire(lock, blocking=False)
        assert await ops.acquire(lock, timeout=0)
        seen.append((lock.count, await ops.call(lock, "count")))
        await ops.release(lock, 2)
        seen.append((lock.count, lock.locked()))
        await ops.release(lock)
        await ops.release(lock)
        seen.append(
            (lock.count, lock.locked(), lock.owner == world.current_ident())
        )
        await ops.release(lock)
        seen.append((lock.count, lock.locked(), lock.owner))
        return seen

    assert world.call(body) == [
        (5, 5),
        (3, True),
        (1, True, True),
        (0, False, None),
    ]


def test_rlock_count_of_other_task_is_zero(impl, world):
    lock = impl.RLock()
    ops = world.ops
    holder = world.spawn_hold(lock, 3)
    assert holder.wait_acquired()

    async def body():
        return (
            lock.count,
            await ops.call(lock, "count"),
            await ops.call(lock, "owned"),
        )

    assert world.call(body) == (3, 0, False)
    assert lock.green_count() == 0
    holder.release()
    assert holder.result()
    assert lock.count == 0
    assert not lock.locked()


def test_rlock_released_too_many_times(impl, world):
    lock = impl.RLock()
    ops = world.ops

    async def body():
        assert await ops.acquire(lock, 2)
        with pytest.raises(RuntimeError) as info:
            await ops.release(lock, 3)
        still = (lock.count, lock.owner == world.current_ident())
        await ops.release(lock, 2)
        with pytest.raises(RuntimeError) as unlocked:
            await ops.release(lock)
        return str(info.value), still, str(unlocked.value), lock.locked()

    assert world.call(body) == (
        "lock released too many times",
        (2, True),
        "release unlocked lock",
        False,
    )


@pytest.mark.parametrize("count", [0, -1])
def test_rlock_bad_count(impl, world, count):
    lock = impl.RLock()
    ops = world.ops

    async def body():
        with pytest.raises(ValueError, match=r"^count must be >= 1$"):
            await ops.acquire(lock, count)
        unlocked = (lock.locked(), lock.count)
        assert await ops.acquire(lock)
        with pytest.raises(ValueError, match=r"^count must be >= 1$"):
            await ops.release(lock, count)
        held = lock.count
        await ops.release(lock)
        return unlocked, held, lock.locked()

    assert world.call(body) == ((False, 0), 1, False)


def test_rlock_waiter_acquires_with_its_count(impl, world):
    lock = impl.RLock()
    holder = world.spawn_hold(lock, 2)
    assert holder.wait_acquired()
    waiter = world.spawn_hold(lock, 3)
    wait_until(lambda: lock.waiting == 1)
    assert lock.count == 2
    holder.release()
    assert waiter.wait_acquired()
    assert lock.count == 3
    waiter.release()
    assert holder.result() and waiter.result()
    assert lock.count == 0
    assert not lock.locked()


def test_rlock_non_owner_release(impl, world):
    lock = impl.RLock()
    ops = world.ops
    holder = world.spawn_hold(lock)
    assert holder.wait_acquired()

    async def body():
        with pytest.raises(RuntimeError) as info:
            await ops.release(lock)
        return str(info.value)

    assert world.call(body) == "the current task is not holding this lock"
    assert lock.count == 1
    holder.release()
    assert holder.result()


@pytest.mark.parametrize("count", ["1", None])
def test_rlock_rejects_non_number_count(impl, count):
    lock = impl.RLock()
    with pytest.raises(TypeError):
        lock.green_acquire(count)
    assert not lock.locked()
    assert lock.count == 0
    assert lock.green_acquire()
    with pytest.raises(TypeError):
        lock.green_release(count)
    assert lock.count == 1
    lock.green_release()
    assert not lock.locked()
