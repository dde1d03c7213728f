# SPDX-License-Identifier: MIT

"""Behaviour of the semaphore family on every library.

``Semaphore``, ``BoundedSemaphore``, ``BinarySemaphore`` and
``BoundedBinarySemaphore``. Generic acquire behaviour (exclusion, FIFO,
cancellation, checkpoints) is in ``test_contracts.py``.
"""

from __future__ import annotations

import copy
import math
import pickle
import re
import weakref

import pytest
import support
from hypothesis import given, settings
from hypothesis import strategies as st
from support import wait_until, wait_waiting

pytestmark = pytest.mark.timeout(60)

SEM_REPR = re.compile(
    r"<(?P<name>\S+?)\((?P<args>[^)]*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)

FAMILY = (
    "Semaphore",
    "BoundedSemaphore",
    "BinarySemaphore",
    "BoundedBinarySemaphore",
)


def parse(obj):
    match = SEM_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


@pytest.fixture(params=FAMILY)
def sem_type(request, impl):
    return getattr(impl, request.param)


@pytest.fixture
def make_sem(sem_type, impl):
    """Build a ``sem_type`` with ``value`` permits that can take one more."""

    def make(value):
        if issubclass(sem_type, impl.BoundedSemaphore):
            return sem_type(value, max(value, 1))
        return sem_type(value)

    return make


# -- construction ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args, kwargs, expected",
    [
        ("Semaphore", (), {}, ("Semaphore", "1", 1)),
        ("Semaphore", (3,), {}, ("Semaphore", "3", 3)),
        ("Semaphore", (0,), {}, ("Semaphore", "0", 0)),
        ("Semaphore", (2, 5), {}, ("BoundedSemaphore", "2, max_value=5", 2)),
        ("Semaphore", (1, 1), {}, ("BoundedBinarySemaphore", "1", 1)),
        (
            "Semaphore",
            (0, 1),
            {},
            ("BoundedBinarySemaphore", "0, max_value=1", 0),
        ),
        ("BoundedSemaphore", (), {}, ("BoundedBinarySemaphore", "1", 1)),
        ("BoundedSemaphore", (3,), {}, ("BoundedSemaphore", "3", 3)),
        (
            "BoundedSemaphore",
            (2, 5),
            {},
            ("BoundedSemaphore", "2, max_value=5", 2),
        ),
        (
            "BoundedSemaphore",
            (),
            {"max_value": 4},
            ("BoundedSemaphore", "4", 4),
        ),
        (
            "BoundedSemaphore",
            (0, 1),
            {},
            ("BoundedBinarySemaphore", "0, max_value=1", 0),
        ),
        ("BinarySemaphore", (), {}, ("BinarySemaphore", "1", 1)),
        ("BinarySemaphore", (0,), {}, ("BinarySemaphore", "0", 0)),
        ("BinarySemaphore", (1, 1), {}, ("BoundedBinarySemaphore", "1", 1)),
        ("BoundedBinarySemaphore", (), {}, ("BoundedBinarySemaphore", "1", 1)),
        (
            "BoundedBinarySemaphore",
            (0,),
            {},
            ("BoundedBinarySemaphore", "0", 0),
        ),
    ],
)
def test_constructor_type_repr_and_value(impl, name, args, kwargs, expected):
    sem = getattr(impl, name)(*args, **kwargs)
    cls, shown_args, value = expected
    assert type(sem) is getattr(impl, cls)
    repr_name, repr_args, state = parse(sem)
    assert repr_name == "aiologic." + cls
    assert repr_args == shown_args
    assert sem.value == value
    assert sem.initial_value == value
    assert sem.waiting == 0
    if value:
        assert state == f"value={value}"
    else:
        assert state == "value=0, waiting=0"


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("Semaphore", (-1,), "initial_value must be >= 0"),
        ("BoundedSemaphore", (-1, 5), "initial_value must be >= 0"),
        ("BoundedSemaphore", (5, 2), "max_value must be >= initial_value"),
        ("BinarySemaphore", (2,), "initial_value must be 0 or 1"),
        ("BoundedBinarySemaphore", (2,), "initial_value must be 0 or 1"),
        ("BoundedBinarySemaphore", (1, 2), "max_value must be 0 or 1"),
        ("BinarySemaphore", (1, 2), "max_value must be 0 or 1"),
    ],
)
def test_constructor_rejects_bad_values(impl, name, args, message):
    with pytest.raises(ValueError) as info:
        getattr(impl, name)(*args)
    assert str(info.value) == message


def test_bounded_max_value(impl):
    assert impl.BoundedSemaphore(2, 5).max_value == 5
    assert impl.BoundedSemaphore(3).max_value == 3
    assert impl.BoundedSemaphore(max_value=4).initial_value == 4
    assert impl.BoundedBinarySemaphore().max_value == 1
    # max_value defaults to initial_value, also for the binary flavour
    assert impl.BoundedBinarySemaphore(0).max_value == 0
    assert impl.BoundedBinarySemaphore(0, 1).max_value == 1


def test_mro(impl):
    assert impl.BoundedBinarySemaphore.__mro__[:4] == (
        impl.BoundedBinarySemaphore,
        impl.BinarySemaphore,
        impl.BoundedSemaphore,
        impl.Semaphore,
    )


def test_subclass_rejects_max_value(impl):
    class Custom(impl.Semaphore):
        pass

    with pytest.raises(
        TypeError, match=r"^max_value must be None for subclasses"
    ):
        Custom(1, 2)
    sem = Custom(2)
    assert type(sem) is Custom
    assert parse(sem)[0].endswith("Custom")
    assert sem.value == 2


def test_always_truthy(make_sem):
    sem = make_sem(0)
    assert bool(sem) is True
    assert bool(make_sem(1)) is True


def test_weakref(sem_type):
    sem = sem_type()
    assert weakref.ref(sem)() is sem


def test_pickle_and_copy_preserve_args_not_state(impl):
    for sem in (
        impl.Semaphore(3),
        impl.BoundedSemaphore(2, 5),
        impl.BinarySemaphore(1),
        impl.BoundedBinarySemaphore(1),
    ):
        assert sem.green_acquire(blocking=False)
        for clone in (pickle.loads(pickle.dumps(sem)), copy.copy(sem)):
            assert type(clone) is type(sem)
            assert clone.initial_value == sem.initial_value
            assert clone.value == sem.initial_value
            assert getattr(clone, "max_value", None) == getattr(
                sem, "max_value", None
            )
        assert sem.value == sem.initial_value - 1


# -- release -----------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["release", "green_release", "async_release"]
)
def test_release_adds_permits(impl, method):
    sem = impl.Semaphore(0)
    getattr(sem, method)()
    assert sem.value == 1
    getattr(sem, method)(3)
    assert sem.value == 4
    # unbounded and unchecked
    getattr(sem, method)(100)
    assert sem.value == 104


def test_release_zero_is_a_noop(impl):
    sem = impl.Semaphore(2)
    sem.release(0)
    assert sem.value == 2


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "method", ["release", "green_release", "async_release"]
)
def test_release_negative_raises(impl, method):
    sem = impl.Semaphore(2)
    with pytest.raises(ValueError):
        getattr(sem, method)(-1)
    assert sem.value == 2
    sem.release()
    assert sem.value == 3


def test_binary_release_count_must_be_one(impl):
    sem = impl.BinarySemaphore(0)
    with pytest.raises(ValueError, match=r"^count must be 1$"):
        sem.release(2)
    assert sem.value == 0
    sem.release(1)
    assert sem.value == 1


def test_unbounded_binary_semaphore_can_be_over_released(impl):
    sem = impl.BinarySemaphore()
    sem.release()
    sem.release()
    assert sem.value == 3
    assert parse(sem)[2] == "value=3"


@pytest.mark.parametrize(
    "name", ["BoundedSemaphore", "BoundedBinarySemaphore"]
)
def test_bounded_over_release_raises(impl, name):
    sem = getattr(impl, name)(1)
    with pytest.raises(
        RuntimeError, match=r"^semaphore released too many times$"
    ):
        sem.release()
    assert sem.value == 1
    assert sem.green_acquire()
    sem.release()
    assert sem.value == 1


def test_bounded_release_up_to_max(impl):
    sem = impl.BoundedSemaphore(1, 3)
    sem.release()
    sem.release()
    assert sem.value == 3
    with pytest.raises(
        RuntimeError, match=r"^semaphore released too many times$"
    ):
        sem.release()
    assert sem.value == 3


@pytest.mark.differs_from_0171
def test_bounded_release_many_within_max(impl):
    # like threading.BoundedSemaphore.release(n) since Python 3.9
    sem = impl.BoundedSemaphore(1, 5)
    sem.release(3)
    assert sem.value == 4
    with pytest.raises(
        RuntimeError, match=r"^semaphore released too many times$"
    ):
        sem.release(2)
    assert sem.value == 4  # nothing released
    sem.release(1)
    assert sem.value == 5


@pytest.mark.parametrize(
    "name", ["BoundedSemaphore", "BoundedBinarySemaphore"]
)
def test_bounded_release_negative_raises(impl, name):
    sem = getattr(impl, name)(0, 1)
    with pytest.raises(ValueError):
        sem.release(-1)
    assert sem.value == 0
    sem.release()
    assert sem.value == 1


def test_bounded_binary_release_two_raises_and_keeps_value(impl):
    # 0.17.1: ValueError('count must be 1'); with release(n) allowed within
    # max_value (API.md section 3) two permits exceed max_value=1 instead
    sem = impl.BoundedBinarySemaphore(0)
    with pytest.raises((ValueError, RuntimeError)):
        sem.release(2)
    assert sem.value == 0


# -- acquiring ---------------------------------------------------------------


def test_acquire_takes_permits(world, impl):
    sem = impl.Semaphore(2)
    ops = world.ops

    async def body():
        results = [
            await ops.acquire(sem),
            await ops.acquire(sem, blocking=False),
            await ops.acquire(sem, blocking=False),
            await ops.acquire(sem, timeout=0),
        ]
        return results, sem.value, sem.waiting

    assert world.call(body) == ([True, True, False, False], 0, 0)
    assert parse(sem)[2] == "value=0, waiting=0"


def test_no_ownership(world, impl):
    # any task may release; permits are not tied to the acquirer
    sem = impl.Semaphore(1)
    ops = world.ops

    async def body():
        return await ops.acquire(sem)

    assert world.call(body) is True
    assert sem.value == 0
    sem.green_release()
    assert sem.value == 1


def test_release_count_wakes_that_many_waiters(world, impl):
    sem = impl.Semaphore(0)
    ops = world.ops
    log = []

    async def waiter(i):
        assert await ops.acquire(sem)
        log.append(i)
        return i

    tasks = []
    for i in range(4):
        tasks.append(world.spawn(waiter, i))
        wait_waiting(sem, i + 1)
    sem.release(3)
    for task in tasks[:3]:
        task.result()
    assert sorted(log) == [0, 1, 2]
    assert sem.waiting == 1
    assert sem.value == 0
    assert parse(sem)[2] == "value=0, waiting=1"
    assert not tasks[3].done()
    sem.release()
    assert tasks[3].result() == 3
    assert sem.value == 0
    assert sem.waiting == 0


def test_release_hands_permit_to_waiter(world, impl):
    # direct hand-off: the released permit goes to the waiter, never to a
    # newcomer, and value stays 0 meanwhile
    sem = impl.Semaphore(0)
    ops = world.ops
    gate = world.gate()

    async def releaser():
        await gate.wait()
        sem.release()
        return sem.value, sem.waiting, await ops.acquire(sem, blocking=False)

    holder = world.spawn_hold(sem)
    wait_until(lambda: sem.waiting == 1)
    task = world.spawn(releaser)
    gate.open()
    assert task.result() == (0, 0, False)
    assert holder.wait_acquired() is True
    holder.release()
    assert holder.result() is True
    assert sem.value == 1


def test_timeout_returns_false(world, make_sem):
    sem = make_sem(0)
    ops = world.ops

    async def body():
        return await ops.acquire(sem, timeout=0.02), sem.waiting, sem.value

    assert world.call(body) == (False, 0, 0)
    sem.release()
    assert world.call(body) == (True, 0, 0)


@pytest.mark.differs_from_0171
@pytest.mark.parametrize(
    "timeout, exc",
    [(-1, ValueError), (math.nan, ValueError), ("x", TypeError)],
)
def test_bad_timeout_rejected_even_uncontended(world, make_sem, timeout, exc):
    sem = make_sem(1)
    ops = world.ops

    async def body():
        with pytest.raises(exc):
            await ops.acquire(sem, timeout=timeout)
        return sem.value, await ops.acquire(
            sem, blocking=False, timeout=timeout
        )

    assert world.call(body) == (1, True)
    assert sem.value == 0


@pytest.mark.parametrize(
    "timeout, message",
    [
        (-1, "timeout must be non-negative"),
        (math.nan, "timeout must be non-NaN"),
    ],
)
def test_bad_timeout_rejected_when_contended(
    world, make_sem, timeout, message
):
    sem = make_sem(0)
    ops = world.ops

    async def body():
        with pytest.raises(ValueError) as info:
            await ops.acquire(sem, timeout=timeout)
        return str(info.value), sem.waiting, sem.value

    assert world.call(body) == (message, 0, 0)
    sem.release()
    assert sem.value == 1


def test_counting_semaphore_admits_n_holders(world, impl):
    sem = impl.Semaphore(3)
    holders = [world.spawn_hold(sem) for _ in range(3)]
    for holder in holders:
        assert holder.wait_acquired()
    assert sem.value == 0
    extra = world.spawn_hold(sem)
    wait_until(lambda: sem.waiting == 1)
    holders[1].release()
    assert extra.wait_acquired()
    for holder in [*holders, extra]:
        holder.release()
        assert holder.result() is True
    assert sem.value == 3
    assert sem.waiting == 0


def test_context_manager(world, make_sem):
    sem = make_sem(1)
    ops = world.ops

    async def body():
        async with ops.using(sem) as entered:
            inside = (entered is sem, sem.value)
        with pytest.raises(KeyError):
            async with ops.using(sem):
                raise KeyError
        return inside, sem.value

    assert world.call(body) == ((True, 0), 1)


def test_release_from_another_thread_wakes_waiter(lib, impl):
    sem = impl.Semaphore(0)
    with support.World(lib) as world:
        waiter = world.spawn_hold(sem)
        wait_until(lambda: sem.waiting == 1)
        sem.release()  # from the test's thread
        assert waiter.wait_acquired() is True
        waiter.release()
        assert waiter.result() is True
    assert sem.value == 1


# -- model check --------------------------------------------------------------


@settings(max_examples=support.stress(60), deadline=None)
@given(
    initial=st.integers(0, 4),
    extra=st.integers(0, 3),
    steps=st.lists(st.sampled_from(["acquire", "release"]), max_size=30),
)
def test_bounded_semaphore_matches_a_counter(impl, initial, extra, steps):
    # non-blocking acquires and single releases against a plain counter
    sem = impl.BoundedSemaphore(initial, initial + extra)
    if initial + extra <= 1:
        assert type(sem) is impl.BoundedBinarySemaphore
    value = initial
    for step in steps:
        if step == "acquire":
            assert sem.green_acquire(blocking=False) is (value > 0)
            value = max(value - 1, 0)
        elif value < initial + extra:
            sem.release()
            value += 1
        else:
            with pytest.raises(RuntimeError):
                sem.release()
        assert sem.value == value
        assert sem.waiting == 0


@pytest.mark.parametrize("value", ["1", None, [], 1j])
def test_constructor_rejects_non_numbers(sem_type, value):
    with pytest.raises(TypeError):
        sem_type(value)


def test_bounded_rejects_non_number_max_value(impl):
    with pytest.raises(TypeError):
        impl.BoundedSemaphore(1, "2")
