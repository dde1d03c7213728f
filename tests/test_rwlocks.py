# SPDX-License-Identifier: MIT

"""Behaviour of ``RWLock`` (and its ``reader``/``writer`` views) on every
library and both cores: sharing and exclusion, the fairness policy (one
FIFO of readers and writers, no starvation of either side), hand-off,
timeouts and cancellation at every position of the queue, errors,
checkpoints, mixes of worlds, seeded races and the object protocol."""

from __future__ import annotations

import copy
import math
import pickle
import random
import re
import threading
import time
import weakref

import pytest
import support
from support import TrioStepCounter, YieldCounter, wait_until, wait_waiting

pytestmark = pytest.mark.timeout(120)

RW_REPR = re.compile(
    r"<aiologic\.(?P<cls>\w+)\(\)(?P<view>\.reader|\.writer)?"
    r" at 0x[0-9a-fA-F]+ \[(?P<state>.*)\]>"
)

SIDES = ("reader", "writer")


@pytest.fixture
def rw(impl):
    return impl.RWLock()


def state_of(obj):
    match = RW_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("state")


def assert_free(rw, context=""):
    """The lock is free, nobody waits, and both views can be taken."""
    assert not rw.locked(), f"{context}{rw!r}"
    assert rw.readers == 0, f"{context}{rw!r}"
    assert rw.writer.owner is None, f"{context}{rw!r}"
    assert rw.waiting == 0, f"{context}{rw!r}"
    assert rw.reader.waiting == 0, f"{context}{rw!r}"
    assert rw.writer.waiting == 0, f"{context}{rw!r}"
    assert rw.writer.green_acquire(blocking=False), f"{context}{rw!r}"
    rw.writer.green_release()
    assert rw.reader.green_acquire(blocking=False), f"{context}{rw!r}"
    rw.reader.green_release()
    assert not rw.locked(), f"{context}{rw!r}"


def assert_free_soon(rw, context=""):
    wait_until(
        lambda: not rw.locked() and rw.waiting == 0,
        message=lambda: f"{context}: lock not free: {rw!r}",
    )
    assert_free(rw, context)


def user(world, rw, side, name, log, **kwargs):
    """A task body: acquire ``side``, log ``name``, yield once, release."""
    view = getattr(rw, side)
    ops = world.ops

    async def body():
        if not await ops.acquire(view, **kwargs):
            return False
        log.append(name)
        try:
            await ops.checkpoint()
        finally:
            await ops.release(view)
        return True

    return body


def assert_phases(log, phases):
    """``log`` holds the names of ``phases`` (a list of groups admitted
    together), each group after the one before."""
    order = {
        name: index for index, group in enumerate(phases) for name in group
    }
    assert sorted(log) == sorted(order), (log, phases)
    indexes = [order[name] for name in log]
    assert indexes == sorted(indexes), (log, phases)


def phases_of(queue):
    """The admission groups of a queue of ``(name, side)`` behind a
    writer: runs of readers together, writers alone."""
    phases = []
    for name, side in queue:
        if side == "reader" and phases and phases[-1][1] == "reader":
            phases[-1][0].append(name)
        else:
            phases.append(([name], side))
    return [group for group, _ in phases]


# -- object protocol ----------------------------------------------------------


def test_initial_state(rw):
    assert RW_REPR.fullmatch(repr(rw)).group("cls") == "RWLock"
    assert state_of(rw) == "unlocked"
    assert not rw
    assert not rw.reader
    assert not rw.writer
    assert rw.reader is rw.reader
    assert rw.writer is rw.writer
    assert rw.reader.rwlock is rw
    assert rw.writer.rwlock is rw
    assert (rw.readers, rw.waiting) == (0, 0)
    assert not rw.reader.locked()
    assert not rw.writer.locked()
    assert rw.writer.owner is None
    assert rw.reader.green_owned() is False
    assert rw.writer.green_owned() is False
    assert_free(rw)


def test_repr_of_each_state(rw):
    assert state_of(rw.reader) == "unlocked"
    assert RW_REPR.fullmatch(repr(rw.reader)).group("view") == ".reader"
    assert RW_REPR.fullmatch(repr(rw.writer)).group("view") == ".writer"
    assert rw.reader.green_acquire()
    assert state_of(rw) == "read-locked, readers=1, waiting=0"
    with support.World("threading") as world:
        writer = world.spawn_hold(rw.writer)
        wait_waiting(rw, 1)
        assert state_of(rw) == "read-locked, readers=1, waiting=1"
        assert state_of(rw.writer) == state_of(rw)
        rw.reader.green_release()
        assert writer.wait_acquired() is True
        assert state_of(rw) == "write-locked, waiting=0"
        assert rw and rw.writer and not rw.reader
        writer.release()
        assert writer.result() is True
    assert state_of(rw) == "unlocked"


def test_no_plain_acquire_release(rw):
    for obj in (rw, rw.reader, rw.writer):
        assert not hasattr(obj, "acquire")
        assert not hasattr(obj, "release")


def test_slots_and_weakref(impl, rw):
    assert not hasattr(rw, "__dict__")
    assert weakref.ref(rw)() is rw
    for view in (rw.reader, rw.writer):
        assert not hasattr(view, "__dict__")
        assert weakref.ref(view)() is view


def test_subclass_repr(impl):
    class Custom(impl.RWLock):
        pass

    rw = Custom()
    assert re.fullmatch(
        r"<\S*Custom\(\) at 0x[0-9a-fA-F]+ \[unlocked\]>", repr(rw)
    )
    assert re.fullmatch(
        r"<\S*Custom\(\)\.writer at 0x[0-9a-fA-F]+ \[unlocked\]>",
        repr(rw.writer),
    )
    assert rw.writer.green_acquire()
    rw.writer.green_release()


def test_pickle_and_copy_give_a_fresh_lock(impl, rw):
    assert rw.writer.green_acquire()
    assert impl.RWLock.__module__ == "aiologic"
    for clone in (
        pickle.loads(pickle.dumps(rw)),
        copy.copy(rw),
        copy.deepcopy(rw),
    ):
        assert type(clone) is impl.RWLock
        assert clone is not rw
        assert clone.reader.rwlock is clone
        assert_free(clone)
    assert rw.writer.locked()
    rw.writer.green_release()
    assert rw.reader.green_acquire()
    clone = pickle.loads(pickle.dumps(rw))
    assert_free(clone)
    rw.reader.green_release()


def test_views_pickle_with_their_lock(impl, rw):
    assert rw.reader.green_acquire()
    for side in SIDES:
        view = getattr(rw, side)
        clone = pickle.loads(pickle.dumps(view))
        assert clone is getattr(clone.rwlock, side)
        assert clone.rwlock is not rw
        assert_free(clone.rwlock)
        # a view is bound to its lock: a shallow copy is the view itself
        assert copy.copy(view) is view
        deep = copy.deepcopy(view)
        assert deep.rwlock is not rw and deep is getattr(deep.rwlock, side)
    # pickled together, the views stay bound to the same new lock
    lock, reader, writer = pickle.loads(
        pickle.dumps((rw, rw.reader, rw.writer))
    )
    assert reader is lock.reader and writer is lock.writer
    rw.reader.green_release()


def test_exported(impl):
    assert "RWLock" in impl.__all__
    assert impl.RWLock is impl._rwlocks.RWLock


# -- sharing and exclusion ----------------------------------------------------


def test_readers_share(world, rw):
    holders = [world.spawn_hold(rw.reader) for _ in range(3)]
    for holder in holders:
        assert holder.wait_acquired() is True
    assert rw.readers == 3
    assert rw.reader.locked() and not rw.writer.locked()
    assert rw.waiting == 0
    ops = world.ops

    async def probe():
        return (
            await ops.acquire(rw.writer, blocking=False),
            await ops.acquire(rw.writer, timeout=0),
            await ops.call(rw.reader, "owned"),
            rw.waiting,
        )

    assert world.call(probe) == (False, False, False, 0)
    for holder in holders:
        holder.release()
        assert holder.result() is True
    assert_free(rw)


def test_writer_is_alone(world, rw):
    writer = world.spawn_hold(rw.writer)
    assert writer.wait_acquired() is True
    assert rw.writer.locked() and not rw.reader.locked()
    ops = world.ops

    async def probe():
        return (
            await ops.acquire(rw.writer, blocking=False),
            await ops.acquire(rw.reader, blocking=False),
            await ops.acquire(rw.reader, timeout=0),
            await ops.call(rw.writer, "owned"),
            rw.waiting,
        )

    assert world.call(probe) == (False, False, False, False, 0)
    writer.release()
    assert writer.result() is True
    assert_free(rw)


def test_owner_and_owned(world, rw):
    ops = world.ops

    async def body():
        me = world.current_ident()
        async with ops.using(rw.writer) as entered:
            seen_w = (
                entered is rw.writer,
                rw.writer.owner == me,
                await ops.call(rw.writer, "owned"),
                await ops.call(rw.reader, "owned"),
            )
        async with ops.using(rw.reader) as entered:
            seen_r = (
                entered is rw.reader,
                rw.writer.owner,
                await ops.call(rw.reader, "owned"),
                await ops.call(rw.writer, "owned"),
                rw.readers,
            )
        return me, seen_w, seen_r

    me, seen_w, seen_r = world.call(body)
    assert me[0] == world.backend
    assert seen_w == (True, True, True, False)
    assert seen_r == (True, None, True, False, 1)
    assert_free(rw)


def test_context_manager_releases_on_error(world, rw):
    ops = world.ops

    async def body():
        for view in (rw.reader, rw.writer):
            with pytest.raises(ZeroDivisionError):
                async with ops.using(view):
                    raise ZeroDivisionError
        return rw.locked()

    assert world.call(body) is False
    assert_free(rw)


def test_nested_reads(world, rw):
    ops = world.ops

    async def body():
        seen = []
        assert await ops.acquire(rw.reader)
        assert await ops.acquire(rw.reader, blocking=False)
        assert await ops.acquire(rw.reader, timeout=0)
        seen.append(rw.readers)
        await ops.release(rw.reader)
        await ops.release(rw.reader)
        seen.append((rw.readers, await ops.call(rw.reader, "owned")))
        await ops.release(rw.reader)
        seen.append((rw.readers, await ops.call(rw.reader, "owned")))
        return seen

    assert world.call(body) == [1, (1, True), (0, False)]
    assert_free(rw)


def test_nested_read_does_not_queue_behind_a_writer(world, rw):
    # a task holding a read may read again at once: queueing behind the
    # waiting writer would deadlock (the writer waits for this very task)
    ops = world.ops
    gate = world.gate()

    async def reader():
        assert await ops.acquire(rw.reader)
        await gate.wait()
        nested = await ops.acquire(rw.reader, timeout=5)
        seen = (nested, rw.readers, rw.writer.waiting, rw.writer.locked())
        await ops.release(rw.reader)
        await ops.release(rw.reader)
        return seen

    task = world.spawn(reader)
    wait_until(lambda: rw.readers == 1)
    writer = world.spawn_hold(rw.writer)
    wait_waiting(rw.writer, 1)
    gate.open()
    assert task.result() == (True, 1, 1, False)
    assert writer.wait_acquired() is True
    writer.release()
    assert writer.result() is True
    assert_free(rw)


# -- fairness -----------------------------------------------------------------


def test_fifo_among_writers(world, rw):
    log = []
    holder = world.spawn_hold(rw.writer)
    assert holder.wait_acquired()
    tasks = []
    for i in range(5):
        tasks.append(world.spawn(user(world, rw, "writer", i, log)))
        wait_waiting(rw.writer, i + 1)
    assert rw.reader.waiting == 0
    holder.release()
    for task in tasks:
        assert task.result() is True
    assert holder.result() is True
    assert log == list(range(5))
    assert_free(rw)


def test_writer_not_starved_by_readers(world, rw):
    # readers arriving while a writer waits queue behind it, although the
    # lock is held for reading and they could share it
    first = world.spawn_hold(rw.reader, name="R1")
    assert first.wait_acquired()
    writer = world.spawn_hold(rw.writer)
    wait_waiting(rw, 1)
    later = []
    for i in range(3):
        later.append(world.spawn_hold(rw.reader))
        wait_waiting(rw, i + 2)
    assert (rw.readers, rw.reader.waiting, rw.writer.waiting) == (1, 3, 1)
    ops = world.ops

    async def newcomer():
        return await ops.acquire(rw.reader, blocking=False)

    assert world.call(newcomer) is False  # no barging past the writer
    first.release()
    assert first.result() is True
    assert writer.wait_acquired() is True
    assert rw.readers == 0
    assert all(holder.acquired is None for holder in later)
    assert rw.reader.waiting == 3
    writer.release()
    for holder in later:
        assert holder.wait_acquired() is True
    # admitted together
    assert rw.readers == 3
    assert rw.waiting == 0
    for holder in later:
        holder.release()
        assert holder.result() is True
    assert writer.result() is True
    assert_free(rw)


def test_steady_stream_of_readers_lets_the_writer_in(world, rw):
    # readers keep overlapping; a writer that arrived meanwhile enters
    # before every reader that arrived after it
    log = []
    holders = [world.spawn_hold(rw.reader, log=log, name="r0")]
    assert holders[0].wait_acquired()
    writer = world.spawn_hold(rw.writer, log=log, name="W")
    wait_waiting(rw.writer, 1)
    for i in range(1, 5):
        holders.append(world.spawn_hold(rw.reader, log=log, name=f"r{i}"))
        wait_waiting(rw.reader, i)
    holders[0].release()
    assert writer.wait_acquired() is True
    assert log == ["r0", "W"]
    writer.release()
    for holder in holders:
        assert holder.wait_acquired() is True
        holder.release()
        assert holder.result() is True
    assert log[:2] == ["r0", "W"] and sorted(log[2:]) == [
        f"r{i}" for i in range(1, 5)
    ]
    assert writer.result() is True
    assert_free(rw)


def test_readers_not_starved_by_writers(world, rw):
    # a writer arriving while readers wait queues behind them; the
    # readers at the head enter together when the writer leaves
    first = world.spawn_hold(rw.writer)
    assert first.wait_acquired()
    readers = []
    for i in range(2):
        readers.append(world.spawn_hold(rw.reader))
        wait_waiting(rw, i + 1)
    second = world.spawn_hold(rw.writer)
    wait_waiting(rw, 3)
    ops = world.ops

    async def newcomer():
        return await ops.acquire(rw.writer, blocking=False)

    first.release()
    for holder in readers:
        assert holder.wait_acquired() is True
    assert rw.readers == 2
    assert second.acquired is None
    assert rw.writer.waiting == 1
    assert world.call(newcomer) is False
    for holder in readers:
        holder.release()
        assert holder.result() is True
    assert second.wait_acquired() is True
    second.release()
    assert first.result() is True and second.result() is True
    assert_free(rw)


def test_alternating_queue_is_served_in_phases(world, rw):
    queue = [
        ("w1", "writer"),
        ("r1", "reader"),
        ("r2", "reader"),
        ("w2", "writer"),
        ("w3", "writer"),
        ("r3", "reader"),
        ("w4", "writer"),
        ("r4", "reader"),
        ("r5", "reader"),
    ]
    log = []
    holder = world.spawn_hold(rw.reader)
    assert holder.wait_acquired()
    tasks = []
    for i, (name, side) in enumerate(queue):
        tasks.append(world.spawn(user(world, rw, side, name, log)))
        wait_waiting(rw, i + 1)
    holder.release()
    for task in tasks:
        assert task.result() is True
    assert holder.result() is True
    assert_phases(log, phases_of(queue))
    assert_free(rw)


# -- hand-off -----------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
def test_handoff_before_the_waiter_runs(world, rw, side):
    # a release hands the lock over at once: the woken waiter holds it
    # before it runs, and newcomers cannot barge in
    ops = world.ops
    gate = world.gate()
    # the waiter holds on until the first task has looked, so that a
    # waiter in another thread cannot release before the observation
    observed = world.gate()
    idents = []
    view = getattr(rw, side)

    async def first():
        assert await ops.acquire(rw.writer)
        await gate.wait()
        await ops.release(rw.writer)
        seen = (
            rw.locked(),
            rw.writer.owner,
            rw.readers,
            rw.waiting,
            await ops.acquire(rw.writer, blocking=False),
            await ops.acquire(rw.reader, blocking=False),
        )
        if seen[-1]:
            await ops.release(rw.reader)
        return seen

    task = world.spawn(first)
    wait_until(rw.writer.locked)

    async def second():
        idents.append(world.current_ident())
        ok = await ops.acquire(view)
        await observed.wait()
        await ops.release(view)
        return ok

    waiter = world.spawn(second)
    wait_waiting(rw, 1)
    gate.open()
    locked, owner, readers, waiting, barged_w, barged_r = task.result()
    observed.open()
    assert waiter.result() is True
    assert locked is True
    assert waiting == 0
    assert barged_w is False
    if side == "writer":
        assert owner == idents[0]
        assert readers == 0
        assert barged_r is False
    else:
        assert owner is None
        assert readers == 1
        # the queue is empty and a reader holds it: readers may share
        assert barged_r is True
    assert_free_soon(rw)


@pytest.mark.parametrize("side", SIDES)
def test_timeout_then_release_race(impl, side):
    # a waiter whose timeout expires while it is being handed the lock
    # keeps it (True) or gives up (False): never lost, never doubled
    rw = impl.RWLock()
    with support.open_worlds("threading", "asyncio", "trio") as worlds:
        for seed in support.seeds(30):
            rng = random.Random(seed)
            holder = worlds[0].spawn_hold(rw.writer)
            assert holder.wait_acquired()
            world = worlds[seed % len(worlds)]
            timeout = rng.choice([0.001, 0.002, 0.005])
            log = []
            task = world.spawn(
                user(world, rw, side, "w", log, timeout=timeout)
            )
            time.sleep(rng.random() * 2 * timeout)  # vary the race window
            holder.release()
            assert holder.result() is True
            result = task.result()
            assert result in (True, False), f"seed={seed}"
            assert log == (["w"] if result else []), f"seed={seed}"
            assert_free_soon(rw, f"seed={seed}")


# -- timeouts and cancellation ------------------------------------------------

QUEUE = [("A", "reader"), ("B", "writer"), ("C", "reader"), ("D", "writer")]


def _queue_with_victim(world, rw, position, victim_kwargs):
    """A writer holds ``rw``; QUEUE waits behind it, the one at
    ``position`` as a held victim; returns (holder, tasks, victim, log)."""
    log = []
    holder = world.spawn_hold(rw.writer)
    assert holder.wait_acquired()
    tasks = []
    victim = None
    for i, (name, side) in enumerate(QUEUE):
        if i == position:
            victim = world.spawn_hold(
                getattr(rw, side), log=log, name=name, **victim_kwargs
            )
        else:
            tasks.append(world.spawn(user(world, rw, side, name, log)))

        def queued(count=i + 1, victim=victim):
            # a victim with a timeout may have left already
            gone = victim is not None and victim.done()
            return rw.waiting + gone == count

        wait_until(queued, message=lambda: f"queue not built: {rw!r}")
    return holder, tasks, victim, log


def _finish(rw, holder, tasks, position, log):
    holder.release()
    for task in tasks:
        assert task.result() is True
    assert holder.result() is True
    rest = [entry for i, entry in enumerate(QUEUE) if i != position]
    assert_phases(log, phases_of(rest))
    assert_free(rw)


@pytest.mark.parametrize("position", range(len(QUEUE)))
def test_timeout_at_each_position(world, rw, position):
    holder, tasks, victim, log = _queue_with_victim(
        world, rw, position, {"timeout": 0.25}
    )
    assert victim.result() is False
    wait_waiting(rw, len(QUEUE) - 1)
    assert rw.writer.locked()
    _finish(rw, holder, tasks, position, log)


@pytest.mark.parametrize("position", range(len(QUEUE)))
@pytest.mark.parametrize("timeout", [None, 30])
def test_cancel_at_each_position(cancellable_world, rw, position, timeout):
    world = cancellable_world
    kwargs = {} if timeout is None else {"timeout": timeout}
    holder, tasks, victim, log = _queue_with_victim(
        world, rw, position, kwargs
    )
    wait_waiting(rw, len(QUEUE))
    victim.cancel()
    assert isinstance(victim.task.exception(), world.cancelled_exc)
    wait_waiting(rw, len(QUEUE) - 1)
    assert rw.writer.locked()
    _finish(rw, holder, tasks, position, log)


def test_timeout_of_head_writer_admits_readers_behind_it(world, rw):
    # readers hold the lock; a writer waits; readers queue behind it. When
    # the writer gives up, the readers behind it may share the lock at once
    first = world.spawn_hold(rw.reader)
    assert first.wait_acquired()
    writer = world.spawn_hold(rw.writer, timeout=0.2)
    wait_waiting(rw, 1)
    later = world.spawn_hold(rw.reader)
    wait_until(lambda: rw.waiting == 2 or writer.done())
    assert writer.result() is False
    assert later.wait_acquired() is True
    assert rw.readers == 2
    later.release()
    first.release()
    assert later.result() is True and first.result() is True
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("next_side", SIDES)
def test_cancel_after_handoff(cancellable_world, rw, side, next_side):
    # the releaser hands the lock to A and cancels A before A runs: A
    # passes it on (or, trio, keeps it); B gets it; nothing is lost
    world = cancellable_world
    ops = world.ops
    log = []
    gate = world.gate()
    tasks = {}

    async def releaser():
        assert await ops.acquire(rw.writer)
        await gate.wait()
        await ops.release(rw.writer)  # hands the lock to A
        world.cancel_now(tasks["A"])  # A has not run yet
        return rw.locked()

    first = world.spawn(releaser)
    wait_until(rw.writer.locked)
    for name, s in (("A", side), ("B", next_side)):
        tasks[name] = world.spawn(user(world, rw, s, name, log))
        wait_waiting(rw, len(tasks))
    gate.open()
    assert first.result() is True  # handed over, not freed
    error_a = tasks["A"].exception()
    assert tasks["B"].result() is True
    assert "B" in log
    if "A" in log:
        # acquired, then cancelled at its next checkpoint (and released)
        assert error_a is None or isinstance(error_a, world.cancelled_exc)
    else:
        assert isinstance(error_a, world.cancelled_exc), error_a
    if world.lib == "asyncio":
        assert "A" not in log, "asyncio: the cancelled waiter must not acquire"
    if world.lib == "trio":
        assert "A" in log, "trio: the rescheduled waiter keeps it"
    assert_free(rw)


# -- errors -------------------------------------------------------------------


def test_writer_reacquire_raises(world, rw):
    ops = world.ops

    async def body():
        assert await ops.acquire(rw.writer)
        errors = []
        for kwargs in ({}, {"blocking": False}, {"timeout": 0}):
            with pytest.raises(RuntimeError) as info:
                await ops.acquire(rw.writer, **kwargs)
            errors.append(str(info.value))
        still = (rw.writer.owner == world.current_ident(), rw.waiting)
        await ops.release(rw.writer)
        return errors, still

    errors, still = world.call(body)
    assert errors == ["the current task is already holding this lock"] * 3
    assert still == (True, 0)
    assert_free(rw)


@pytest.mark.parametrize("held", SIDES)
def test_no_upgrade_or_downgrade(world, rw, held):
    ops = world.ops
    other = "reader" if held == "writer" else "writer"
    word = "reading" if held == "reader" else "writing"

    async def body():
        assert await ops.acquire(getattr(rw, held))
        errors = []
        for kwargs in ({}, {"blocking": False}, {"timeout": 1}):
            with pytest.raises(RuntimeError) as info:
                await ops.acquire(getattr(rw, other), **kwargs)
            errors.append(str(info.value))
        still = (rw.readers, rw.writer.locked(), rw.waiting)
        await ops.release(getattr(rw, held))
        return errors, still

    errors, still = world.call(body)
    assert len(set(errors)) == 1
    assert f"holding this lock for {word}" in errors[0]
    assert still == ((1, False, 0) if held == "reader" else (0, True, 0))
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
def test_release_unlocked_raises(world, rw, side):
    ops = world.ops
    view = getattr(rw, side)

    async def body():
        with pytest.raises(RuntimeError) as info:
            await ops.release(view)
        return str(info.value)

    assert world.call(body) == "release unlocked lock"
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
def test_release_by_non_holder_raises(world, rw, side):
    ops = world.ops
    view = getattr(rw, side)
    holder = world.spawn_hold(view)
    assert holder.wait_acquired()

    async def intruder():
        with pytest.raises(RuntimeError) as info:
            await ops.release(view)
        return str(info.value), await ops.call(view, "owned")

    assert world.call(intruder) == (
        "the current task is not holding this lock",
        False,
    )
    with pytest.raises(RuntimeError, match="not holding this lock"):
        view.green_release()
    assert view.locked()
    assert rw.readers == (1 if side == "reader" else 0)
    holder.release()
    assert holder.result() is True
    assert_free(rw)


def test_release_of_the_other_side_raises(world, rw):
    # a writer cannot release a read, a reader cannot release the write
    ops = world.ops

    async def body():
        assert await ops.acquire(rw.writer)
        with pytest.raises(RuntimeError) as first:
            await ops.release(rw.reader)
        await ops.release(rw.writer)
        assert await ops.acquire(rw.reader)
        with pytest.raises(RuntimeError) as second:
            await ops.release(rw.writer)
        await ops.release(rw.reader)
        return str(first.value), str(second.value)

    assert world.call(body) == ("release unlocked lock",) * 2
    assert_free(rw)


def test_async_read_is_not_green_owned(async_lib, rw):
    # ownership is per (library, task)
    with support.World(async_lib) as world:

        async def body():
            assert await rw.reader.async_acquire()
            with pytest.raises(RuntimeError):
                rw.reader.green_release()
            owned = (rw.reader.async_owned(), rw.reader.green_owned())
            rw.reader.async_release()
            return owned

        assert world.call(body) == (True, False)
    assert_free(rw)


BAD_TIMEOUTS = [
    (-1, ValueError, "timeout must be non-negative"),
    (-math.inf, ValueError, "timeout must be non-negative"),
    (math.nan, ValueError, "timeout must be non-NaN"),
    ("1", TypeError, None),
]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("timeout, exc, message", BAD_TIMEOUTS)
def test_bad_timeout_rejected_uncontended(
    world, rw, side, timeout, exc, message
):
    ops = world.ops
    view = getattr(rw, side)

    async def body():
        with pytest.raises(exc) as info:
            await ops.acquire(view, timeout=timeout)
        # blocking=False ignores timeout entirely
        ok = await ops.acquire(view, blocking=False, timeout=timeout)
        await ops.release(view)
        return str(info.value), ok, rw.locked(), rw.waiting

    text, ok, locked, waiting = world.call(body)
    if message is not None:
        assert text == message
    assert (ok, locked, waiting) == (True, False, 0)
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("timeout, exc, message", BAD_TIMEOUTS[::2])
def test_bad_timeout_rejected_contended(
    world, rw, side, timeout, exc, message
):
    ops = world.ops
    holder = world.spawn_hold(rw.writer)
    assert holder.wait_acquired()
    owner = rw.writer.owner

    async def body():
        with pytest.raises(exc) as info:
            await ops.acquire(getattr(rw, side), timeout=timeout)
        return str(info.value), rw.waiting

    text, waiting = world.call(body)
    if message is not None:
        assert text == message
    assert waiting == 0
    assert rw.writer.owner == owner
    holder.release()
    assert holder.result() is True
    assert_free(rw)


@pytest.mark.parametrize("timeout", [None, math.inf, 10**400, 1e300])
def test_no_timeout_values(rw, timeout):
    assert rw.writer.green_acquire()
    with support.World("threading") as world:
        waiters = []
        for i, view in enumerate((rw.reader, rw.writer)):
            waiters.append(world.spawn_hold(view, timeout=timeout))
            wait_waiting(rw, i + 1)
        rw.writer.green_release()
        assert waiters[0].wait_acquired() is True
        waiters[0].release()
        assert waiters[1].wait_acquired() is True
        waiters[1].release()
        for waiter in waiters:
            assert waiter.result() is True
    assert_free(rw)


# -- checkpoints --------------------------------------------------------------


async def trio_count(call):
    async with TrioStepCounter() as steps:
        counter = YieldCounter(call())
        result = await counter
    return result, counter.yields, steps.steps


@pytest.fixture(params=["trio", "anyio-trio"])
def trio_world(request):
    support.require(request.param)
    with support.World(request.param) as world:
        yield world


@pytest.mark.parametrize("side", SIDES)
def test_trio_checkpoints_once(rw, trio_world, side):
    view = getattr(rw, side)

    async def body():
        acquired = await trio_count(view.async_acquire)
        view.async_release()
        nowait = await trio_count(lambda: view.async_acquire(blocking=False))
        view.async_release()
        return acquired, nowait

    assert trio_world.call(body) == ((True, 1, 1), (True, 0, 0))
    assert_free(rw)


def test_trio_nested_read_checkpoints_once(rw, trio_world):
    async def body():
        assert await rw.reader.async_acquire()
        again = await trio_count(rw.reader.async_acquire)
        rw.reader.async_release()
        rw.reader.async_release()
        return again

    assert trio_world.call(body) == (True, 1, 1)
    assert_free(rw)


@pytest.mark.parametrize(
    "side, nested", [("reader", False), ("reader", True), ("writer", False)]
)
def test_trio_cancelled_at_checkpoint_gives_back(rw, trio_world, side, nested):
    import trio

    view = getattr(rw, side)

    async def body():
        if nested:
            assert await view.async_acquire()
        with trio.CancelScope() as scope:
            scope.cancel()
            await view.async_acquire()
            return "not cancelled"
        seen = (scope.cancelled_caught, rw.readers, rw.locked())
        if nested:
            view.async_release()
        return seen

    assert trio_world.call(body) == (
        (True, 1, True) if nested else (True, 0, False)
    )
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
def test_trio_contended_call_checkpoints_once(rw, trio_world, side):
    holder = trio_world.spawn_hold(rw.writer)
    assert holder.wait_acquired()
    view = getattr(rw, side)

    async def body():
        result = await trio_count(view.async_acquire)
        view.async_release()
        return result

    task = trio_world.spawn(body)
    wait_waiting(rw, 1)
    holder.release()
    assert task.result() == (True, 1, 1)
    assert holder.result() is True
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
def test_asyncio_uncontended_call_does_not_yield(rw, side):
    view = getattr(rw, side)

    async def body():
        results = []
        for kwargs in ({}, {"blocking": False}, {"timeout": 1}):
            coro = view.async_acquire(**kwargs)
            try:
                coro.send(None)
            except StopIteration as exc:
                results.append(exc.value)
            else:
                coro.close()
                results.append("yielded")
            if results[-1] is True:
                view.async_release()
        return results

    with support.World("asyncio") as world:
        assert world.call(body) == [True, True, True]
    assert_free(rw)


@pytest.mark.parametrize("side", SIDES)
def test_asyncio_cancelled_at_checkpoint_gives_back(impl, rw, side):
    import asyncio

    view = getattr(rw, side)
    enable_checkpoints = impl.lowlevel.enable_checkpoints

    async def body():
        async with enable_checkpoints():
            task = asyncio.current_task()
            task.cancel()
            try:
                await view.async_acquire()
            except asyncio.CancelledError:
                outcome = "cancelled"
            else:
                outcome = "acquired"
            if hasattr(task, "uncancel"):
                task.uncancel()
        return outcome, rw.locked(), rw.waiting

    with support.World("asyncio") as world:
        assert world.call(body) == ("cancelled", False, 0)
    assert_free(rw)


# -- worlds mixed -------------------------------------------------------------


def _available(libs):
    found = []
    for lib in libs:
        try:
            support._import(lib)
        except ImportError:
            continue
        found.append(lib)
    return found


def test_cross_world_mix(rw):
    # a thread reader, an asyncio writer, a trio reader, a gevent writer,
    # an eventlet reader, an anyio reader: served in phases of the queue
    libs = _available(
        ["threading", "asyncio", "trio", "gevent", "eventlet", "anyio-trio"]
    )
    sides = ["reader", "writer", "reader", "writer", "reader", "reader"]
    with support.open_worlds(*libs) as worlds:
        log = []
        holder = worlds[1].spawn_hold(rw.writer)
        assert holder.wait_acquired()
        queue = []
        tasks = []
        for i, (world, side) in enumerate(zip(worlds, sides)):
            name = f"{world.lib}-{side}"
            queue.append((name, side))
            tasks.append(world.spawn(user(world, rw, side, name, log)))
            wait_waiting(rw, i + 1)
        holder.release()
        for task in tasks:
            assert task.result() is True
        assert holder.result() is True
    assert_phases(log, phases_of(queue))
    assert_free(rw)


def test_readers_share_across_worlds(rw):
    libs = _available(["threading", "asyncio", "trio", "gevent", "eventlet"])
    with support.open_worlds(*libs) as worlds:
        holders = [world.spawn_hold(rw.reader) for world in worlds]
        for holder in holders:
            assert holder.wait_acquired() is True
        assert rw.readers == len(worlds)
        writer = worlds[0].spawn_hold(rw.writer)
        wait_waiting(rw, 1)
        for holder in holders:
            assert writer.acquired is None
            holder.release()
            assert holder.result() is True
        assert writer.wait_acquired() is True
        assert rw.readers == 0
        writer.release()
        assert writer.result() is True
    assert_free(rw)


# -- races --------------------------------------------------------------------


class Occupancy:
    """Who is inside: never a writer together with anyone."""

    def __init__(self):
        self._lock = threading.Lock()
        self.readers = 0
        self.writers = 0
        self.max_readers = 0
        self.entries = {"reader": 0, "writer": 0}
        self.exits = {"reader": 0, "writer": 0}
        self.violations = []

    def enter(self, side, who):
        with self._lock:
            self.entries[side] += 1
            if side == "writer":
                self.writers += 1
                if self.writers != 1 or self.readers:
                    self.violations.append((who, self.readers, self.writers))
            else:
                self.readers += 1
                self.max_readers = max(self.max_readers, self.readers)
                if self.writers:
                    self.violations.append((who, self.readers, self.writers))

    def leave(self, side, who):
        with self._lock:
            self.exits[side] += 1
            if side == "writer":
                self.writers -= 1
            else:
                self.readers -= 1
            if self.readers < 0 or self.writers < 0:
                self.violations.append((who, self.readers, self.writers))


def racer(world, rw, occupancy, record, rng):
    ops = world.ops
    side = rng.choice(["reader", "reader", "writer"])
    timeout = rng.choice([None, None, 0.001, 0.003, 0.01])
    hold = rng.choice([0, 0, 0.001])
    nested = side == "reader" and rng.random() < 0.3
    view = getattr(rw, side)

    async def body():
        try:
            ok = await ops.acquire(view, timeout=timeout)
        except BaseException:
            record("cancelled")
            raise
        if not ok:
            record("timeout")
            return False
        record("acquired")
        occupancy.enter(side, world.lib)
        try:
            if nested:
                assert await ops.acquire(view, blocking=False)
                await ops.release(view)
            if hold:
                await ops.sleep(hold)
            else:
                await ops.checkpoint()
        finally:
            occupancy.leave(side, world.lib)
            await ops.release(view)
        return True

    return body


def test_seeded_races(rw):
    # threads and tasks of several loops read and write at random, with
    # timeouts and cancellations; exclusion holds, nothing is lost
    libs = _available(
        ["threading", "asyncio", "trio", "anyio-asyncio", "gevent", "eventlet"]
    )
    attempts = 40
    with support.open_worlds(*libs) as worlds:
        for seed in support.seeds(6):
            rng = random.Random(seed)
            occupancy = Occupancy()
            outcomes = [[] for _ in range(attempts)]
            tasks = []
            for index in range(attempts):
                world = rng.choice(worlds)
                body = racer(world, rw, occupancy, outcomes[index].append, rng)
                tasks.append(world.spawn(body))
            for task in rng.sample(tasks, 10):
                if task.world.lib != "threading":
                    time.sleep(rng.random() * 0.002)  # vary the race window
                    task.cancel()
            for task in tasks:
                assert task.wait(60), f"seed={seed}: {task!r} hangs; {rw!r}"
            assert occupancy.violations == [], f"seed={seed}"
            assert_free_soon(rw, f"seed={seed}")
            counts = {"acquired": 0, "timeout": 0, "cancelled": 0}
            for task, seen in zip(tasks, outcomes):
                exc = task.exception()
                cancelled = isinstance(exc, task.world.cancelled_exc or ())
                assert exc is None or cancelled, f"seed={seed}: {exc!r}"
                if not seen:
                    assert cancelled, f"seed={seed}: {task!r} has no outcome"
                outcome = seen or ["cancelled"]
                assert len(outcome) == 1, f"seed={seed}: {outcome}"
                counts[outcome[0]] += 1
            assert sum(counts.values()) == attempts
            entered = sum(occupancy.entries.values())
            assert entered == counts["acquired"], f"seed={seed}"
            assert occupancy.entries == occupancy.exits, f"seed={seed}"
            assert (occupancy.readers, occupancy.writers) == (0, 0)


def test_threads_hammer(rw):
    # plain threads only, many rounds: the counters of readers and writers
    # inside stay consistent and every acquire is matched
    occupancy = Occupancy()
    rounds = support.stress(200)
    errors = []
    start = threading.Barrier(8)

    def worker(index):
        rng = random.Random(index)
        try:
            start.wait()
            for _ in range(rounds):
                side = "writer" if rng.random() < 0.3 else "reader"
                view = getattr(rw, side)
                if not view.green_acquire(timeout=rng.choice([None, 0.001])):
                    continue
                occupancy.enter(side, index)
                occupancy.leave(side, index)
                view.green_release()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), f"hangs: {rw!r}"
    assert errors == []
    assert occupancy.violations == []
    assert occupancy.entries == occupancy.exits
    assert_free(rw)
