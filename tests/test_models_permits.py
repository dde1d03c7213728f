# SPDX-License-Identifier: MIT

"""Model-based tests of the permit family (see ``test_models.py``).

``Lock``, ``RLock``, ``Semaphore``, ``BoundedSemaphore``,
``CapacityLimiter`` and ``RCapacityLimiter`` share one model: the free
permits, the holders (per task where the primitive is owned, with a count
where it is reentrant) and the FIFO of waiters, to which a release hands
its permit directly. A release raced by the cancellation of the waiter it
woke must end with the permit held by that waiter or free again.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule
from test_models import (
    BLOCK,
    CANCELLED,
    IGNORE_REGISTER_RANDOM,
    MODES,
    OK,
    Model,
    acquirer,
    actors_fixture,  # noqa: F401 - the fixture `actors`
    releaser,
    run_machine,
    when,
)

pytestmark = [pytest.mark.timeout(120), IGNORE_REGISTER_RANDOM]


class Kind:
    """How one member of the permit family behaves."""

    def __init__(
        self,
        name,
        make,
        owned=True,
        reentrant=False,
        bounded=False,
        held_error=None,
        not_held_error=None,
        unlocked_error=None,
        over_error=None,
    ):
        self.name = name
        self.make = make
        self.owned = owned
        self.reentrant = reentrant
        self.bounded = bounded
        self.held_error = held_error
        self.not_held_error = not_held_error
        self.unlocked_error = unlocked_error or not_held_error
        self.over_error = over_error

    def __repr__(self):
        return self.name


_LIMITER_HELD = (
    "the current task is already holding one of this capacity limiter's tokens"
)
_LIMITER_NOT_HELD = (
    "the current task is not holding any of this capacity limiter's tokens"
)

PERMIT_KINDS = [
    Kind(
        "Lock",
        lambda impl, n: impl.Lock(),
        held_error=(
            RuntimeError,
            "the current task is already holding this lock",
        ),
        not_held_error=(
            RuntimeError,
            "the current task is not holding this lock",
        ),
        unlocked_error=(RuntimeError, "release unlocked lock"),
    ),
    Kind(
        "RLock",
        lambda impl, n: impl.RLock(),
        reentrant=True,
        not_held_error=(
            RuntimeError,
            "the current task is not holding this lock",
        ),
        unlocked_error=(RuntimeError, "release unlocked lock"),
        over_error=(RuntimeError, "lock released too many times"),
    ),
    Kind("Semaphore", lambda impl, n: impl.Semaphore(n), owned=False),
    Kind(
        "BoundedSemaphore",
        lambda impl, n: impl.BoundedSemaphore(n, n + 1),
        owned=False,
        bounded=True,
        over_error=(RuntimeError, "semaphore released too many times"),
    ),
    Kind(
        "CapacityLimiter",
        lambda impl, n: impl.CapacityLimiter(n),
        held_error=(RuntimeError, _LIMITER_HELD),
        not_held_error=(RuntimeError, _LIMITER_NOT_HELD),
    ),
    Kind(
        "RCapacityLimiter",
        lambda impl, n: impl.RCapacityLimiter(n),
        reentrant=True,
        not_held_error=(RuntimeError, _LIMITER_NOT_HELD),
        over_error=(
            RuntimeError,
            "capacity limiter released too many times",
        ),
    ),
]


class PermitModel(Model):
    """Permits handed FIFO to waiters; per-task holders where owned."""

    kind = None  # set by the subclass per Kind

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.prim = None
        self.free = 0  # permits available
        self.limit = None  # BoundedSemaphore: max value
        self.holders = {}  # actor -> count (reentrant) or permits held
        self.waiters = []  # FIFO of (actor, count)

    @rule()
    def noop(self):
        pass

    @initialize(capacity=st.integers(1, 3))
    def create(self, capacity):
        kind = self.kind
        if kind.name in ("Lock", "RLock"):
            capacity = 1
        self.prim = kind.make(self.impl, capacity)
        self.free = capacity
        if kind.bounded:
            self.limit = capacity + 1
            # one permit more than the value: release() may add one
            self.prim.release()
            self.free += 1

    def _counter(self):
        return self.prim.waiting

    # -- rules -----------------------------------------------------------

    @when(lambda self: self.idle())
    @rule(data=st.data(), mode=MODES, count=st.integers(1, 2))
    def acquire(self, data, mode, count):
        kind = self.kind
        i = self.pick(data, self.idle())
        count = count if kind.reentrant else None
        fn = acquirer(self.prim, mode, count)
        if kind.owned and i in self.holders:
            if kind.reentrant:
                self.expect(i, fn, True)
                self.holders[i] += count
            else:
                self.expect(i, fn, error=kind.held_error)
            return
        if self.free > 0:
            assert not self.waiters
            self.expect(i, fn, True)
            self.free -= 1
            self.holders[i] = self.holders.get(i, 0) + (count or 1)
        elif mode == BLOCK:
            self.start(i, fn, self._counter, len(self.waiters) + 1)
            self.waiters.append((i, count or 1))
        else:
            self.expect(i, fn, False)

    def _hand_over(self, permits):
        """Release ``permits``: wake FIFO waiters, the rest become free."""
        woken = self.waiters[:permits]
        del self.waiters[:permits]
        self.free += permits - len(woken)
        for i, count in woken:
            self.holders[i] = self.holders.get(i, 0) + count
        return woken

    def _finish_woken(self, woken):
        for i, _ in woken:
            self.finish(i, True)

    @when(lambda self: self.idle() or not self.kind.owned)
    @rule(data=st.data(), count=st.integers(1, 3))
    def release(self, data, count):
        kind = self.kind
        if kind.owned:
            i = self.pick(data, self.idle())
            if i not in self.holders:
                error = (
                    kind.unlocked_error
                    if not self.holders
                    else kind.not_held_error
                )
                args = (count,) if kind.reentrant else ()
                self.expect(i, releaser(self.prim, *args), error=error)
                return
            if kind.reentrant:
                if count > self.holders[i]:
                    self.expect(
                        i,
                        releaser(self.prim, count),
                        error=kind.over_error,
                    )
                    return
                self.expect(i, releaser(self.prim, count), None)
                self.holders[i] -= count
                if self.holders[i]:
                    return
            else:
                self.expect(i, releaser(self.prim), None)
            del self.holders[i]
            self._finish_woken(self._hand_over(1))
            return
        # semaphores: any task releases any number of permits
        i = self.pick(data, self.idle())
        if kind.bounded and self.free + count > self.limit:
            self.expect(i, releaser(self.prim, count), error=kind.over_error)
            return
        self.expect(i, releaser(self.prim, count), None)
        self._take_back(count)
        self._finish_woken(self._hand_over(count))

    def _take_back(self, count):
        # semaphores have no owners: forget ``count`` held permits
        for i in sorted(self.holders):
            taken = min(count, self.holders[i])
            self.holders[i] -= taken
            count -= taken
            if not self.holders[i]:
                del self.holders[i]

    @when(lambda self: self.cancellable_waiters(i for i, _ in self.waiters))
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        waiters = [i for i, _ in self.waiters]
        i = self.pick(data, self.cancellable_waiters(waiters))
        self.cancel(i)
        del self.waiters[waiters.index(i)]

    @when(
        lambda self: (
            self.kind.owned
            and self.idle()
            and len(self.waiters) == 1
            and self.actors[self.waiters[0][0]].cancellable
        )
    )
    @rule(data=st.data())
    def release_then_cancel_woken(self, data):
        """Release to the only waiter and cancel it at once.

        Either outcome is right; both must end with the permit free again
        (and so with the same state, which keeps the examples replayable).
        """
        i = self.pick(data, self.holders)
        args = (self.holders[i],) if self.kind.reentrant else ()
        self.expect(i, releaser(self.prim, *args), None)
        del self.holders[i]
        first, count = self.waiters.pop(0)
        kind, result = self.cancel_racing(first)
        if kind == OK:
            # it ran before the cancellation arrived: it holds the permit
            assert result is True, result
            self.holders[first] = count
            assert self.prim.waiting == 0
            args = (count,) if self.kind.reentrant else ()
            self.expect(first, releaser(self.prim, *args), None)
            del self.holders[first]
        else:
            assert kind == CANCELLED, (kind, result)
        # the permit is back
        self.free += 1

    # -- the comparison ---------------------------------------------------

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        prim = self.prim
        name = self.kind.name
        assert prim.waiting == len(self.waiters), (prim, self.waiters)
        if self.waiters:
            assert self.free == 0
        if name in ("Lock", "RLock"):
            assert prim.locked() == bool(self.holders), prim
            owner = next(iter(self.holders), None)
            expected = None if owner is None else self.actors[owner].ident
            assert prim.owner == expected, prim
            if name == "RLock":
                assert prim.count == self.holders.get(owner, 0), prim
        elif name.endswith("Semaphore"):
            assert prim.value == self.free, (prim, self.free)
            if self.kind.bounded:
                assert prim.max_value == self.limit
        else:
            assert prim.available_tokens == self.free, prim
            borrowers = {
                self.actors[i].ident: count
                for i, count in self.holders.items()
            }
            if name == "CapacityLimiter":
                borrowers = dict.fromkeys(borrowers, 1)
            assert dict(prim.borrowers) == borrowers, prim
            assert prim.borrowed_tokens == len(borrowers), prim

    def drain(self):
        for i in self.cancellable_waiters([i for i, _ in self.waiters]):
            self.cancel(i)
            self.waiters = [w for w in self.waiters if w[0] != i]
        while self.waiters:
            if not self.kind.owned:
                # one permit at a time stays within a bound
                self.expect(None, releaser(self.prim, 1), None)
                self._finish_woken(self._hand_over(1))
                continue
            i = next(i for i in self.holders if i not in self.busy)
            count = self.holders.pop(i)
            args = (count,) if self.kind.reentrant else ()
            self.expect(i, releaser(self.prim, *args), None)
            self._finish_woken(self._hand_over(1))


def _machine(base, **attrs):
    return type(f"{base.__name__}_{attrs['kind'].name}", (base,), attrs)


@pytest.mark.parametrize("kind", PERMIT_KINDS, ids=repr)
def test_permit_model(impl, actors, kind):
    run_machine(_machine(PermitModel, kind=kind), impl, actors)
