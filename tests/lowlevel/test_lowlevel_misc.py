# SPDX-License-Identifier: MIT

"""Sentinels, thread locks, `once`, `shield`, clocks and sleeps."""

from __future__ import annotations

import asyncio
import copy
import pickle
import sys
import threading
import time
import weakref

import pytest
from _lowlevel_harness import (
    GreenOps,
    call_in_thread,
    import_eventlet,
    run_async,
    run_green,
)

import aiologic.lowlevel as lowlevel
import aiologic.meta as meta
from aiologic.lowlevel import (
    THREAD_DUMMY_LOCK,
    ThreadDummyLock,
    ThreadLock,
    ThreadOnceLock,
    ThreadRLock,
    create_thread_lock,
    create_thread_oncelock,
    create_thread_rlock,
    once,
    shield,
)
from aiologic.meta import DEFAULT, MISSING, DefaultType, MissingType

pytestmark = pytest.mark.timeout(30)


# --- meta ----------------------------------------------------------------


def test_meta_all():
    assert set(meta.__all__) == {
        "DEFAULT",
        "MISSING",
        "DefaultType",
        "MissingType",
    }


@pytest.mark.parametrize(
    ("value", "cls", "name"),
    [(DEFAULT, DefaultType, "DEFAULT"), (MISSING, MissingType, "MISSING")],
)
def test_sentinels(value, cls, name):
    assert type(value) is cls
    assert list(cls) == [value]
    assert repr(value) == f"aiologic.meta.{name}"
    assert str(value) == f"aiologic.meta.{name}"
    assert not value
    assert copy.copy(value) is value
    assert copy.deepcopy(value) is value
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(value, protocol)) is value
    assert DEFAULT is not MISSING


# --- thread locks -----------------------------------------------------------


def test_thread_lock_types():
    import _thread

    assert ThreadLock is _thread.LockType
    assert ThreadRLock is _thread.RLock
    assert type(create_thread_lock()) is ThreadLock
    assert type(create_thread_rlock()) is ThreadRLock
    lock = create_thread_lock()
    assert lock.acquire()
    assert not lock.acquire(False)
    lock.release()


def test_thread_dummy_lock():
    assert ThreadDummyLock() is THREAD_DUMMY_LOCK
    assert repr(THREAD_DUMMY_LOCK) == "aiologic.lowlevel.THREAD_DUMMY_LOCK"
    assert pickle.loads(pickle.dumps(THREAD_DUMMY_LOCK)) is THREAD_DUMMY_LOCK
    assert copy.copy(THREAD_DUMMY_LOCK) is THREAD_DUMMY_LOCK
    assert THREAD_DUMMY_LOCK.acquire() is True
    assert THREAD_DUMMY_LOCK.acquire(False) is True
    assert THREAD_DUMMY_LOCK.locked() is False
    assert THREAD_DUMMY_LOCK.release() is None
    with THREAD_DUMMY_LOCK:
        pass
    with pytest.raises(TypeError, match="not an acceptable base type"):
        type("Sub", (ThreadDummyLock,), {})


def test_thread_once_lock_reentrant_then_noop():
    lock = create_thread_oncelock()
    assert type(lock) is ThreadOnceLock
    assert weakref.ref(lock)() is lock
    assert repr(lock).startswith(
        "<unlocked aiologic.lowlevel.ThreadOnceLock object owner=None count=0"
    )
    assert lock.acquire()
    assert lock.acquire()
    assert lock.locked()
    assert f"owner={threading.get_ident()} count=2" in repr(lock)

    # another thread waits for the first full release
    results = []
    thread = call_in_thread(lambda: results.append(lock.acquire(timeout=10)))
    lock.release()
    assert results == []
    lock.release()
    thread.join()
    assert results == [True]

    # used up: a no-op lock now
    assert not lock.locked()
    assert lock.acquire(False)
    assert lock.acquire(False)
    lock.release()
    lock.release()
    lock.release()
    with pytest.raises(TypeError, match="not an acceptable base type"):
        type("Sub", (ThreadOnceLock,), {})


def test_thread_once_lock_timeout_and_foreign_release():
    lock = create_thread_oncelock()
    lock.acquire()
    results = []
    call_in_thread(lambda: results.append(lock.acquire(timeout=0.01))).join()
    assert results == [False]

    errors = []

    def release():
        try:
            lock.release()
        except RuntimeError as exc:
            errors.append(str(exc))

    call_in_thread(release).join()
    assert errors == ["cannot release un-acquired lock"]
    lock.release()


def test_thread_once_lock_with_condition():
    lock = create_thread_oncelock()
    cond = threading.Condition(lock)
    with cond:
        assert not cond.wait(0.001)


def test_once():
    calls = []

    @once
    def compute():
        calls.append(1)
        return 42

    assert compute() == 42
    assert compute() == 42
    assert calls == [1]
    assert compute.__name__ == "compute"


def test_once_concurrent_first_calls():
    gate = threading.Event()
    calls = []

    @once
    def compute():
        gate.wait(10)
        calls.append(1)
        return object()

    results = []
    threads = [
        call_in_thread(lambda: results.append(compute())) for _ in range(5)
    ]
    gate.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(result) for result in results}) == 1


def test_once_exception_not_cached_and_reentrant():
    attempts = []

    @once
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError
        return "ok"

    with pytest.raises(ValueError):
        flaky()
    assert flaky() == "ok"
    assert flaky() == "ok"
    assert len(attempts) == 2

    depth = []

    @once(reentrant=True)
    def recursive():
        depth.append(1)
        if len(depth) < 3:
            return recursive()
        return len(depth)

    assert recursive() == 3
    assert recursive() == 3


# --- shield ------------------------------------------------------------------


def test_shield_asyncio():
    async def scenario():
        log = []

        async def work():
            await asyncio.sleep(0.02)
            log.append("work done")
            return 7

        async def caller():
            try:
                return await shield(work())
            except asyncio.CancelledError:
                log.append("cancelled after work")
                raise

        task = asyncio.ensure_future(caller())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return log

    assert run_async("asyncio", scenario) == [
        "work done",
        "cancelled after work",
    ]


def test_shield_asyncio_wait_for():
    async def scenario():
        start = time.monotonic()
        try:
            await asyncio.wait_for(shield(asyncio.sleep(0.05)), 0.01)
        except asyncio.TimeoutError:
            return time.monotonic() - start >= 0.045
        return "no timeout"

    assert run_async("asyncio", scenario) is True


def test_shield_trio():
    trio = pytest.importorskip("trio")

    async def scenario():
        log = []

        @shield
        async def work():
            await trio.sleep(0.02)
            log.append("work done")
            return 7

        with trio.move_on_after(0.001) as scope:
            log.append(await work())
            await trio.lowlevel.checkpoint()
            log.append("not reached")
        log.append(scope.cancelled_caught)
        return log

    assert run_async("trio", scenario) == ["work done", 7, True]


def test_shield_green_threading():
    assert shield(lambda x: x + 1)(1) == 2


@pytest.mark.parametrize("lib", ["gevent", "eventlet"])
def test_shield_green_hub(lib):
    if lib == "gevent":
        pytest.importorskip("gevent")
    else:
        import_eventlet()
    ops = GreenOps(lib)

    class Boom(Exception):
        pass

    def scenario():
        log = []

        @shield
        def work():
            ops.sleep(0.03)
            log.append("work done")

        try:
            with ops.timeout(0.005, Boom):
                work()
        except Boom:
            log.append("timeout after work")
        return log

    assert run_green(lib, scenario) == ["work done", "timeout after work"]


def test_shield_bad_argument():
    with pytest.raises(TypeError):
        shield(42)


# --- clocks and sleeps ------------------------------------------------------


def test_green_time():
    start = lowlevel.green_clock()
    lowlevel.green_sleep(0.01)
    lowlevel.green_sleep_until(lowlevel.green_clock() + 0.01)
    assert lowlevel.green_clock() - start >= 0.018
    assert lowlevel.green_seconds_per_sleep() > 1e6
    assert lowlevel.green_seconds_per_timeout() > 1e6


@pytest.mark.parametrize("lib", ["asyncio", "trio"])
def test_async_time(lib):
    if lib == "trio":
        pytest.importorskip("trio")

    async def scenario():
        start = lowlevel.async_clock()
        await lowlevel.async_sleep(0.01)
        await lowlevel.async_sleep_until(lowlevel.async_clock() + 0.01)
        return lowlevel.async_clock() - start

    assert run_async(lib, scenario) >= 0.018


def test_async_sleep_forever_is_cancellable():
    async def scenario():
        try:
            await asyncio.wait_for(lowlevel.async_sleep_forever(), 0.01)
        except asyncio.TimeoutError:
            return True
        return False

    assert run_async("asyncio", scenario)


def test_green_sleep_forever_is_interruptible():
    pytest.importorskip("gevent")
    ops = GreenOps("gevent")

    class Boom(Exception):
        pass

    def scenario():
        try:
            with ops.timeout(0.01, Boom):
                lowlevel.green_sleep_forever()
        except Boom:
            return True
        return False

    assert run_green("gevent", scenario)


def test_public_names():
    expected = {
        "CANCELLED_EVENT", "DUMMY_EVENT", "SET_EVENT", "THREAD_DUMMY_LOCK",
        "AsyncEvent", "AsyncLibraryNotFoundError", "AsyncWaiter",
        "CancelledEvent", "DummyEvent", "Event", "GreenEvent",
        "GreenLibraryNotFoundError", "GreenWaiter", "SetEvent",
        "ThreadDummyLock", "ThreadLock", "ThreadOnceLock", "ThreadRLock",
        "Waiter", "async_checkpoint", "async_checkpoint_enabled",
        "async_checkpoint_if_cancelled", "async_clock",
        "async_seconds_per_sleep", "async_seconds_per_timeout",
        "async_sleep", "async_sleep_forever", "async_sleep_until",
        "create_async_event", "create_async_waiter", "create_green_event",
        "create_green_waiter", "create_thread_lock", "create_thread_oncelock",
        "create_thread_rlock", "current_async_library",
        "current_async_library_tlocal", "current_async_task",
        "current_async_task_ident", "current_async_token",
        "current_async_token_ident", "current_green_library",
        "current_green_library_tlocal", "current_green_task",
        "current_green_task_ident", "current_green_token",
        "current_green_token_ident", "current_thread",
        "current_thread_ident", "disable_checkpoints", "enable_checkpoints",
        "green_checkpoint", "green_checkpoint_enabled",
        "green_checkpoint_if_cancelled", "green_clock",
        "green_seconds_per_sleep", "green_seconds_per_timeout",
        "green_sleep", "green_sleep_forever", "green_sleep_until", "once",
        "shield",
    }  # fmt: skip
    assert expected <= set(lowlevel.__all__)
    for name in lowlevel.__all__:
        assert hasattr(lowlevel, name), name


@pytest.mark.skipif(
    sys.version_info < (3, 10),
    reason="before 3.10, typing answers isinstance() on a protocol with"
    " data members by looking the attributes up instead of refusing",
)
def test_protocols_are_not_runtime_checkable():
    ev = lowlevel.create_green_event()
    for protocol in (
        lowlevel.Event,
        lowlevel.GreenEvent,
        lowlevel.AsyncEvent,
        lowlevel.Waiter,
        lowlevel.GreenWaiter,
        lowlevel.AsyncWaiter,
    ):
        with pytest.raises(TypeError):
            isinstance(ev, protocol)
