# SPDX-License-Identifier: MIT

"""Behaviour of ``Condition`` on every library and every kind of lock."""

from __future__ import annotations

import copy
import itertools
import pickle
import random
import re
import threading
import time
import weakref
from collections import deque

import pytest
import support
from support import wait_until

pytestmark = pytest.mark.timeout(60)

CONDITION_REPR = re.compile(
    r"<(?P<name>[\w.<>]+)\((?P<args>.*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)

DIFFERS = pytest.mark.differs_from_0171


def parse(obj):
    match = CONDITION_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


def lib_params(libs, differs_for=()):
    """``libs`` as params, those in ``differs_for`` marked as differing."""
    return [
        pytest.param(lib, marks=DIFFERS) if lib in differs_for else lib
        for lib in libs
    ]


TRIO_LIBS = ("trio", "anyio-trio")


# Lock factories of the conditions that work with tasks of every library
# (aiologic locks: wait morphing).
@pytest.fixture(params=["RLock", "Lock", "BinarySemaphore", "default"])
def mixed_cond(request, impl):
    if request.param == "default":
        return impl.Condition()
    return impl.Condition(getattr(impl, request.param)())


@pytest.fixture(params=["RLock", "Lock", "default"])
def owned_cond(request, impl):
    """A condition over an aiologic lock owned per task."""
    if request.param == "default":
        return impl.Condition()
    return impl.Condition(getattr(impl, request.param)())


def is_held(cond):
    """Whether the condition's lock is held by anybody."""
    lock = cond.lock
    if hasattr(lock, "locked"):
        return lock.locked()
    return lock.value == 0  # BinarySemaphore


def spawn_waiter(world, cond, timeout=support._MISSING, depth=1, log=None):
    """Spawn a task that waits on ``cond`` under its lock.

    Returns the task; its result is ``(wait result, lock held on return,
    RLock depth on return)``. Blocks until the task is waiting.
    """
    ops = world.ops
    before = cond.waiting

    async def waiter():
        async with ops.using(cond):
            for _ in range(depth - 1):
                await ops.acquire(cond.lock)
            if timeout is support._MISSING:
                result = await ops.wait(cond)
            else:
                result = await ops.wait(cond, timeout)
            if log is not None:
                log.append(result)
            state = await lock_state(ops, cond)
            for _ in range(depth - 1):
                await ops.release(cond.lock)
            return (result, *state)

    task = world.spawn(waiter)
    wait_until(
        lambda: cond.waiting == before + 1 or task.done(),
        message="the waiter did not start waiting",
    )
    if task.done():
        task.result(0)  # re-raises
    return task


async def lock_state(ops, cond):
    """(held by the current task, RLock depth or None) for a portable body."""
    lock = cond.lock
    if lock is None:
        return None, None
    if hasattr(lock, "green_owned"):
        owned = await ops.call(lock, "owned")
    else:
        owned = lock.value == 0
    depth = None
    if hasattr(lock, "green_count"):
        depth = await ops.call(lock, "count")
    return owned, depth


async def wait_for(world, cond, predicate, timeout=None, delegate=True):
    """``cond.wait_for``/``for_`` as the world does it (portable)."""
    if world.is_async:
        return await cond.for_(predicate, timeout, delegate=delegate)
    return cond.wait_for(predicate, timeout, delegate=delegate)


# -- object protocol ---------------------------------------------------------


def test_default_condition(impl):
    cond = impl.Condition()
    assert isinstance(cond, impl.Condition)
    assert type(cond) is not impl.Condition
    assert type(cond).__name__.startswith("_")
    assert type(cond.lock) is impl.RLock
    assert cond.waiting == 0
    assert not cond
    assert parse(cond) == (
        "aiologic.Condition",
        "<aiologic.RLock>",
        "waiting=0",
    )
    assert cond.timer() == 0
    assert cond.timer() == 1
    assert weakref.ref(cond)() is cond


@pytest.mark.parametrize(
    ("make_lock", "shown"),
    [
        (lambda impl: impl.Lock(), "<aiologic.Lock>"),
        (lambda impl: impl.RLock(), "<aiologic.RLock>"),
        (lambda impl: impl.BinarySemaphore(), "<aiologic.BinarySemaphore>"),
        (
            lambda impl: impl.BoundedBinarySemaphore(),
            "<aiologic.BoundedBinarySemaphore>",
        ),
        (lambda impl: threading.Lock(), "<_thread.lock>"),
        (lambda impl: threading.RLock(), "<_thread.RLock>"),
        (lambda impl: None, "None"),
        (lambda impl: object(), "<builtins.object>"),
    ],
)
def test_repr_and_kind(impl, make_lock, shown):
    lock = make_lock(impl)
    cond = impl.Condition(lock)
    assert cond.lock is lock
    assert isinstance(cond, impl.Condition)
    assert type(cond) is not impl.Condition
    assert parse(cond) == ("aiologic.Condition", shown, "waiting=0")


def test_custom_timer_in_repr_and_pickle(impl):
    cond = impl.Condition(None, time.monotonic)
    assert cond.timer is time.monotonic
    assert parse(cond)[1] == f"None, timer={time.monotonic!r}"
    assert cond.__getnewargs__() == (None, time.monotonic)
    clone = pickle.loads(pickle.dumps(cond))
    assert clone.lock is None
    assert clone.timer is time.monotonic
    # a count's __next__ is what the default is: not shown
    cond = impl.Condition(None, itertools.count(5).__next__)
    assert parse(cond)[1] == "None"
    assert cond.__getnewargs__() == (None,)
    assert cond.timer() == 5


def test_pickle_and_copy(impl):
    cond = impl.Condition()
    with cond:
        clone = pickle.loads(pickle.dumps(cond))
        assert not clone
        assert not clone.lock.locked()
    assert type(clone) is type(cond)
    assert type(clone.lock) is impl.RLock
    assert cond.__getstate__() is None
    shallow = copy.copy(cond)
    assert type(shallow) is type(cond)
    assert shallow.lock is cond.lock
    lockless = pickle.loads(pickle.dumps(impl.Condition(None)))
    assert lockless.lock is None


def test_pickle_thread_lock_condition_fails(impl):
    # thread locks cannot be pickled: TypeError on CPython, PicklingError
    # on PyPy (whose lock type is not reachable by name)
    with pytest.raises((TypeError, pickle.PicklingError)):
        pickle.dumps(impl.Condition(threading.Lock()))


def test_generic_at_runtime(impl):
    alias = impl.Condition[int]
    assert alias.__origin__ is impl.Condition
    assert impl.Condition[int, int].__args__ == (int, int)


def test_bool_follows_the_lock(impl):
    for cond in (impl.Condition(), impl.Condition(impl.Lock())):
        assert not cond
        with cond:
            assert cond
        assert not cond
    sem = impl.BinarySemaphore()
    cond = impl.Condition(sem)
    assert not cond
    with cond:
        assert cond
    lock = threading.Lock()
    cond = impl.Condition(lock)
    with cond:
        assert cond
    assert not cond
    rlock = threading.RLock()
    cond = impl.Condition(rlock)
    assert not cond
    with cond:
        assert cond
    assert not impl.Condition(None)


def test_enter_returns_the_condition(impl):
    for lock in (impl.RLock(), impl.Lock(), impl.BinarySemaphore(), None):
        cond = impl.Condition(lock)
        with cond as entered:
            assert entered is cond


def test_nested_with_on_rlock(impl):
    cond = impl.Condition()
    with cond:
        with cond:
            assert cond.lock.count == 2
        assert cond.lock.count == 1
    assert not cond.lock.locked()


def test_user_subclass(impl):
    class MyCondition(impl.Condition):
        __slots__ = ()

    cond = MyCondition()
    assert type(cond) is MyCondition
    name, args, state = parse(cond)
    assert name.endswith("MyCondition")
    assert (args, state) == ("<aiologic.RLock>", "waiting=0")
    result = []

    def waiter():
        with cond:
            result.append(cond.wait(5))

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: cond.waiting == 1)
    with cond:
        assert cond
        assert cond.notify() == 1
    thread.join(10)
    assert result == [True]


# -- errors -------------------------------------------------------------------


def test_wait_on_unacquired_lock(world, mixed_cond):
    ops = world.ops
    cond = mixed_cond

    async def body():
        with pytest.raises(RuntimeError, match="cannot wait on un-acquired"):
            await ops.wait(cond)
        with pytest.raises(RuntimeError, match="cannot wait on un-acquired"):
            await ops.wait(cond, 0)
        with pytest.raises(RuntimeError, match="cannot wait on un-acquired"):
            await wait_for(world, cond, lambda: True)

    world.call(body)


def test_wait_on_lock_of_another_task(world, owned_cond):
    cond = owned_cond
    with cond:
        ops = world.ops

        async def body():
            with pytest.raises(RuntimeError, match="un-acquired lock"):
                await ops.wait(cond, 0)

        world.call(body)


def test_notify_on_unacquired_lock(impl, mixed_cond):
    cond = mixed_cond
    with pytest.raises(RuntimeError, match="cannot notify on un-acquired"):
        cond.notify()
    with pytest.raises(RuntimeError, match="cannot notify on un-acquired"):
        cond.notify_all()


def test_notify_checks_locked_not_ownership(impl, world, owned_cond):
    cond = owned_cond
    holder = world.spawn_hold(cond.lock)
    assert holder.wait_acquired()
    assert cond.notify() == 0
    assert cond.notify_all() == 0
    holder.release()
    holder.result()


@pytest.mark.parametrize("kind", ["lock", "rlock"])
def test_thread_lock_conditions_check_ownership(impl, kind):
    lock = threading.Lock() if kind == "lock" else threading.RLock()
    cond = impl.Condition(lock)
    with pytest.raises(RuntimeError, match="cannot wait on un-acquired"):
        cond.wait(0)
    # sync conditions notify without the lock
    assert cond.notify() == 0
    assert cond.notify_all() == 0


def test_rlock_thread_condition_is_owned_per_thread(impl):
    lock = threading.RLock()
    cond = impl.Condition(lock)
    errors = []
    with cond:

        def other():
            try:
                cond.wait(0)
            except RuntimeError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert errors == ["cannot wait on un-acquired lock"]


@DIFFERS
@pytest.mark.parametrize(
    ("timeout", "message"),
    [(-1, "timeout must be non-negative"), (float("nan"), "non-NaN")],
)
def test_bad_timeout_rejected_first(impl, timeout, message):
    for cond in (impl.Condition(), impl.Condition(threading.Lock())):
        # rejected before the ownership check
        with pytest.raises(ValueError, match=message):
            cond.wait(timeout)
        with pytest.raises(ValueError, match=message):
            cond.wait_for(lambda: True, timeout)
        with cond, pytest.raises(ValueError, match=message):
            cond.wait_for(lambda: True, timeout)


def test_bad_timeout_rejected_when_waiting(impl):
    cond = impl.Condition()
    with cond:
        with pytest.raises(ValueError, match="timeout must be non-negative"):
            cond.wait(-1)
        assert cond.lock.count == 1
        assert cond.waiting == 0


# -- wait and notify ----------------------------------------------------------


def test_wait_notify(world, mixed_cond):
    cond = mixed_cond
    task = spawn_waiter(world, cond)
    assert cond.waiting == 1
    assert parse(cond)[2] == "waiting=1"
    with cond:
        assert cond.notify() == 1
        assert cond.waiting == 0
        assert not task.done()  # woken only when the lock is handed over
    result, held, _ = task.result()
    assert result is True
    assert held
    assert not is_held(cond)


def test_wait_notify_lockless(world, impl):
    cond = impl.Condition(None)
    task = spawn_waiter(world, cond)
    assert cond.notify() == 1
    assert task.result()[0] is True


def test_waiter_in_asyncio_notified_by_thread(impl):
    cond = impl.Condition()
    with support.World("asyncio") as loop:
        task = spawn_waiter(loop, cond)
        results = []

        def notifier():
            with cond:
                results.append(cond.notify())

        thread = threading.Thread(target=notifier)
        thread.start()
        thread.join(10)
        assert results == [1]
        assert task.result()[:2] == (True, True)


def test_trio_waiter_notified_by_gevent(impl):
    cond = impl.Condition()
    with support.open_worlds("trio", "gevent") as (trio_world, gevent_world):
        task = spawn_waiter(trio_world, cond)

        def notifier():
            with cond:
                return cond.notify()

        assert gevent_world.call(notifier) == 1
        assert task.result()[:2] == (True, True)


def test_asyncio_loops_and_threads_fifo(impl):
    cond = impl.Condition()
    log = []
    libs = ["threading", "asyncio", "trio", "gevent", "eventlet", "asyncio"]
    with support.open_worlds(*libs) as worlds:
        tasks = []
        for index, world in enumerate(worlds):
            ops = world.ops

            async def waiter(index=index, ops=ops):
                async with ops.using(cond):
                    result = await ops.wait(cond)
                    log.append(index)
                    return result

            tasks.append(world.spawn(waiter))
            wait_until(lambda index=index: cond.waiting == index + 1)
        with cond:
            assert cond.notify_all() == len(worlds)
        assert [task.result() for task in tasks] == [True] * len(worlds)
    assert log == list(range(len(worlds)))


def test_notify_order_is_fifo(world, mixed_cond):
    cond = mixed_cond
    log = []
    tasks = [spawn_waiter(world, cond, log=log) for _ in range(4)]
    order = []
    # notify one at a time: the oldest waiter goes first
    for expected in range(4):
        with cond:
            assert cond.notify() == 1
        tasks[expected].result()
        order.append(expected)
        assert all(not task.done() for task in tasks[expected + 1 :])
    assert order == [0, 1, 2, 3]
    assert log == [True] * 4


def test_notify_count_and_return_value(world, mixed_cond):
    cond = mixed_cond
    tasks = [spawn_waiter(world, cond) for _ in range(3)]
    with cond:
        assert cond.notify(0) == 0
        assert cond.notify(2) == 2
        assert cond.waiting == 1
    for task in tasks[:2]:
        assert task.result()[0] is True
    with cond:
        assert cond.notify(5) == 1
        assert cond.notify() == 0
    assert tasks[2].result()[0] is True


def test_notify_all(world, mixed_cond):
    cond = mixed_cond
    tasks = [spawn_waiter(world, cond) for _ in range(3)]
    with cond:
        assert cond.notify_all() == 3
        assert cond.waiting == 0
        assert cond.notify_all() == 0
    for task in tasks:
        assert task.result()[:2] == (True, True)


def test_notify_deadline(world, impl):
    cond = impl.Condition()  # default timer: 0, 1, 2, ...
    tasks = [spawn_waiter(world, cond) for _ in range(3)]
    with cond:
        assert cond.timer() == 3
        assert cond.notify_all(deadline=-1) == 0
        assert cond.notify_all(deadline=0) == 1
        assert cond.notify(5, deadline=1) == 1
        assert cond.waiting == 1
    assert tasks[0].result()[0] is True
    assert tasks[1].result()[0] is True
    assert not tasks[2].done()
    with cond:
        assert cond.notify(deadline=4) == 1
    assert tasks[2].result()[0] is True


def test_timeout_returns_false_with_lock_held(world, mixed_cond):
    cond = mixed_cond
    task = spawn_waiter(world, cond, timeout=0.05)
    result, held, _ = task.result()
    assert result is False
    assert held
    assert cond.waiting == 0
    assert not is_held(cond)
    # a waiter that left is not counted
    with cond:
        assert cond.notify() == 0


def test_timeout_zero_polls(world, mixed_cond):
    cond = mixed_cond
    ops = world.ops

    async def body():
        async with ops.using(cond):
            result = await ops.wait(cond, 0)
            return result, await lock_state(ops, cond)

    result, (held, _) = world.call(body)
    assert result is False
    assert held
    assert cond.waiting == 0


def test_timed_wait_notified_in_time(world, mixed_cond):
    cond = mixed_cond
    task = spawn_waiter(world, cond, timeout=30)
    with cond:
        assert cond.notify() == 1
    assert task.result()[:2] == (True, True)


def test_timeout_while_lock_is_held_elsewhere(impl, world):
    # the waiter times out but can only return once it has the lock back
    cond = impl.Condition()
    task = spawn_waiter(world, cond, timeout=0.3)
    with cond:
        wait_until(lambda: cond.lock.waiting == 1)  # re-acquiring
        assert not task.done()
    assert task.result() == (False, True, 1)


def test_rlock_depth_restored(world, impl):
    cond = impl.Condition()
    task = spawn_waiter(world, cond, depth=2)
    with cond:
        assert cond.lock.count == 1
        assert cond.notify() == 1
    assert task.result() == (True, True, 2)
    assert cond.lock.count == 0


def test_rlock_depth_restored_after_timeout(world, impl):
    cond = impl.Condition()
    task = spawn_waiter(world, cond, timeout=0.01, depth=3)
    assert task.result() == (False, True, 3)
    assert not cond.lock.locked()


@pytest.mark.parametrize(
    "lib", lib_params(support.CANCELLABLE_LIBS, TRIO_LIBS)
)
def test_cancelled_wait_reacquires_the_lock(impl, lib):
    cond = impl.Condition()
    states = []
    with support.World(lib) as world:
        ops = world.ops

        async def waiter():
            async with ops.using(cond):
                await ops.acquire(cond.lock)  # depth 2
                try:
                    await ops.wait(cond)
                finally:
                    states.append(await lock_state(ops, cond))
                    await ops.release(cond.lock)

        task = world.spawn(waiter)
        wait_until(lambda: cond.waiting == 1)
        task.cancel()
        assert isinstance(task.exception(), world.cancelled_exc)
    assert states == [(True, 2)]
    assert cond.waiting == 0
    assert not cond.lock.locked()
    assert cond.lock.waiting == 0


@pytest.mark.parametrize("lib", support.CANCELLABLE_LIBS)
def test_cancelled_wait_waits_for_the_lock(impl, lib):
    cond = impl.Condition(impl.Lock())
    states = []
    with support.World(lib) as world:
        ops = world.ops

        async def waiter():
            async with ops.using(cond):
                try:
                    await ops.wait(cond)
                finally:
                    states.append(await lock_state(ops, cond))

        task = world.spawn(waiter)
        wait_until(lambda: cond.waiting == 1)
        with cond:
            task.cancel()
            # shielded: it queues for the lock instead of leaving without it
            wait_until(lambda: cond.lock.waiting == 1)
            assert not task.done()
        assert isinstance(task.exception(), world.cancelled_exc)
    assert states == [(True, None)]
    assert not cond.lock.locked()
    assert cond.waiting == 0


@DIFFERS
@pytest.mark.parametrize("lib", support.ALL_LIBS)
def test_notified_then_timed_out_returns_true(impl, lib):
    cond = impl.Condition()
    with support.World(lib) as world:
        task = spawn_waiter(world, cond, timeout=0.3)
        with cond:
            assert cond.notify() == 1
            # its timeout expires while the notifier holds the lock: it
            # queues again for the lock (next to its dead entry)
            wait_until(lambda: cond.lock.waiting == 2)
            assert not task.done()
        assert task.result() == (True, True, 1)
    assert cond.lock.waiting == 0
    assert cond.waiting == 0


@DIFFERS
@pytest.mark.parametrize("lib", support.CANCELLABLE_LIBS)
def test_notified_then_cancelled_passes_the_notification_on(impl, lib):
    cond = impl.Condition()
    with support.World(lib) as world, support.World("threading") as other:
        first = spawn_waiter(world, cond)
        second = spawn_waiter(other, cond)
        with cond:
            assert cond.notify() == 1
            first.cancel()
            wait_until(lambda: cond.lock.waiting == 2)  # dead + re-queued
        assert isinstance(first.exception(), world.cancelled_exc)
        assert second.result() == (True, True, 1)
    assert cond.waiting == 0
    assert not cond.lock.locked()


def test_wait_morphing_wakes_once_trio(impl):
    # notify_all hands the lock on: each trio waiter is scheduled once
    cond = impl.Condition()
    with support.World("trio") as world:

        async def waiter():
            async with cond:
                async with support.TrioStepCounter() as counter:
                    result = await cond
                return result, counter.steps

        tasks = []
        for count in range(3):
            tasks.append(world.spawn(waiter))
            wait_until(lambda count=count: cond.waiting == count + 1)
        with cond:
            assert cond.notify_all() == 3
        assert [task.result() for task in tasks] == [(True, 1)] * 3


# -- predicates ---------------------------------------------------------------


def spawn_predicate_waiter(world, cond, predicate, timeout=None, **kwargs):
    before = cond.waiting

    async def waiter():
        async with world.ops.using(cond):
            result = await wait_for(world, cond, predicate, timeout, **kwargs)
            return result, await lock_state(world.ops, cond)

    task = world.spawn(waiter)
    wait_until(lambda: cond.waiting == before + 1 or task.done())
    if task.done():
        task.result(0)
    return task


def test_wait_for_true_at_once(world, mixed_cond):
    cond = mixed_cond
    ops = world.ops

    async def body():
        async with ops.using(cond):
            return await wait_for(world, cond, lambda: [1])

    assert world.call(body) == [1]
    assert cond.waiting == 0


def test_wait_for_returns_last_falsy_value_on_timeout(world, mixed_cond):
    cond = mixed_cond
    task = spawn_predicate_waiter(world, cond, lambda: "", timeout=0.02)
    result, (held, _) = task.result()
    assert result == ""
    assert held


def test_wait_for_value_after_final_timeout(world, impl):
    # the predicate is checked once more after the timeout
    cond = impl.Condition()
    state = {"ready": False, "calls": 0}

    def predicate():
        state["calls"] += 1
        return "ready" if state["ready"] else None

    task = spawn_predicate_waiter(world, cond, predicate, timeout=0.3)
    with cond:
        state["ready"] = True  # nobody notifies
        wait_until(lambda: cond.lock.waiting == 1)  # timed out
    result, (held, _) = task.result()
    assert result == "ready"
    assert held


def test_delegated_predicates_choose_who_is_notified(world, mixed_cond):
    cond = mixed_cond
    level = [0]
    tasks = [
        spawn_predicate_waiter(
            world, cond, lambda need=need: level[0] >= need and need
        )
        for need in (1, 2, 3)
    ]
    with cond:
        level[0] = 2
        assert cond.notify_all() == 2
        assert cond.waiting == 1
    assert tasks[0].result()[0] == 1
    assert tasks[1].result()[0] == 2
    assert not tasks[2].done()
    with cond:
        assert cond.notify() == 0  # its predicate is still false
        level[0] = 3
        assert cond.notify() == 1
    result, (held, _) = tasks[2].result()
    assert result == 3
    assert held


def test_notify_skips_waiters_whose_predicate_is_false(world, impl):
    cond = impl.Condition()
    ready = {"first": False, "second": False}
    first = spawn_predicate_waiter(world, cond, lambda: ready["first"])
    second = spawn_predicate_waiter(world, cond, lambda: ready["second"])
    with cond:
        ready["second"] = True
        assert cond.notify() == 1
    assert second.result()[0] is True
    assert cond.waiting == 1
    assert not first.done()
    with cond:
        ready["first"] = True
        assert cond.notify() == 1
    assert first.result()[0] is True


def test_delegated_predicate_runs_in_notifier(world, impl):
    cond = impl.Condition()
    callers = []
    flag = [False]

    def predicate():
        callers.append(threading.get_ident())
        return flag[0]

    task = spawn_predicate_waiter(world, cond, predicate)
    callers.clear()
    with cond:
        flag[0] = True
        assert cond.notify() == 1
        assert callers == [threading.get_ident()]
    assert task.result()[0] is True
    # the waiter checked it again after waking
    assert len(callers) == 2


def test_delegated_predicate_exception_reaches_waiter(world, mixed_cond):
    cond = mixed_cond
    broken = [False]

    class Boom(Exception):
        pass

    def predicate():
        if broken[0]:
            raise Boom("predicate failed")
        return False

    ops = world.ops

    async def waiter():
        async with ops.using(cond):
            with pytest.raises(Boom, match="predicate failed"):
                await wait_for(world, cond, predicate)
            return await lock_state(ops, cond)

    task = world.spawn(waiter)
    wait_until(lambda: cond.waiting == 1)
    with cond:
        broken[0] = True
        assert cond.notify()  # not raised here
    held, _ = task.result()
    assert held
    assert cond.waiting == 0


def test_undelegated_predicate_waits_again(world, impl):
    cond = impl.Condition()
    flag = [False]
    task = spawn_predicate_waiter(world, cond, lambda: flag[0], delegate=False)
    with cond:
        assert cond.notify() == 1  # woken although the predicate is false
    wait_until(lambda: cond.waiting == 1)  # and waiting again
    assert not task.done()
    with cond:
        flag[0] = True
        assert cond.notify() == 1
    assert task.result()[0] is True


def test_wait_for_timeout_spans_wakeups(world, impl):
    cond = impl.Condition()
    task = spawn_predicate_waiter(
        world, cond, lambda: False, timeout=0.3, delegate=False
    )
    for _ in range(3):
        with cond:
            cond.notify()
        wait_until(lambda: cond.waiting == 1 or task.done())
    result, (held, _) = task.result()
    assert result is False
    assert held


# -- threading locks and lockless conditions ----------------------------------


@pytest.mark.parametrize("kind", ["lock", "rlock"])
def test_thread_lock_condition(impl, kind):
    lock = threading.Lock() if kind == "lock" else threading.RLock()
    cond = impl.Condition(lock)
    results = []

    def waiter():
        with cond as entered:
            assert entered is cond
            if kind == "rlock":
                lock.acquire()  # depth 2
            result = cond.wait(10)
            if kind == "rlock":
                lock.release()
                held = lock._is_owned()  # depth 2 was restored
            else:
                held = lock.locked()
            results.append((result, held))

    threads = [threading.Thread(target=waiter) for _ in range(2)]
    for count, thread in enumerate(threads, 1):
        thread.start()
        wait_until(lambda count=count: cond.waiting == count)
    with cond:
        assert cond.notify() == 1
    assert cond.notify() == 1  # without the lock: allowed here
    for thread in threads:
        thread.join(10)
    assert results == [(True, True)] * 2


def test_thread_lock_condition_timeout(impl):
    cond = impl.Condition(threading.Lock())
    with cond:
        assert cond.wait(0.01) is False
        assert cond.lock.locked()
        assert cond.wait_for(lambda: 0, 0.01) == 0
        assert cond.wait_for(lambda: 7) == 7


def test_thread_lock_condition_async_waiter(impl, async_lib):
    lock = threading.Lock()
    cond = impl.Condition(lock)
    with support.World(async_lib) as world:

        async def waiter():
            async with cond as entered:  # blocks the loop's thread
                assert entered is cond
                result = await cond.with_(10)
                return result, lock.locked()

        task = world.spawn(waiter)
        wait_until(lambda: cond.waiting == 1)
        with cond:
            assert cond.notify() == 1
        assert task.result() == (True, True)


@pytest.mark.parametrize("kind", ["lock", "rlock", "none"])
def test_delegation_needs_the_lock_in_sync_modes(impl, kind):
    lock = {
        "lock": threading.Lock(),
        "rlock": threading.RLock(),
        "none": None,
    }[kind]
    cond = impl.Condition(lock)
    flag = [False]
    results = []

    def waiter():
        with cond:
            # lockless: nobody can notify it, it leaves on its timeout
            timeout = 10 if lock is not None else 0.3
            results.append(cond.wait_for(lambda: flag[0], timeout))

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: cond.waiting == 1)
    flag[0] = True
    with pytest.raises(RuntimeError, match="for predicate on un-acquired"):
        cond.notify()
    if lock is not None:
        assert cond.waiting == 1  # still queued
        with cond:
            assert cond.notify() == 1
    else:
        with pytest.raises(RuntimeError, match="for predicate"):
            cond.notify_all()
    thread.join(15)
    assert results == [True]


def test_lockless_condition(impl, world):
    cond = impl.Condition(None)
    assert not cond
    with cond as entered:
        assert entered is cond
        assert not cond
    ops = world.ops

    async def body():
        return await ops.wait(cond, 0.01)

    assert world.call(body) is False
    tasks = [spawn_waiter(world, cond) for _ in range(2)]
    assert cond.notify() == 1
    assert cond.notify_all() == 1
    assert [task.result()[0] for task in tasks] == [True, True]


# -- BinarySemaphore conditions -----------------------------------------------


def test_binary_semaphore_exit_by_other_task_does_not_release(impl):
    sem = impl.BinarySemaphore()
    cond = impl.Condition(sem)
    cond.__enter__()
    assert sem.value == 0
    thread = threading.Thread(target=cond.__exit__, args=(None, None, None))
    thread.start()
    thread.join(10)
    assert sem.value == 0  # that thread did not enter
    cond.__exit__(None, None, None)
    assert sem.value == 1
    cond.__exit__(None, None, None)  # not entered: nothing to release
    assert sem.value == 1


def test_binary_semaphore_any_task_may_wait_while_held(impl):
    sem = impl.BinarySemaphore()
    cond = impl.Condition(sem)
    results = []
    with cond:

        def other():
            results.append(cond.wait(0.01))
            results.append(sem.value)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert results == [False, 0]
    assert sem.value == 1


# -- a race -------------------------------------------------------------------


@DIFFERS
@pytest.mark.parametrize("seed", support.seeds(3))
def test_producer_consumer_race(impl, seed):
    """Every item is consumed once; every counted notification is received."""
    rng = random.Random(seed)
    cond = impl.Condition()
    items = deque()
    consumed = []
    stop = [False]
    total = 300
    libs = ["threading", "threading", "asyncio", "trio", "gevent", "eventlet"]
    timeouts = [None, 0, 1e-4, 1e-3, 5e-3]

    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:
            ops = world.ops
            choices = [rng.choice(timeouts) for _ in range(total)]

            async def consumer(ops=ops, choices=choices):
                woken = 0
                index = 0
                async with ops.using(cond):
                    while True:
                        if items:
                            consumed.append(items.popleft())
                            continue
                        if stop[0]:
                            return woken
                        timeout = choices[index % len(choices)]
                        index += 1
                        if timeout is None:
                            result = await ops.wait(cond)
                        else:
                            result = await ops.wait(cond, timeout)
                        woken += result

            tasks.append(world.spawn(consumer))

        notified = [0, 0]

        def producer(slot, values):
            for value in values:
                with cond:
                    items.append(value)
                    notified[slot] += cond.notify()
                if value % 7 == 0:
                    time.sleep(0)

        producers = [
            threading.Thread(target=producer, args=(0, range(0, total, 2))),
            threading.Thread(target=producer, args=(1, range(1, total, 2))),
        ]
        for thread in producers:
            thread.start()
        for thread in producers:
            thread.join(30)
        with cond:
            stop[0] = True
            notified.append(cond.notify_all())
        woken = [task.result(30) for task in tasks]

    assert sorted(consumed) == list(range(total))
    assert sum(woken) == sum(notified)
    assert cond.waiting == 0
    assert not cond.lock.locked()
