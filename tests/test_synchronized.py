# SPDX-License-Identifier: MIT

"""Behaviour of ``synchronized`` in its three forms, on every library."""

from __future__ import annotations

import inspect
import threading

import pytest
import support
from support import wait_until

pytestmark = pytest.mark.timeout(60)


def test_signature(impl):
    parameters = list(inspect.signature(impl.synchronized).parameters.values())
    assert [p.name for p in parameters] == ["wrapped"]
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_ONLY


# -- (a) objects with acquire() and release() ---------------------------------


@pytest.mark.parametrize("factory", [threading.Lock, threading.RLock])
def test_thread_lock_context_manager(impl, factory):
    lock = factory()
    sync = impl.synchronized(lock)
    with sync as entered:
        assert entered is sync
        if factory is threading.RLock:
            assert lock._is_owned()
        else:
            assert lock.locked()
    with pytest.raises(ZeroDivisionError), sync:
        raise ZeroDivisionError
    assert lock.acquire(blocking=False)
    lock.release()


def test_thread_lock_decorator_excludes_threads(impl):
    lock = threading.Lock()
    sync = impl.synchronized(lock)
    inside = []
    entered = threading.Event()
    leave = threading.Event()

    @sync
    def critical(name, *, hold=False):
        """Runs under the lock."""
        inside.append(name)
        assert lock.locked()
        if hold:
            entered.set()
            assert leave.wait(10)
        inside.append(name)
        return name

    assert critical.__name__ == "critical"
    assert critical.__doc__ == "Runs under the lock."
    assert str(inspect.signature(critical)) == "(name, *, hold=False)"
    first = threading.Thread(
        target=critical, args=("first",), kwargs={"hold": True}
    )
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=critical, args=("second",))
    second.start()
    assert inside == ["first"]  # the second one cannot get in
    leave.set()
    first.join(10)
    second.join(10)
    assert inside == ["first", "first", "second", "second"]
    assert not lock.locked()


def test_thread_lock_async_use(impl, async_lib):
    lock = threading.Lock()
    sync = impl.synchronized(lock)

    @sync
    async def critical():
        return lock.locked()

    assert inspect.iscoroutinefunction(critical)

    async def body():
        async with sync as entered:
            assert entered is sync
            assert lock.locked()
        assert not lock.locked()
        return await critical()

    with support.World(async_lib) as world:
        assert world.call(body) is True
    assert not lock.locked()


def test_awaitable_acquire(impl):
    import asyncio

    with support.World("asyncio") as world:

        async def body():
            lock = asyncio.Lock()
            sync = impl.synchronized(lock)
            async with sync as entered:
                assert entered is sync
                assert lock.locked()
            assert not lock.locked()

            @sync
            async def critical(value):
                assert lock.locked()
                return value

            assert inspect.iscoroutinefunction(critical)
            assert await critical(5) == 5
            assert not lock.locked()

            with pytest.raises(TypeError, match="coroutine function"):

                @sync
                def plain():
                    pass

            # no green context manager (AttributeError before Python 3.11)
            raised = pytest.raises((TypeError, AttributeError))
            with raised, sync:  # type: ignore[attr-defined]
                pass
            return True

        assert world.call(body) is True


def test_awaitable_release_is_awaited(impl):
    log = []

    class AsyncLock:
        async def acquire(self):
            log.append("acquire")

        async def release(self):
            log.append("release")

    sync = impl.synchronized(AsyncLock())
    with support.World("trio") as world:

        async def body():
            async with sync:
                log.append("body")

        world.call(body)
    assert log == ["acquire", "body", "release"]


# -- (b) aiologic primitives --------------------------------------------------


PRIMITIVES = [
    "Lock",
    "RLock",
    "Semaphore",
    "BinarySemaphore",
    "CapacityLimiter",
]


def held(prim):
    if hasattr(prim, "locked"):
        return prim.locked()
    if hasattr(prim, "available_tokens"):
        return prim.available_tokens == 0
    return prim.value == 0


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_context_manager(impl, world, name):
    prim = getattr(impl, name)()
    sync = impl.synchronized(prim)
    ops = world.ops

    async def body():
        async with ops.using(sync) as entered:
            assert entered is sync
            assert held(prim)
            if hasattr(prim, "green_owned"):
                assert await ops.call(prim, "owned")
        assert not held(prim)
        return True

    assert world.call(body) is True


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_decorator(impl, world, name):
    prim = getattr(impl, name)()
    sync = impl.synchronized(prim)

    if world.is_async:

        @sync
        async def critical(value):
            assert held(prim)
            return value

        assert inspect.iscoroutinefunction(critical)
    else:

        @sync
        def critical(value):
            assert held(prim)
            return value

    async def body():
        result = critical(7)
        if world.is_async:
            result = await result
        return result

    assert world.call(body) == 7
    assert not held(prim)


def test_primitive_excludes_across_worlds(impl):
    lock = impl.Lock()
    sync = impl.synchronized(lock)
    log = []
    with support.open_worlds("trio", "gevent") as (trio_world, gevent_world):
        gate = trio_world.gate()

        @sync
        async def holder():
            log.append("trio in")
            await gate.wait()
            log.append("trio out")

        @sync
        def other():
            log.append("gevent in")

        first = trio_world.spawn(holder)
        wait_until(lambda: log == ["trio in"])
        second = gevent_world.spawn(other)
        wait_until(lambda: lock.waiting == 1)
        gate.open()
        first.result()
        second.result()
    assert log == ["trio in", "trio out", "gevent in"]


# -- (c) functions ------------------------------------------------------------


def test_function_lock_is_created_lazily(impl):
    @impl.synchronized
    def function():
        """Doc."""
        return function._synchronized_lock

    assert not hasattr(function.__wrapped__, "_synchronized_lock")
    lock = function()
    assert type(lock) is impl.RLock
    assert function() is lock
    assert function.__wrapped__._synchronized_lock is lock
    assert function.__name__ == "function"
    assert function.__doc__ == "Doc."
    assert not lock.locked()


def test_function_is_reentrant(impl):
    @impl.synchronized
    def countdown(n):
        assert countdown._synchronized_lock.green_count() == 3 - n + 1
        return 0 if n == 0 else 1 + countdown(n - 1)

    assert countdown(3) == 3


def test_method_lock_lives_on_the_instance(impl):
    class Account:
        @impl.synchronized
        def lock_of(self):
            assert self._synchronized_lock.green_owned()
            return self._synchronized_lock

        @impl.synchronized
        @classmethod
        def class_lock(cls):
            return cls._synchronized_lock

        @impl.synchronized
        @staticmethod
        def static():
            return 42

    first, second = Account(), Account()
    assert vars(first) == {}
    lock = first.lock_of()
    assert vars(first) == {"_synchronized_lock": lock}
    assert type(lock) is impl.RLock
    assert first.lock_of() is lock
    assert second.lock_of() is not lock
    class_lock = Account.class_lock()
    assert type(class_lock) is impl.RLock
    assert vars(Account)["_synchronized_lock"] is class_lock
    assert first.class_lock() is class_lock
    assert first.lock_of() is lock  # not the class's
    assert Account.static() == 42
    assert first.static() == 42
    assert str(inspect.signature(first.lock_of)) == "()"


def test_method_excludes_threads_and_creates_one_lock(impl):
    class Counter:
        def __init__(self):
            self.value = 0
            self.locks = set()

        @impl.synchronized
        def add(self):
            self.locks.add(id(self._synchronized_lock))
            value = self.value
            for _ in range(100):
                pass
            self.value = value + 1

    counter = Counter()
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(200):
            counter.add()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert counter.value == 8 * 200
    assert len(counter.locks) == 1


def test_coroutine_function(impl, async_lib):
    @impl.synchronized
    async def critical(value):
        assert critical._synchronized_lock.async_owned()
        return value

    assert inspect.iscoroutinefunction(critical)

    class Service:
        @impl.synchronized
        async def method(self):
            return self._synchronized_lock.async_owned()

    service = Service()
    assert inspect.iscoroutinefunction(service.method)
    with support.World(async_lib) as world:

        async def body():
            return await critical(3), await service.method()

        assert world.call(body) == (3, True)
    assert not critical._synchronized_lock.locked()


def test_distinct_functions_have_distinct_locks(impl):
    log = []
    with support.open_worlds("asyncio", "threading") as (loop, threads):
        gate = loop.gate()

        @impl.synchronized
        async def holder():
            log.append("asyncio in")
            await gate.wait()
            log.append("asyncio out")

        @impl.synchronized
        def shared():
            log.append("thread")

        first = loop.spawn(holder)
        wait_until(lambda: log == ["asyncio in"])
        # a different function: a different lock
        threads.call(shared)
        assert log == ["asyncio in", "thread"]
        gate.open()
        first.result()


def test_slotted_instance_without_room_for_the_lock(impl):
    class Slotted:
        __slots__ = ()

        @impl.synchronized
        def method(self):
            return 1

    with pytest.raises(AttributeError):
        Slotted().method()
