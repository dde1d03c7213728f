# SPDX-License-Identifier: MIT

"""Behaviour of ``ResourceGuard`` and ``BusyResourceError``."""

from __future__ import annotations

import copy
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


GUARD_REPR = re.compile(
    r"<(?P<name>[\w.<>]+)\((?P<args>[^)]*)\) at 0x[0-9a-fA-F]+"
    r" \[(?P<state>[^\]]*)\]>"
)


def parse(obj):
    match = GUARD_REPR.fullmatch(repr(obj))
    assert match is not None, repr(obj)
    return match.group("name"), match.group("args"), match.group("state")


def test_busy_resource_error(impl):
    assert issubclass(impl.BusyResourceError, RuntimeError)
    exc = impl.BusyResourceError("x")
    assert weakref.ref(exc)() is exc


def test_defaults(impl):
    guard = impl.ResourceGuard()
    assert guard.action == "using"
    assert not guard
    assert parse(guard) == ("aiologic.ResourceGuard", "'using'", "unlocked")


def test_custom_action(impl):
    guard = impl.ResourceGuard(action="reading from")
    assert guard.action == "reading from"
    assert parse(guard)[1] == "'reading from'"


def test_positional_argument_rejected(impl):
    for args in (("using",), (None,), (1,)):
        with pytest.raises(ValueError) as info:
            impl.ResourceGuard(*args)
        assert (
            str(info.value) == "the first argument should not have been passed"
        )
    # the DEFAULT sentinel itself is accepted (pickles pass it)
    guard = impl.ResourceGuard(impl.meta.DEFAULT, "x")
    assert guard.action == "x"


def test_enter_exit(impl):
    guard = impl.ResourceGuard()
    with guard as entered:
        assert entered is guard
        assert guard
        assert parse(guard)[2] == "locked"
        with pytest.raises(impl.BusyResourceError) as info, guard:
            pass  # pragma: no cover
        assert str(info.value) == "another task is already using this resource"
        assert guard  # the failed entry did not release it
    assert not guard
    assert parse(guard)[2] == "unlocked"
    with guard:
        pass


def test_exit_on_exception(impl):
    guard = impl.ResourceGuard(action="writing to")
    with pytest.raises(KeyError), guard:
        raise KeyError
    assert not guard
    message = "^another task is already writing to this resource$"
    with guard, pytest.raises(impl.BusyResourceError, match=message):
        guard.__enter__()


def test_no_async_context_manager(impl):
    assert not hasattr(impl.ResourceGuard, "__aenter__")


def test_subclass_and_weakref(impl):
    class Custom(impl.ResourceGuard):
        pass

    guard = Custom(action="x")
    assert type(guard) is Custom
    assert parse(guard)[0].endswith(Custom.__qualname__)
    assert weakref.ref(guard)() is guard


def test_pickle_gives_fresh_guard(impl):
    guard = impl.ResourceGuard(action="sending")
    assert guard.__getnewargs__() == (impl.meta.DEFAULT, "sending")
    assert guard.__getstate__() is None
    with guard:
        clone = pickle.loads(pickle.dumps(guard))
    assert type(clone) is impl.ResourceGuard
    assert clone.action == "sending"
    assert not clone


@pytest.mark.differs_from_0171
def test_copy_gives_fresh_guard(impl):
    guard = impl.ResourceGuard(action="sending")
    with guard:
        clone = copy.copy(guard)
        assert clone is not guard
        assert clone.action == "sending"
        assert not clone
        with clone:
            pass
    assert copy.copy(impl.ResourceGuard()).action == "using"


def test_busy_across_worlds(world, impl):
    # a task of any world holding the guard makes others fail at once
    guard = impl.ResourceGuard()
    gate = world.gate()

    async def holder():
        with guard:
            await gate.wait()
        return True

    task = world.spawn(holder)
    wait_until(lambda: bool(guard))
    with pytest.raises(impl.BusyResourceError), guard:
        pass  # pragma: no cover
    gate.open()
    assert task.result() is True
    assert not guard


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_never_two_inside(fast_switching, impl, seed):
    rng = random.Random(seed)
    guard = impl.ResourceGuard()
    n = 8
    rounds = 3000
    inside = []
    entered = []
    busy = []
    overlaps = []
    start = threading.Barrier(n)

    def worker():
        start.wait()
        for _ in range(rounds):
            try:
                with guard:
                    inside.append(None)
                    if len(inside) != 1:
                        overlaps.append(len(inside))
                    if rng.random() < 0.01:
                        threading.Event().wait(0.0001)
                    inside.pop()
                    entered.append(None)
            except impl.BusyResourceError:
                busy.append(None)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps == []
    assert len(entered) + len(busy) == n * rounds
    assert entered
    assert not guard
