# SPDX-License-Identifier: MIT

"""Behaviour of ``Event``, ``REvent`` and ``CountdownEvent`` on every
library."""

from __future__ import annotations

import copy
import math
import pickle
import random
import re
import sys
import threading
import weakref

import pytest
import support
from support import wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fast_switching():
    """Make GIL builds switch threads as often as they can (races show)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


EVENT_REPR = re.compile(
    r"<(?P<name>[\w.<>]+)\((?P<args>[^)]*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)

# libraries whose scheduler resumes woken tasks in the order they were
# woken (trio deliberately shuffles each batch of runnable tasks, and
# woken threads run in parallel, so there the wake order is not visible)
ORDERED_LIBS = ("asyncio", "anyio-asyncio", "gevent", "eventlet")


def parse(obj):
    match = EVENT_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


@pytest.fixture(params=["Event", "REvent"])
def event_type(request, impl):
    return getattr(impl, request.param)


def spawn_waiters(world, obj, n, timeout=support.DEFAULT_TIMEOUT, log=None):
    """Spawn ``n`` waiters on ``obj`` one after another (FIFO)."""
    ops = world.ops

    async def waiter(i):
        result = await ops.wait(obj, timeout)
        if log is not None:
            log.append(i)
        return result

    tasks = []
    for i in range(n):
        before = obj.waiting
        tasks.append(world.spawn(waiter, i))
        wait_until(lambda before=before: obj.waiting == before + 1)
    return tasks


# -- object protocol ---------------------------------------------------------


def test_event_repr_bool_and_waiting(event_type):
    event = event_type()
    assert parse(event) == (
        f"aiologic.{event_type.__name__}",
        "",
        "unset, waiting=0",
    )
    assert not event
    assert event.is_set() is False
    assert event.waiting == 0
    assert event.set() is None
    assert parse(event)[2] == "set"
    assert event
    assert event.is_set() is True
    event.set()  # idempotent
    assert event.is_set() is True


def test_revent_is_an_event(impl):
    assert issubclass(impl.REvent, impl.Event)
    assert not hasattr(impl.Event, "clear")


def test_countdown_repr_and_bool(impl):
    event = impl.CountdownEvent()
    assert parse(event) == ("aiologic.CountdownEvent", "", "value=0")
    assert event
    assert event.value == event.initial_value == 0
    event = impl.CountdownEvent(2)
    assert parse(event) == (
        "aiologic.CountdownEvent",
        "2",
        "value=2, waiting=0",
    )
    assert not event
    assert event.value == event.initial_value == 2
    assert impl.CountdownEvent(initial_value=3).initial_value == 3


def test_subclass_repr_and_weakref(impl):
    for base in (impl.Event, impl.REvent, impl.CountdownEvent):

        class Custom(base):
            pass

        obj = Custom()
        assert type(obj) is Custom
        # the subclass's own name (the prefix differs from 0.17.1's, which
        # took the subclass's module)
        assert parse(obj)[0].endswith(f"{Custom.__qualname__}")
        assert weakref.ref(obj)() is obj


def test_pickle_and_copy_give_fresh_events(impl):
    for event in (impl.Event(), impl.REvent()):
        event.set()
        assert event.__getnewargs__() == ()
        assert event.__getstate__() is None
        for clone in (pickle.loads(pickle.dumps(event)), copy.copy(event)):
            assert type(clone) is type(event)
            assert not clone.is_set()
            clone.set()
            assert clone.is_set()
    for event in (impl.CountdownEvent(), impl.CountdownEvent(3)):
        event.up(2)
        for clone in (pickle.loads(pickle.dumps(event)), copy.copy(event)):
            assert type(clone) is impl.CountdownEvent
            assert clone.initial_value == event.initial_value
            assert clone.value == event.initial_value
    assert impl.CountdownEvent(3).__getnewargs__() == (3,)
    assert impl.CountdownEvent(0).__getnewargs__() == ()


@pytest.mark.parametrize(
    "value, exc", [(-1, ValueError), (1.5, TypeError), ("1", TypeError)]
)
def test_countdown_rejects_bad_initial_value(impl, value, exc):
    with pytest.raises(exc) as info:
        impl.CountdownEvent(value)
    if exc is ValueError:
        assert str(info.value) == "initial_value must be >= 0"


# -- non-blocking methods ----------------------------------------------------


def test_revent_clear(impl):
    event = impl.REvent()
    event.clear()  # clearing an unset event is a no-op
    assert not event.is_set()
    event.set()
    event.clear()
    assert not event.is_set()
    assert parse(event)[2] == "unset, waiting=0"
    event.set()
    assert event.is_set()


def test_countdown_up_down_clear(impl):
    event = impl.CountdownEvent(1)
    event.up()
    assert event.value == 2
    event.up(3)
    assert event.value == 5
    event.up(0)
    assert event.value == 5
    event.down()
    assert event.value == 4
    assert parse(event)[2] == "value=4, waiting=0"
    event.clear()
    assert event.value == 0
    assert event
    with pytest.raises(RuntimeError) as info:
        event.down()
    assert str(info.value) == "down() called too many times"
    assert event.value == 0
    event.up()
    assert event.value == 1
    event.down()
    assert event.value == 0
    assert event.initial_value == 1


@pytest.mark.parametrize("count", [1.5, "2", None])
def test_countdown_up_rejects_non_int(impl, count):
    event = impl.CountdownEvent(1)
    with pytest.raises(TypeError):
        event.up(count)
    assert event.value == 1
    event.up()
    assert event.value == 2


@pytest.mark.differs_from_0171
def test_countdown_up_negative_raises(impl):
    event = impl.CountdownEvent(2)
    with pytest.raises(ValueError):
        event.up(-1)
    assert event.value == 2
    event.down()
    assert event.value == 1


# -- waiting -----------------------------------------------------------------


def test_wait_on_set_event_returns_true(world, event_type):
    event = event_type()
    event.set()
    ops = world.ops

    async def body():
        return [
            await ops.wait(event),
            await ops.wait(event, None),
            await ops.wait(event, 0),
            await ops.wait(event, 5),
        ]

    assert world.call(body) == [True, True, True, True]
    assert event.waiting == 0


def test_wait_times_out(world, event_type):
    event = event_type()
    ops = world.ops

    async def body():
        return [
            await ops.wait(event, 0),
            await ops.wait(event, 0.02),
            event.waiting,
        ]

    assert world.call(body) == [False, False, 0]
    assert parse(event)[2] == "unset, waiting=0"


@pytest.mark.parametrize("timeout", [math.inf, 10**400, 1e300])
def test_no_timeout_values(world, event_type, timeout):
    event = event_type()
    [task] = spawn_waiters(world, event, 1, timeout=timeout)
    assert not task.done()
    event.set()
    assert task.result() is True


def test_set_during_wait_wakes_all(world, event_type):
    event = event_type()
    tasks = spawn_waiters(world, event, 3)
    assert parse(event)[2] == "unset, waiting=3"
    event.set()
    assert [task.result() for task in tasks] == [True, True, True]
    assert event.waiting == 0


@pytest.mark.parametrize(
    "setter_lib", ["threading", "asyncio", "trio", "gevent"]
)
def test_set_from_another_world(world, event_type, setter_lib):
    event = event_type()
    tasks = spawn_waiters(world, event, 2)
    with support.World(setter_lib) as other:

        async def setter():
            event.set()
            return event.waiting

        assert other.call(setter) == 0
    assert [task.result() for task in tasks] == [True, True]


def test_one_event_shared_by_every_world(impl):
    event = impl.Event()
    with support.open_worlds(*support.ALL_LIBS) as worlds:
        tasks = []
        for world in worlds:
            tasks += spawn_waiters(world, event, 2)
        assert event.waiting == len(tasks)
        event.set()
        assert all(task.result() is True for task in tasks)
    assert event.waiting == 0


@pytest.mark.parametrize("lib", ORDERED_LIBS)
def test_fifo_wake_order(world, event_type):
    # set by a task of the same world, so that every wake-up is local
    event = event_type()
    log = []
    tasks = spawn_waiters(world, event, 5, log=log)

    async def setter():
        event.set()

    world.call(setter)
    for task in tasks:
        task.result()
    assert log == [0, 1, 2, 3, 4]


def test_cancelled_waiter_leaves_the_queue(cancellable_world, event_type):
    world = cancellable_world
    event = event_type()
    first, second = spawn_waiters(world, event, 2)
    first.cancel()
    assert isinstance(first.exception(), world.cancelled_exc)
    wait_until(lambda: event.waiting == 1)
    event.set()
    assert second.result() is True
    assert event.waiting == 0


def test_async_await_forms(async_lib, event_type):
    event = event_type()
    with support.World(async_lib) as world:

        async def body():
            results = [
                await event.with_(0),
                await event.with_(timeout=0.01),
                await _AwaitWithTimeout(event, 0.01),
            ]
            event.set()
            results += [
                await event,
                await event.with_(),
                await _AwaitWithTimeout(event, 0),
            ]
            return results

        assert world.call(body) == [False, False, False, True, True, True]


class _AwaitWithTimeout:
    # awaits obj.__await__(timeout), the generator form of with_(timeout)
    def __init__(self, obj, timeout):
        self._obj = obj
        self._timeout = timeout

    def __await__(self):
        return self._obj.__await__(self._timeout)


def test_checkpoint_when_already_set(async_lib, event_type):
    # trio checkpoints by default, asyncio does not (API.md 2.1)
    event = event_type()
    event.set()
    with support.World(async_lib) as world:

        async def body():
            counter = support.YieldCounter(event)
            assert await counter is True
            return counter.yields

        expected = 1 if world.backend == "trio" else 0
        assert world.call(body) == expected


def test_set_event_awaitable_driven_by_hand(impl):
    # code that drives an awaitable itself (send/throw/close), as event
    # loop adapters do, sees a generator that finishes at once
    import asyncio

    event = impl.Event()
    event.set()

    async def body():
        finished = event.__await__()
        with pytest.raises(StopIteration) as info:
            finished.send(None)
        assert info.value.value is True
        with pytest.raises(KeyError, match="given"):
            event.__await__().throw(KeyError("given"))
        with pytest.raises(KeyError):
            event.__await__().throw(KeyError)
        assert event.__await__().close() is None
        return True

    assert asyncio.run(body()) is True


def test_trio_cancelled_scope_delivers_cancellation_on_set_event(impl):
    event = impl.Event()
    event.set()
    with support.World("trio") as world:

        async def body():
            import trio

            with trio.CancelScope() as scope:
                scope.cancel()
                await event
            return scope.cancelled_caught

        assert world.call(body) is True


@pytest.mark.parametrize(
    "timeout, message",
    [
        (-1, "timeout must be non-negative"),
        (math.nan, "timeout must be non-NaN"),
    ],
)
def test_bad_timeout_on_unset_event(world, event_type, timeout, message):
    event = event_type()
    ops = world.ops

    async def body():
        with pytest.raises(ValueError) as info:
            await ops.wait(event, timeout)
        return str(info.value), event.waiting

    assert world.call(body) == (message, 0)

    async def still_usable():
        return await ops.wait(event, 1)

    event.set()
    assert world.call(still_usable) is True


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc",
    [(-1, ValueError), (math.nan, ValueError), ("x", TypeError)],
)
def test_bad_timeout_rejected_even_when_set(world, impl, timeout, exc):
    events = [impl.Event(), impl.REvent(), impl.CountdownEvent()]
    for event in events[:2]:
        event.set()
    ops = world.ops

    async def body():
        for event in events:
            with pytest.raises(exc):
                await ops.wait(event, timeout)
        return True

    assert world.call(body) is True


# -- REvent ------------------------------------------------------------------


def test_revent_set_then_clear_still_wakes_waiters(world, impl):
    event = impl.REvent()
    tasks = spawn_waiters(world, event, 3)
    event.set()
    event.clear()
    assert [task.result() for task in tasks] == [True, True, True]
    assert not event.is_set()
    assert event.waiting == 0


def test_revent_waits_again_after_clear(world, impl):
    event = impl.REvent()
    event.set()
    event.clear()
    ops = world.ops

    async def body():
        return await ops.wait(event, 0.02)

    assert world.call(body) is False
    [task] = spawn_waiters(world, event, 1)
    event.set()
    assert task.result() is True


# -- CountdownEvent ----------------------------------------------------------


def test_countdown_waiters_block_until_zero(world, impl):
    event = impl.CountdownEvent(2)
    tasks = spawn_waiters(world, event, 2)
    assert parse(event)[2] == "value=2, waiting=2"
    event.down()
    assert event.value == 1
    assert event.waiting == 2
    assert not any(task.done() for task in tasks)
    event.down()
    assert [task.result() for task in tasks] == [True, True]
    assert event.waiting == 0


def test_countdown_up_from_zero_blocks_again(world, impl):
    event = impl.CountdownEvent()
    ops = world.ops

    async def body():
        return await ops.wait(event, 0)

    assert world.call(body) is True
    event.up(2)
    assert world.call(body) is False
    [task] = spawn_waiters(world, event, 1)
    event.down()
    assert not task.done()
    event.down()
    assert task.result() is True


def test_countdown_clear_wakes_everyone(world, impl):
    event = impl.CountdownEvent(5)
    tasks = spawn_waiters(world, event, 3)
    event.clear()
    assert [task.result() for task in tasks] == [True, True, True]
    assert event.value == 0


def test_countdown_down_then_up_still_wakes_waiters(world, impl):
    event = impl.CountdownEvent(1)
    tasks = spawn_waiters(world, event, 2)
    event.down()
    event.up()
    assert [task.result() for task in tasks] == [True, True]
    assert event.value == 1
    assert event.waiting == 0


def test_countdown_timeout(world, impl):
    event = impl.CountdownEvent(1)
    ops = world.ops

    async def body():
        return await ops.wait(event, 0.02), event.waiting

    assert world.call(body) == (False, 0)
    assert event.value == 1


def test_countdown_cancelled_waiter_leaves_the_queue(cancellable_world, impl):
    world = cancellable_world
    event = impl.CountdownEvent(1)
    first, second = spawn_waiters(world, event, 2)
    first.cancel()
    assert isinstance(first.exception(), world.cancelled_exc)
    wait_until(lambda: event.waiting == 1)
    event.down()
    assert second.result() is True


# -- races (many threads) ----------------------------------------------------


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_event_set_from_many_threads(fast_switching, impl, seed):
    rng = random.Random(seed)
    event = impl.Event()
    n = 16
    results = []
    start = threading.Barrier(n + 4)

    def waiter():
        start.wait()
        results.append(event.wait(support.DEFAULT_TIMEOUT))

    def setter():
        start.wait()
        event.set()

    threads = [threading.Thread(target=waiter) for _ in range(n)]
    threads += [threading.Thread(target=setter) for _ in range(4)]
    rng.shuffle(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(support.DEFAULT_TIMEOUT)
    assert results == [True] * n
    assert event.waiting == 0


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_revent_every_queued_waiter_is_woken(fast_switching, impl, seed):
    # A setter thread runs set(); clear() in a loop while waiter threads
    # wait repeatedly: no wait may hang (each queued waiter is woken by the
    # next set(), whatever clear() does right after).
    rng = random.Random(seed)
    event = impl.REvent()
    rounds = 200
    n = 6
    done = threading.Event()
    woken = []

    def waiter():
        count = 0
        for _ in range(rounds):
            assert event.wait(support.DEFAULT_TIMEOUT) is True
            count += 1
        woken.append(count)

    def setter():
        while not done.is_set():
            event.set()
            if rng.random() < 0.9:
                event.clear()

    threads = [threading.Thread(target=waiter) for _ in range(n)]
    for thread in threads:
        thread.start()
    setter_thread = threading.Thread(target=setter)
    setter_thread.start()
    try:
        for thread in threads:
            thread.join(30)
            assert not thread.is_alive()
    finally:
        done.set()
        setter_thread.join(10)
    assert woken == [rounds] * n
    assert event.waiting == 0


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_countdown_concurrent_up_down(fast_switching, impl, seed):
    rng = random.Random(seed)
    event = impl.CountdownEvent(1)
    n = 8
    steps = 2000
    start = threading.Barrier(n)
    plans = [[rng.random() < 0.5 for _ in range(steps)] for _ in range(n)]

    def worker(plan):
        start.wait()
        for big in plan:
            event.up(3 if big else 1)
            for _ in range(3 if big else 1):
                event.down()

    threads = [threading.Thread(target=worker, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert event.value == 1
    event.down()
    assert event.value == 0
    assert event.wait(0) is True


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_countdown_downs_from_many_threads(fast_switching, impl, seed):
    rng = random.Random(seed)
    n = 12
    extra = rng.randrange(1, 5)
    event = impl.CountdownEvent(n)
    start = threading.Barrier(n + extra + 3)
    errors = []
    woken = []

    def waiter():
        start.wait()
        woken.append(event.wait(support.DEFAULT_TIMEOUT))

    def downer():
        start.wait()
        try:
            event.down()
        except RuntimeError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=downer) for _ in range(n + extra)]
    threads += [threading.Thread(target=waiter) for _ in range(3)]
    rng.shuffle(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == ["down() called too many times"] * extra
    assert woken == [True] * 3
    assert event.value == 0
    assert event.waiting == 0


def test_race_mixed_worlds_countdown(fast_switching, impl):
    # waiters in every world, downs from several threads at once
    event = impl.CountdownEvent(8)
    libs = ("asyncio", "trio", "gevent", "eventlet")
    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:
            tasks += spawn_waiters(world, event, 3)
        threads = [threading.Thread(target=event.down) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert all(task.result() is True for task in tasks)
    assert event.waiting == 0
