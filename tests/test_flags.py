# SPDX-License-Identifier: MIT

"""Behaviour of ``Flag``."""

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

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fast_switching():
    """Make GIL builds switch threads as often as they can (races show)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_empty_flag(impl):
    flag = impl.Flag()
    assert not flag
    assert repr(flag) == "aiologic.Flag()"
    with pytest.raises(LookupError) as info:
        flag.get()
    assert info.value.args == (flag,)
    assert flag.get(None) is None
    assert flag.get("x") == "x"
    assert flag.get(default_factory=list) == []
    assert flag.get(1, default_factory=list) == 1  # default wins


def test_initial_marker(impl):
    flag = impl.Flag(42)
    assert flag
    assert repr(flag) == "aiologic.Flag(42)"
    assert flag.get() == 42
    assert flag.get(0, default_factory=list) == 42
    assert impl.Flag(None).get() is None
    assert impl.Flag(marker="m").get() == "m"


def test_set_once(impl):
    flag = impl.Flag()
    marker = object()
    other = object()
    assert flag.set(marker) is True
    assert flag.get() is marker
    assert flag.set(marker) is True  # the same marker again
    assert flag.set(other) is False
    assert flag.set() is False  # a fresh marker never matches
    assert flag.get() is marker


def test_set_without_marker_stores_a_fresh_object(impl):
    flag = impl.Flag()
    assert flag.set() is True
    marker = flag.get()
    assert type(marker) is object
    assert flag.set(marker) is True
    assert re.fullmatch(
        r"aiologic\.Flag\(<object object at 0x[0-9a-fA-F]+>\)", repr(flag)
    )


def test_set_none_is_a_marker(impl):
    flag = impl.Flag()
    assert flag.set(None) is True
    assert flag
    assert flag.get() is None
    assert flag.set(None) is True
    assert flag.set(0) is False


def test_clear(impl):
    flag = impl.Flag(1)
    flag.clear()
    assert not flag
    assert flag.get(None) is None
    flag.clear()  # idempotent
    assert flag.set(2) is True
    assert flag.get() == 2


def test_generic(impl):
    alias = impl.Flag[int]
    flag = alias(5)
    assert type(flag) is impl.Flag
    assert flag.get() == 5


def test_subclass_and_weakref(impl):
    class Custom(impl.Flag):
        pass

    flag = Custom(3)
    assert type(flag) is Custom
    assert repr(flag).endswith(f"{Custom.__qualname__}(3)")
    assert weakref.ref(flag)() is flag


def test_pickle_preserves_marker_with_warning(impl):
    flag = impl.Flag(42)
    with pytest.warns(
        DeprecationWarning,
        match="^Pickling will no longer preserve the state in the future$",
    ):
        data = pickle.dumps(flag)
    clone = pickle.loads(data)
    assert type(clone) is impl.Flag
    assert clone.get() == 42
    assert flag.__getstate__() is None


def test_pickle_empty_flag_does_not_warn(impl):
    # filterwarnings = error: a warning would fail this test
    clone = pickle.loads(pickle.dumps(impl.Flag()))
    assert not clone


def test_copy_preserves_marker_with_warning(impl):
    marker = object()
    flag = impl.Flag(marker)
    with pytest.warns(
        DeprecationWarning,
        match="^Copying will no longer preserve the state in the future$",
    ):
        clone = copy.copy(flag)
    assert clone is not flag
    assert clone.get() is marker
    clone.clear()
    assert flag.get() is marker
    with pytest.warns(DeprecationWarning, match="^Copying will no longer"):
        empty = copy.copy(impl.Flag())
    assert not empty


def test_copy_method_is_deprecated(impl):
    flag = impl.Flag(7)
    with pytest.warns(DeprecationWarning) as record:
        clone = flag.copy()
    messages = [str(w.message) for w in record]
    assert any(m.startswith("Use copy.copy(") for m in messages), messages
    assert (
        "Copying will no longer preserve the state in the future" in messages
    )
    assert clone.get() == 7


def test_usable_from_every_world(world, impl):
    flag = impl.Flag()

    async def body():
        return flag.set("first"), flag.set("second")

    assert world.call(body) == (True, False)
    assert flag.get() == "first"


@pytest.mark.parametrize("seed", support.seeds(5))
def test_race_exactly_one_setter_wins(fast_switching, impl, seed):
    rng = random.Random(seed)
    n = 16
    flag = impl.Flag()
    start = threading.Barrier(n)
    results = {}

    def setter(i):
        start.wait()
        if rng.random() < 0.5:
            marker = ("marker", i)
            results[i] = (flag.set(marker), marker)
        else:
            results[i] = (flag.set(), None)

    threads = [threading.Thread(target=setter, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    winners = [i for i, (won, _) in results.items() if won]
    assert len(winners) == 1
    won_marker = results[winners[0]][1]
    if won_marker is not None:
        assert flag.get() is won_marker
    # a losing explicit marker never matches the stored one
    for won, marker in results.values():
        if not won and marker is not None:
            assert flag.get() is not marker


@pytest.mark.parametrize("seed", support.seeds(3))
def test_race_set_and_clear(fast_switching, impl, seed):
    # a set() that returns True stored its marker into an empty flag, and
    # only clear() empties it: so at most one more success than clears,
    # and whatever is stored at the end was stored by a successful set()
    rng = random.Random(seed)
    flag = impl.Flag()
    n = 6
    rounds = 2000
    start = threading.Barrier(n + 1)
    stored = []
    clears = []

    def setter(i):
        start.wait()
        for r in range(rounds):
            marker = (i, r)
            if flag.set(marker):
                stored.append(marker)

    def clearer():
        start.wait()
        for _ in range(rounds):
            if rng.random() < 0.5:
                flag.clear()
                clears.append(None)

    threads = [threading.Thread(target=setter, args=(i,)) for i in range(n)]
    threads.append(threading.Thread(target=clearer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 1 <= len(stored) <= len(clears) + 1
    final = flag.get(None)
    assert final is None or any(final is marker for marker in stored)
