# SPDX-License-Identifier: MIT

"""Behaviour of ``Latch``, ``Barrier`` and ``RBarrier`` on every library."""

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


BARRIER_REPR = re.compile(
    r"<(?P<name>[\w.<>]+)\((?P<args>[^)]*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)


def parse(obj):
    match = BARRIER_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


@pytest.fixture(params=["Barrier", "RBarrier"])
def barrier_type(request, impl):
    return getattr(impl, request.param)


@pytest.fixture(params=["Latch", "Barrier", "RBarrier"])
def any_type(request, impl):
    return getattr(impl, request.param)


def spawn_waiters(world, obj, n, timeout=None):
    """Spawn ``n`` waiters on ``obj`` one after another (arrival order).

    A waiter returns what the wait returned, or the exception it raised
    (``BrokenBarrierError`` is returned, not raised).
    """
    ops = world.ops

    async def waiter():
        try:
            if timeout is None:
                return await ops.wait(obj)
            return await ops.wait(obj, timeout)
        except RuntimeError as exc:  # BrokenBarrierError
            return exc

    tasks = []
    for _ in range(n):
        before = obj.waiting
        tasks.append(world.spawn(waiter))
        wait_until(lambda before=before: obj.waiting == before + 1)
    return tasks


def assert_broken(impl, results):
    for result in results:
        assert type(result) is impl.BrokenBarrierError, result
        assert str(result) == ""


# -- object protocol ---------------------------------------------------------


def test_broken_barrier_error(impl):
    assert issubclass(impl.BrokenBarrierError, RuntimeError)
    exc = impl.BrokenBarrierError()
    assert weakref.ref(exc)() is exc


@pytest.mark.parametrize(
    "name, args, kwargs, expected",
    [
        ("Latch", (3,), {}, ("aiologic.Latch", "3", "filling, waiting=0")),
        ("Barrier", (), {}, ("aiologic.Barrier", "", "filling, waiting=0")),
        ("Barrier", (0,), {}, ("aiologic.Barrier", "", "filling, waiting=0")),
        ("Barrier", (3,), {}, ("aiologic.Barrier", "3", "filling, waiting=0")),
        (
            "Barrier",
            (),
            {"parties": 2},
            ("aiologic.Barrier", "2", "filling, waiting=0"),
        ),
        ("RBarrier", (), {}, ("aiologic.RBarrier", "0", "filling, waiting=0")),
        (
            "RBarrier",
            (2,),
            {},
            ("aiologic.RBarrier", "2", "filling, waiting=0"),
        ),
    ],
)
def test_repr(impl, name, args, kwargs, expected):
    assert parse(getattr(impl, name)(*args, **kwargs)) == expected


def test_initial_state(impl):
    latch = impl.Latch(3)
    assert (latch.parties, latch.broken, latch.waiting) == (3, False, 0)
    assert not latch
    for barrier in (impl.Barrier(3), impl.RBarrier(3)):
        assert (barrier.parties, barrier.broken, barrier.waiting) == (
            3,
            False,
            0,
        )
        assert barrier  # no __bool__: always truthy
    assert impl.Latch().parties == impl.Barrier().parties == 0
    assert not hasattr(impl.Barrier, "reset")
    assert issubclass(impl.RBarrier, impl.Barrier)


@pytest.mark.differs_from_0171
def test_zero_party_latch_is_open(impl):
    latch = impl.Latch()
    assert parse(latch) == ("aiologic.Latch", "", "draining")
    assert latch
    latch.wait()
    latch.wait(0)


def test_subclass_repr_and_weakref(any_type):
    class Custom(any_type):
        pass

    obj = Custom(2)
    assert type(obj) is Custom
    assert parse(obj)[0].endswith(Custom.__qualname__)
    assert weakref.ref(obj)() is obj


def test_pickle_and_copy_give_fresh_objects(any_type):
    for parties in (0, 3):
        obj = any_type(parties)
        obj.abort()
        assert obj.broken
        assert obj.__getnewargs__() == ((parties,) if parties else ())
        assert obj.__getstate__() is None
        for clone in (pickle.loads(pickle.dumps(obj)), copy.copy(obj)):
            assert type(clone) is any_type
            assert clone.parties == parties
            assert not clone.broken
            assert clone.waiting == 0


@pytest.mark.parametrize("parties", [-1, -10])
def test_negative_parties(any_type, parties):
    with pytest.raises(ValueError) as info:
        any_type(parties)
    assert str(info.value) == "parties must be >= 0"


@pytest.mark.parametrize("parties", ["2", None])
def test_non_int_parties(any_type, parties):
    with pytest.raises(TypeError):
        any_type(parties)


@pytest.mark.differs_from_0171
def test_float_parties_rejected(any_type):
    # 0.17.1 accepted Latch(1.0) and showed it as such
    with pytest.raises(TypeError):
        any_type(1.0)


# -- Latch -------------------------------------------------------------------


def test_latch_releases_everybody_once_filled(world, impl):
    latch = impl.Latch(3)
    tasks = spawn_waiters(world, latch, 2)
    assert parse(latch)[2] == "filling, waiting=2"
    assert latch.wait() is None  # the last arrival, from this thread
    assert [task.result() for task in tasks] == [None, None]
    assert parse(latch)[2] == "draining"
    assert latch
    assert latch.waiting == 0
    ops = world.ops

    async def later():
        return await ops.wait(latch), await ops.wait(latch, 0)

    assert world.call(later) == (None, None)


def test_latch_across_worlds(impl):
    latch = impl.Latch(5)
    libs = ("asyncio", "trio", "gevent", "anyio-trio")
    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:
            tasks += spawn_waiters(world, latch, 1)
        latch.wait(support.DEFAULT_TIMEOUT)
        assert [task.result() for task in tasks] == [None] * 4


def test_latch_abort(world, impl):
    latch = impl.Latch(3)
    tasks = spawn_waiters(world, latch, 2)
    latch.abort()
    assert_broken(impl, [task.result() for task in tasks])
    assert latch.broken
    assert parse(latch)[2] == "broken"
    assert latch
    with pytest.raises(impl.BrokenBarrierError):
        latch.wait()
    assert latch.waiting == 0


def test_latch_abort_after_drained(world, impl):
    latch = impl.Latch(1)
    latch.wait()
    assert parse(latch)[2] == "draining"
    latch.abort()
    assert latch.broken
    assert parse(latch)[2] == "broken"
    [result] = [task.result() for task in spawn_waiters_nowait(world, latch)]
    assert_broken(impl, [result])


def spawn_waiters_nowait(world, obj):
    ops = world.ops

    async def waiter():
        try:
            return await ops.wait(obj)
        except RuntimeError as exc:
            return exc

    return [world.spawn(waiter)]


def test_latch_timeout_breaks_it(world, impl):
    latch = impl.Latch(3)
    [patient] = spawn_waiters(world, latch, 1)
    [hasty] = spawn_waiters(world, latch, 1, timeout=0.05)
    assert_broken(impl, [hasty.result(), patient.result()])
    assert latch.broken
    assert latch.waiting == 0


def test_latch_cancellation_breaks_it(cancellable_world, impl):
    world = cancellable_world
    latch = impl.Latch(3)
    patient, cancelled = spawn_waiters(world, latch, 2)
    cancelled.cancel()
    assert isinstance(cancelled.exception(), world.cancelled_exc)
    assert_broken(impl, [patient.result()])
    assert latch.broken
    assert latch.waiting == 0


# -- Barrier -----------------------------------------------------------------


def test_barrier_indexes_in_arrival_order(world, barrier_type):
    barrier = barrier_type(3)
    for _ in range(3):  # cyclic
        tasks = spawn_waiters(world, barrier, 2)
        assert parse(barrier)[2] == "filling, waiting=2"
        assert barrier.wait() == 2
        assert [task.result() for task in tasks] == [0, 1]
        assert barrier.waiting == 0
        assert parse(barrier)[2] == "filling, waiting=0"
    assert not barrier.broken


def test_barrier_of_one_never_blocks(world, barrier_type):
    barrier = barrier_type(1)
    ops = world.ops

    async def body():
        return [await ops.wait(barrier) for _ in range(3)] + [
            await ops.wait(barrier, 0)
        ]

    assert world.call(body) == [0, 0, 0, 0]


@pytest.mark.differs_from_0171
def test_zero_party_barrier_does_not_block(world, barrier_type):
    barrier = barrier_type()
    ops = world.ops

    async def body():
        return [await ops.wait(barrier), await ops.wait(barrier, 0)]

    assert world.call(body) == [0, 0]
    assert not barrier.broken


def test_barrier_across_worlds(barrier_type):
    barrier = barrier_type(4)
    libs = ("asyncio", "trio", "gevent")
    with support.open_worlds(*libs) as worlds:
        for _ in range(2):
            tasks = []
            for world in worlds:
                tasks += spawn_waiters(world, barrier, 1)
            assert barrier.wait(support.DEFAULT_TIMEOUT) == 3
            assert [task.result() for task in tasks] == [0, 1, 2]


def test_barrier_timeout_breaks_it_forever(world, impl):
    barrier = impl.Barrier(3)
    [patient] = spawn_waiters(world, barrier, 1)
    [hasty] = spawn_waiters(world, barrier, 1, timeout=0.05)
    assert_broken(impl, [hasty.result(), patient.result()])
    assert barrier.broken
    assert parse(barrier)[2] == "broken"
    assert barrier.waiting == 0
    for timeout in (None, 0, 1):
        with pytest.raises(impl.BrokenBarrierError):
            barrier.wait(timeout)
    assert barrier.broken


def test_barrier_cancellation_breaks_it(cancellable_world, barrier_type, impl):
    world = cancellable_world
    barrier = barrier_type(3)
    patient, cancelled = spawn_waiters(world, barrier, 2)
    cancelled.cancel()
    assert isinstance(cancelled.exception(), world.cancelled_exc)
    assert_broken(impl, [patient.result()])
    assert barrier.broken
    assert barrier.waiting == 0


def test_barrier_abort(world, barrier_type, impl):
    barrier = barrier_type(3)
    tasks = spawn_waiters(world, barrier, 2)
    barrier.abort()
    assert_broken(impl, [task.result() for task in tasks])
    assert barrier.broken
    with pytest.raises(impl.BrokenBarrierError):
        barrier.wait()


def test_barrier_context_manager(world, barrier_type):
    barrier = barrier_type(1)
    ops = world.ops

    async def body():
        async with ops.using(barrier) as index:
            inside = index
        with pytest.raises(KeyError):
            async with ops.using(barrier):
                raise KeyError
        return inside, barrier.broken

    assert world.call(body) == (0, True)


def test_barrier_context_manager_returns_index(world, barrier_type):
    barrier = barrier_type(2)
    ops = world.ops

    async def body():
        async with ops.using(barrier) as index:
            return index

    task = world.spawn(body)
    wait_until(lambda: barrier.waiting == 1)
    with barrier as index:
        assert index == 1
    assert task.result() == 0
    assert not barrier.broken


def test_latch_has_no_context_manager(impl):
    assert not hasattr(impl.Latch, "__enter__")
    assert not hasattr(impl.Latch, "__aenter__")


# -- RBarrier ----------------------------------------------------------------


def test_rbarrier_reset_wakes_waiters_then_works_again(world, impl):
    barrier = impl.RBarrier(3)
    tasks = spawn_waiters(world, barrier, 2)
    barrier.reset()
    assert_broken(impl, [task.result() for task in tasks])
    assert not barrier.broken
    assert parse(barrier)[2] == "filling, waiting=0"
    tasks = spawn_waiters(world, barrier, 2)
    assert barrier.wait() == 2
    assert [task.result() for task in tasks] == [0, 1]


def test_rbarrier_abort_until_reset(world, impl):
    barrier = impl.RBarrier(2)
    barrier.abort()
    assert barrier.broken
    assert parse(barrier) == ("aiologic.RBarrier", "2", "broken")
    [result] = [task.result() for task in spawn_waiters_nowait(world, barrier)]
    assert_broken(impl, [result])
    barrier.reset()
    assert not barrier.broken
    [task] = spawn_waiters(world, barrier, 1)
    assert barrier.wait() == 1
    assert task.result() == 0


def test_rbarrier_timeout_then_reset(world, impl):
    barrier = impl.RBarrier(2)
    [hasty] = spawn_waiters(world, barrier, 1, timeout=0.02)
    assert_broken(impl, [hasty.result()])
    assert barrier.broken
    barrier.reset()
    [task] = spawn_waiters(world, barrier, 1)
    assert barrier.wait() == 1
    assert task.result() == 0


# -- timeouts and checkpoints ------------------------------------------------


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc",
    [(-1, ValueError), (math.nan, ValueError), ("x", TypeError)],
)
def test_bad_timeout_rejected_before_arriving(world, impl, timeout, exc):
    objs = [impl.Latch(2), impl.Barrier(2), impl.RBarrier(2), impl.Barrier(1)]
    ops = world.ops

    async def body():
        for obj in objs:
            with pytest.raises(exc):
                await ops.wait(obj, timeout)
        return [(obj.broken, obj.waiting) for obj in objs]

    assert world.call(body) == [(False, 0)] * 4
    # nobody arrived: a full group is still needed
    [task] = spawn_waiters(world, objs[1], 1)
    assert objs[1].wait() == 1
    assert task.result() == 0


def test_async_await_forms(async_lib, impl):
    barrier = impl.Barrier(1)
    latch = impl.Latch(1)
    with support.World(async_lib) as world:

        async def body():
            return [
                await barrier,
                await barrier.with_(),
                await barrier.with_(timeout=1),
                await _AwaitWithTimeout(barrier, 1),
                await latch,
                await latch.with_(0),
                await _AwaitWithTimeout(latch, 0),
            ]

        assert world.call(body) == [0, 0, 0, 0, None, None, None]


class _AwaitWithTimeout:
    # awaits obj.__await__(timeout), the generator form of with_(timeout)
    def __init__(self, obj, timeout):
        self._obj = obj
        self._timeout = timeout

    def __await__(self):
        return self._obj.__await__(self._timeout)


def test_checkpoint_when_not_waiting(async_lib, impl):
    barrier = impl.Barrier(1)
    latch = impl.Latch(1)
    with support.World(async_lib) as world:

        async def body():
            counts = []
            for awaitable in (barrier, latch, latch):
                counter = support.YieldCounter(awaitable)
                await counter
                counts.append(counter.yields)
            return counts

        counts = world.call(body)
        if world.backend == "trio":
            assert counts == [1, 1, 1]
        else:
            # checkpoints are off: at most one yield (API.md 2.1)
            assert all(count <= 1 for count in counts), counts


@pytest.mark.parametrize("name", ["Latch", "Barrier"])
def test_trio_cancelled_last_arrival_breaks(impl, name):
    # the last arrival's checkpoint delivers the cancellation: the others
    # passed, but the barrier is broken for later waits
    obj = getattr(impl, name)(2)
    with support.World("trio") as world:
        [first] = spawn_waiters(world, obj, 1)

        async def last():
            import trio

            with trio.CancelScope() as scope:
                scope.cancel()
                await obj
            return scope.cancelled_caught

        assert world.call(last) is True
        assert first.result() in (None, 0)
    assert obj.broken


def test_trio_cancelled_pass_through_keeps_drained_latch(impl):
    latch = impl.Latch(1)
    latch.wait()
    with support.World("trio") as world:

        async def body():
            import trio

            with trio.CancelScope() as scope:
                scope.cancel()
                await latch
            return scope.cancelled_caught

        assert world.call(body) is True
    assert not latch.broken
    assert parse(latch)[2] == "draining"


# -- races (many threads) ----------------------------------------------------


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_barrier_phases_complete(fast_switching, barrier_type, seed):
    rng = random.Random(seed)
    parties = rng.randrange(2, 9)
    rounds = 150
    barrier = barrier_type(parties)
    indexes = [[] for _ in range(rounds)]
    errors = []

    def worker():
        try:
            for i in range(rounds):
                indexes[i].append(barrier.wait(support.DEFAULT_TIMEOUT))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
        assert not thread.is_alive()
    assert errors == []
    for round_indexes in indexes:
        assert sorted(round_indexes) == list(range(parties))
    assert barrier.waiting == 0
    assert not barrier.broken


def test_race_barrier_phases_across_worlds(fast_switching, impl):
    # threads and tasks of several loops pass the same barrier many times
    rounds = 40
    libs = ("asyncio", "trio", "gevent")
    parties = len(libs) + 2
    barrier = impl.Barrier(parties)
    indexes = [[] for _ in range(rounds)]

    def collect_round(i, index):
        indexes[i].append(index)

    with support.open_worlds(*libs) as worlds:
        tasks = []
        for world in worlds:
            ops = world.ops

            async def body(ops=ops):
                for i in range(rounds):
                    collect_round(
                        i, await ops.wait(barrier, support.DEFAULT_TIMEOUT)
                    )
                return True

            tasks.append(world.spawn(body))
        threads = []
        for _ in range(2):

            def worker():
                for i in range(rounds):
                    collect_round(i, barrier.wait(support.DEFAULT_TIMEOUT))

            threads.append(threading.Thread(target=worker))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(40)
            assert not thread.is_alive()
        assert [task.result(40) for task in tasks] == [True] * len(libs)
    for round_indexes in indexes:
        assert sorted(round_indexes) == list(range(parties))
    assert not barrier.broken
    assert barrier.waiting == 0


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_latch_concurrent_arrivals(fast_switching, impl, seed):
    rng = random.Random(seed)
    parties = rng.randrange(2, 17)
    latch = impl.Latch(parties)
    results = []
    start = threading.Barrier(parties + 2)

    def arrive():
        start.wait()
        latch.wait(support.DEFAULT_TIMEOUT)
        results.append("passed")

    def late():
        # arrives once the latch has filled: passes without being counted
        start.wait()
        wait_until(lambda: latch)
        latch.wait(support.DEFAULT_TIMEOUT)
        results.append("late")

    threads = [threading.Thread(target=arrive) for _ in range(parties)]
    threads += [threading.Thread(target=late) for _ in range(2)]
    rng.shuffle(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    assert sorted(results) == sorted(["passed"] * parties + ["late"] * 2)
    assert parse(latch)[2] == "draining"
    assert latch.waiting == 0


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_rbarrier_reset_never_strands_a_waiter(
    fast_switching, impl, seed
):
    # resets race with arrivals: every waiter leaves, passing or broken
    rng = random.Random(seed)
    parties = 4
    barrier = impl.RBarrier(parties)
    outcomes = []
    stop = threading.Event()

    def worker():
        for _ in range(100):
            try:
                barrier.wait(support.DEFAULT_TIMEOUT)
            except impl.BrokenBarrierError:
                outcomes.append("broken")
            else:
                outcomes.append("passed")

    def resetter():
        # runs until every worker is done: a reset also frees the waiters
        # of a last group that can no longer fill
        while not stop.is_set():
            if rng.random() < 0.05:
                barrier.reset()
            else:
                stop.wait(0.0005)

    threads = [threading.Thread(target=worker) for _ in range(parties)]
    reset_thread = threading.Thread(target=resetter)
    reset_thread.start()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(40)
            assert not thread.is_alive()
    finally:
        stop.set()
        reset_thread.join(10)
    assert len(outcomes) == parties * 100
    assert barrier.waiting == 0
