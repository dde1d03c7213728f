# SPDX-License-Identifier: MIT

"""Behaviour of ``CapacityLimiter`` and ``RCapacityLimiter``, every library."""

from __future__ import annotations

import copy
import math
import pickle
import re
import types
import weakref

import pytest
import support
from support import wait_until, wait_waiting

pytestmark = pytest.mark.timeout(60)

LIMITER_REPR = re.compile(
    r"<(?P<name>\S+?)\((?P<args>[^)]*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)

NOT_HOLDING = (
    "the current task is not holding any of this capacity limiter's tokens"
)


def parse(obj):
    match = LIMITER_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


@pytest.fixture(params=["CapacityLimiter", "RCapacityLimiter"])
def limiter_type(request, impl):
    return getattr(impl, request.param)


# -- construction and properties ---------------------------------------------


@pytest.mark.parametrize(
    "args, total, state",
    [
        ((), 1, "available_tokens=1"),
        ((4,), 4, "available_tokens=4"),
        ((0,), 0, "available_tokens=0, waiting=0"),
    ],
)
def test_initial_state(limiter_type, args, total, state):
    limiter = limiter_type(*args)
    assert parse(limiter) == (
        f"aiologic.{limiter_type.__name__}",
        str(total),
        state,
    )
    assert limiter.total_tokens == total
    assert limiter.available_tokens == total
    assert limiter.borrowed_tokens == 0
    assert limiter.waiting == 0
    assert not limiter
    assert isinstance(limiter.borrowers, types.MappingProxyType)
    assert dict(limiter.borrowers) == {}


def test_negative_total_tokens(limiter_type):
    with pytest.raises(ValueError, match=r"^total_tokens must be >= 0$"):
        limiter_type(-1)


def test_total_tokens_is_read_only(limiter_type):
    limiter = limiter_type(2)
    with pytest.raises(AttributeError):
        limiter.total_tokens = 5
    assert limiter.total_tokens == 2


def test_weakref_pickle_copy(limiter_type):
    limiter = limiter_type(3)
    assert weakref.ref(limiter)() is limiter
    assert limiter.green_acquire()
    for clone in (pickle.loads(pickle.dumps(limiter)), copy.copy(limiter)):
        assert type(clone) is limiter_type
        assert clone.total_tokens == 3
        assert clone.available_tokens == 3
        assert dict(clone.borrowers) == {}
    assert limiter.available_tokens == 2
    limiter.green_release()


def test_zero_tokens_nobody_acquires(world, limiter_type):
    limiter = limiter_type(0)
    ops = world.ops

    async def body():
        return (
            await ops.acquire(limiter, blocking=False),
            await ops.acquire(limiter, timeout=0),
            await ops.acquire(limiter, timeout=0.01),
            limiter.waiting,
            dict(limiter.borrowers),
        )

    assert world.call(body) == (False, False, False, 0, {})


# -- borrowing ---------------------------------------------------------------


def test_borrowers_track_tasks(world, limiter_type):
    limiter = limiter_type(3)
    ops = world.ops

    async def body():
        assert await ops.acquire(limiter)
        me = world.current_ident()
        seen = (
            dict(limiter.borrowers),
            await ops.call(limiter, "borrowed"),
            limiter.borrowed_tokens,
            limiter.available_tokens,
            bool(limiter),
            parse(limiter)[2],
        )
        await ops.release(limiter)
        return me, seen

    me, seen = world.call(body)
    assert me[0] == world.backend
    assert seen == ({me: 1}, True, 1, 2, True, "available_tokens=2")
    assert dict(limiter.borrowers) == {}
    assert limiter.available_tokens == 3
    assert not limiter


def test_borrowers_view_is_live_and_read_only(impl):
    limiter = impl.CapacityLimiter(2)
    view = limiter.borrowers
    assert limiter.green_acquire()
    assert len(view) == 1
    with pytest.raises(TypeError):
        view[("threading", 0)] = 1
    limiter.green_release()
    assert len(view) == 0


def test_second_acquire_by_same_task_raises(impl, world):
    limiter = impl.CapacityLimiter(2)
    ops = world.ops
    message = (
        "the current task is already holding one of"
        " this capacity limiter's tokens"
    )

    async def body():
        assert await ops.acquire(limiter)
        errors = []
        for kwargs in ({}, {"blocking": False}):
            with pytest.raises(RuntimeError) as info:
                await ops.acquire(limiter, **kwargs)
            errors.append(str(info.value))
        state = (limiter.borrowed_tokens, limiter.waiting)
        await ops.release(limiter)
        return errors, state

    assert world.call(body) == ([message, message], (1, 0))
    assert limiter.available_tokens == 2


def test_release_by_non_borrower_raises(world, limiter_type):
    limiter = limiter_type(2)
    ops = world.ops
    message = NOT_HOLDING
    holder = world.spawn_hold(limiter)
    assert holder.wait_acquired()

    async def body():
        with pytest.raises(RuntimeError) as info:
            await ops.release(limiter)
        return str(info.value), await ops.call(limiter, "borrowed")

    assert world.call(body) == (message, False)
    assert limiter.borrowed_tokens == 1
    with pytest.raises(RuntimeError, match="not holding any"):
        limiter.green_release()
    holder.release()
    assert holder.result()
    assert limiter.available_tokens == 2
    with pytest.raises(RuntimeError, match="not holding any"):
        limiter.green_release()
    assert limiter.available_tokens == 2


def test_waiting_and_handoff(world, limiter_type):
    limiter = limiter_type(2)
    log = []
    holders = [world.spawn_hold(limiter, log=log, name=i) for i in range(2)]
    for holder in holders:
        assert holder.wait_acquired()
    waiters = []
    for i in range(2, 5):
        waiters.append(world.spawn_hold(limiter, log=log, name=i))
        wait_waiting(limiter, i - 1)
    assert parse(limiter)[2] == "available_tokens=0, waiting=3"
    assert limiter.borrowed_tokens == 2
    holders[0].release()
    assert waiters[0].wait_acquired()
    assert limiter.available_tokens == 0
    holders[1].release()
    assert waiters[1].wait_acquired()
    for holder in waiters[:2]:
        holder.release()
    assert waiters[2].wait_acquired()
    waiters[2].release()
    for holder in holders + waiters:
        assert holder.result() is True
    assert sorted(log[:2]) == [0, 1]
    assert log[2:] == [2, 3, 4]
    assert limiter.available_tokens == 2
    assert limiter.waiting == 0
    assert dict(limiter.borrowers) == {}


def test_timeout(world, limiter_type):
    limiter = limiter_type(1)
    ops = world.ops
    holder = world.spawn_hold(limiter)
    assert holder.wait_acquired()

    async def body():
        return (
            await ops.acquire(limiter, timeout=0.02),
            limiter.waiting,
            await ops.call(limiter, "borrowed"),
        )

    assert world.call(body) == (False, 0, False)
    assert len(limiter.borrowers) == 1
    holder.release()
    assert holder.result()
    assert limiter.available_tokens == 1


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc",
    [(-1, ValueError), (math.nan, ValueError), ("x", TypeError)],
)
def test_bad_timeout_rejected_even_uncontended(
    world, limiter_type, timeout, exc
):
    limiter = limiter_type(1)
    ops = world.ops

    async def body():
        with pytest.raises(exc):
            await ops.acquire(limiter, timeout=timeout)
        return limiter.available_tokens, dict(limiter.borrowers)

    assert world.call(body) == (1, {})


def test_context_manager(world, limiter_type):
    limiter = limiter_type(1)
    ops = world.ops

    async def body():
        async with ops.using(limiter) as entered:
            inside = (entered is limiter, limiter.borrowed_tokens)
        with pytest.raises(LookupError):
            async with ops.using(limiter):
                raise LookupError
        return inside, limiter.available_tokens

    assert world.call(body) == ((True, 1), 1)


# -- RCapacityLimiter --------------------------------------------------------


def test_rlimiter_reentrancy(impl, world):
    limiter = impl.RCapacityLimiter(2)
    ops = world.ops

    async def body():
        me = world.current_ident()
        seen = []
        assert await ops.acquire(limiter)
        assert await ops.acquire(limiter, 2)
        assert await ops.acquire(limiter, blocking=False)
        seen.append(
            (
                await ops.call(limiter, "count"),
                dict(limiter.borrowers),
                limiter.borrowed_tokens,  # one token per task
                limiter.available_tokens,
            )
        )
        await ops.release(limiter, 3)
        seen.append(
            (await ops.call(limiter, "count"), limiter.borrowed_tokens)
        )
        await ops.release(limiter)
        seen.append(
            (
                await ops.call(limiter, "count"),
                await ops.call(limiter, "borrowed"),
                limiter.available_tokens,
            )
        )
        return me, seen

    me, seen = world.call(body)
    assert seen == [(4, {me: 4}, 1, 1), (1, 1), (0, False, 2)]


def test_rlimiter_released_too_many_times(impl, world):
    limiter = impl.RCapacityLimiter(1)
    ops = world.ops

    async def body():
        assert await ops.acquire(limiter, 2)
        with pytest.raises(RuntimeError) as info:
            await ops.release(limiter, 3)
        still = await ops.call(limiter, "count")
        await ops.release(limiter, 2)
        with pytest.raises(RuntimeError) as unheld:
            await ops.release(limiter)
        return (
            str(info.value),
            still,
            str(unheld.value),
            limiter.available_tokens,
        )

    assert world.call(body) == (
        "capacity limiter released too many times",
        2,
        NOT_HOLDING,
        1,
    )


@pytest.mark.parametrize("count", [0, -2])
def test_rlimiter_bad_count(impl, world, count):
    limiter = impl.RCapacityLimiter(1)
    ops = world.ops

    async def body():
        with pytest.raises(ValueError, match=r"^count must be >= 1$"):
            await ops.acquire(limiter, count)
        free = limiter.available_tokens
        assert await ops.acquire(limiter)
        with pytest.raises(ValueError, match=r"^count must be >= 1$"):
            await ops.release(limiter, count)
        held = await ops.call(limiter, "count")
        await ops.release(limiter)
        return free, held, limiter.available_tokens

    assert world.call(body) == (1, 1, 1)


def test_rlimiter_count_of_other_task(impl, world):
    limiter = impl.RCapacityLimiter(2)
    ops = world.ops
    holder = world.spawn_hold(limiter, 3)
    assert holder.wait_acquired()

    async def body():
        return (
            await ops.call(limiter, "count"),
            await ops.call(limiter, "borrowed"),
            sorted(limiter.borrowers.values()),
        )

    assert world.call(body) == (0, False, [3])
    assert limiter.green_count() == 0
    holder.release()
    assert holder.result()
    assert limiter.available_tokens == 2


def test_rlimiter_waiter_gets_its_count(impl):
    limiter = impl.RCapacityLimiter(1)
    with support.World("threading") as world:
        holder = world.spawn_hold(limiter, 2)
        assert holder.wait_acquired()
        waiter = world.spawn_hold(limiter, 3)
        wait_until(lambda: limiter.waiting == 1)
        holder.release()
        assert waiter.wait_acquired()
        assert sorted(limiter.borrowers.values()) == [3]
        waiter.release()
        assert holder.result() and waiter.result()
    assert limiter.available_tokens == 1
    assert dict(limiter.borrowers) == {}


@pytest.mark.parametrize("value", ["1", None, [], 1j])
def test_constructor_rejects_non_numbers(limiter_type, value):
    with pytest.raises(TypeError):
        limiter_type(value)


@pytest.mark.parametrize("count", ["1", None])
def test_rlimiter_rejects_non_number_count(impl, count):
    limiter = impl.RCapacityLimiter(1)
    with pytest.raises(TypeError):
        limiter.green_acquire(count)
    assert dict(limiter.borrowers) == {}
    assert limiter.available_tokens == 1
    assert limiter.green_acquire()
    limiter.green_release()
