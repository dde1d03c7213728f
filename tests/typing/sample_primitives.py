# SPDX-License-Identifier: MIT

"""Typed use of locks, semaphores, events, flags, conditions, barriers
and the low-level functions, checked by mypy --strict and basedpyright.

Never run: pytest does not collect ``sample_*`` files.
"""

from __future__ import annotations

from typing import Callable

from typing_extensions import assert_type

import aiologic
from aiologic.lowlevel import (
    AsyncEvent,
    GreenEvent,
    async_checkpoint,
    create_async_event,
    create_green_event,
    current_async_task_ident,
    current_green_library,
    current_green_task_ident,
    green_checkpoint,
)


def green_locks() -> None:
    lock = aiologic.Lock()
    with lock as held:
        assert_type(held, aiologic.Lock)
    assert_type(lock.green_acquire(timeout=1.0), bool)
    lock.green_release()
    assert_type(lock.owner, "tuple[str, int] | None")

    rlock = aiologic.RLock()
    with rlock as rheld:
        assert_type(rheld, aiologic.RLock)
    assert_type(rlock.green_acquire(2, blocking=False), bool)
    rlock.green_release(2)
    assert_type(rlock.count, int)

    sem = aiologic.BoundedSemaphore(2)
    with sem as s:
        assert_type(s, aiologic.BoundedSemaphore)
    assert_type(sem.max_value, int)

    limiter = aiologic.CapacityLimiter(3)
    with limiter:
        assert_type(limiter.available_tokens, int)

    rw = aiologic.RWLock()
    with rw.reader as reader:
        assert_type(reader.rwlock, aiologic.RWLock)
        assert_type(reader.locked(), bool)
    with rw.writer as writer:
        assert_type(writer.owner, "tuple[str, int] | None")


async def async_locks() -> None:
    lock = aiologic.Lock()
    async with lock as held:
        assert_type(held, aiologic.Lock)
    assert_type(await lock.async_acquire(blocking=False), bool)

    sem = aiologic.Semaphore(2)
    async with sem as s:
        assert_type(s, aiologic.Semaphore)
    assert_type(await sem.async_acquire(timeout=0), bool)
    sem.async_release()

    rw = aiologic.RWLock()
    async with rw.writer:
        assert_type(rw.writer.async_owned(), bool)
    async with rw.reader:
        assert_type(rw.readers, int)


def events_and_flags() -> None:
    event = aiologic.Event()
    event.set()
    assert_type(event.wait(1.0), bool)
    assert_type(event.is_set(), bool)

    countdown = aiologic.CountdownEvent(2)
    countdown.down()
    assert_type(countdown.value, int)

    flag: aiologic.Flag[str] = aiologic.Flag()
    assert_type(flag.set("marker"), bool)
    assert_type(flag.get(), str)
    assert_type(flag.get(None), "str | None")
    assert_type(flag.get(default_factory=int), "str | int")


async def async_events() -> None:
    event = aiologic.REvent()
    assert_type(await event, bool)
    assert_type(await event.with_(timeout=0.1), bool)
    event.clear()

    latch = aiologic.Latch(1)
    await latch.with_()
    barrier = aiologic.Barrier(2)
    assert_type(await barrier, int)
    async with barrier as index:
        assert_type(index, int)


def conditions_and_barriers() -> None:
    cond = aiologic.Condition()
    assert_type(cond, aiologic.Condition[aiologic.RLock, Callable[[], int]])
    with cond:
        assert_type(cond.wait(0.1), bool)
        assert_type(cond.notify(), int)
    assert_type(cond.lock, aiologic.RLock)

    lock_cond = aiologic.Condition(aiologic.Lock())
    assert_type(lock_cond.lock, aiologic.Lock)

    barrier = aiologic.RBarrier(2)
    assert_type(barrier.wait(), int)
    barrier.reset()
    try:
        aiologic.Latch(2).wait(0)
    except aiologic.BrokenBarrierError:
        pass


def lowlevel() -> None:
    green: GreenEvent = create_green_event()
    assert_type(green.set(), bool)
    assert_type(green.wait(0.5), bool)
    assert_type(current_green_library(), str)
    assert_type(current_green_task_ident(), "tuple[str, int]")
    green_checkpoint()


async def async_lowlevel() -> None:
    event: AsyncEvent = create_async_event()
    assert_type(event.cancel(), bool)
    assert_type(await event, bool)
    assert_type(await event.with_(1.0), bool)
    assert_type(current_async_task_ident(), "tuple[str, int]")
    await async_checkpoint()
