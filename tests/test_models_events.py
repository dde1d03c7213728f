# SPDX-License-Identifier: MIT

"""Model-based tests of events, barriers, ``Flag`` and ``ResourceGuard``.

See ``test_models.py`` for the actors and the rules of the game. The
models: ``Event``/``REvent`` (a flag and the waiters it wakes, all at
once), ``CountdownEvent`` (a value; waiters pass at zero), ``Barrier``,
``RBarrier`` and ``Latch`` (arrivals in order, the index each gets, a
broken state that a timeout or a cancellation causes), and the two
non-blocking primitives, whose calls come from every actor.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule
from test_models import (
    BLOCK,
    IGNORE_REGISTER_RANDOM,
    TIMED,
    TINY,
    Model,
    actors_fixture,  # noqa: F401 - the fixture `actors`
    run_machine,
    when,
)

pytestmark = [pytest.mark.timeout(120), IGNORE_REGISTER_RANDOM]

WAIT_MODES = st.sampled_from((BLOCK, BLOCK, TIMED))
# a timeout breaks a barrier: rarer, so that phases get completed
BARRIER_MODES = st.sampled_from((BLOCK,) * 6 + (TIMED,))


def waiter(obj, mode):
    async def fn(ops):
        if mode == TIMED:
            return await ops.wait(obj, TINY)
        return await ops.wait(obj)

    return fn


def calling(method, *args):
    async def fn(ops):
        return method(*args)

    return fn


class EventModel(Model):
    """Event, REvent and CountdownEvent: a value and its waiters."""

    name = None

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.event = None
        self.value = 1  # the event is set when the value is 0
        self.waiters = []

    @initialize(initial=st.integers(0, 2))
    def create(self, initial):
        if self.name == "CountdownEvent":
            self.event = self.impl.CountdownEvent(initial)
            self.value = initial
        else:
            self.event = getattr(self.impl, self.name)()

    def _wake_all(self):
        woken, self.waiters = self.waiters, []
        for i in woken:
            self.finish(i, True)

    @when(lambda self: self.idle())
    @rule(data=st.data(), mode=WAIT_MODES)
    def wait(self, data, mode):
        i = self.pick(data, self.idle())
        fn = waiter(self.event, mode)
        if self.value == 0:
            self.expect(i, fn, True)
        elif mode == BLOCK:
            self.start(
                i, fn, lambda: self.event.waiting, len(self.waiters) + 1
            )
            self.waiters.append(i)
        else:
            self.expect(i, fn, False)

    @rule(data=st.data(), count=st.integers(0, 2))
    def change(self, data, count):
        """set() / up(count) / down() / clear() from some actor."""
        i = self.pick(data, self.idle())
        event = self.event
        if self.name != "CountdownEvent":
            clear = self.name == "REvent" and data.draw(
                st.booleans(), label="clear"
            )
            if clear:
                self.expect(i, calling(event.clear), None)
                self.value = 1
            else:
                self.expect(i, calling(event.set), None)
                self.value = 0
                self._wake_all()
            return
        action = data.draw(st.sampled_from(("up", "down", "clear")))
        if action == "up":
            self.expect(i, calling(event.up, count), None)
            self.value += count
        elif action == "clear":
            self.expect(i, calling(event.clear), None)
            self.value = 0
            self._wake_all()
        elif self.value == 0:
            error = (RuntimeError, "down() called too many times")
            self.expect(i, calling(event.down), error=error)
        else:
            self.expect(i, calling(event.down), None)
            self.value -= 1
            if self.value == 0:
                self._wake_all()

    @when(lambda self: self.cancellable_waiters(self.waiters))
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        i = self.pick(data, self.cancellable_waiters(self.waiters))
        self.cancel(i)
        self.waiters.remove(i)

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        event = self.event
        assert event.waiting == len(self.waiters), event
        if self.name == "CountdownEvent":
            assert event.value == self.value, event
            assert bool(event) == (self.value == 0), event
        else:
            assert event.is_set() == (self.value == 0), event

    def drain(self):
        if self.waiters:
            self.change_to_zero()

    def change_to_zero(self):
        event = self.event
        method = event.clear if self.name == "CountdownEvent" else event.set
        self.expect(None, calling(method), None)
        self.value = 0
        self._wake_all()


class BarrierModel(Model):
    """Barrier, RBarrier and Latch: arrivals, indexes and breaking."""

    name = None

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.barrier = None
        self.parties = 0
        self.arrived = []
        self.broken = False
        self.drained = False  # Latch: filled once, passes everybody

    @initialize(parties=st.integers(1, 4))
    def create(self, parties):
        self.barrier = getattr(self.impl, self.name)(parties)
        self.parties = parties
        self.broken_error = (self.impl.BrokenBarrierError, "")

    def _result(self, index):
        return None if self.name == "Latch" else index

    def _release_all(self, last):
        arrived, self.arrived = self.arrived, []
        for index, i in enumerate(arrived):
            self.finish(i, self._result(index))
        if self.name == "Latch":
            self.drained = True
        return self._result(len(arrived) - 1 + last)

    def _break(self):
        self.broken = True
        arrived, self.arrived = self.arrived, []
        for i in arrived:
            self.finish(i, error=self.broken_error)

    @when(lambda self: self.idle())
    @rule(data=st.data(), mode=BARRIER_MODES)
    def wait(self, data, mode):
        i = self.pick(data, self.idle())
        fn = waiter(self.barrier, mode)
        if self.broken:
            self.expect(i, fn, error=self.broken_error)
        elif self.drained:
            self.expect(i, fn, None)
        elif len(self.arrived) + 1 == self.parties:
            result = self._result(len(self.arrived))
            self.expect(i, fn, result)
            self._release_all(0)
        elif mode == BLOCK:
            self.start(
                i, fn, lambda: self.barrier.waiting, len(self.arrived) + 1
            )
            self.arrived.append(i)
        else:
            # a timeout breaks the barrier for everybody
            self.expect(i, fn, error=self.broken_error)
            self._break()

    @rule(data=st.data())
    def abort_or_reset(self, data):
        # rare: an abort of a Barrier or a Latch is final
        if data.draw(st.integers(0, 3), label="abort") != 0:
            return
        i = self.pick(data, self.idle())
        reset = self.name == "RBarrier" and data.draw(
            st.booleans(), label="reset"
        )
        if reset:
            self.expect(i, calling(self.barrier.reset), None)
            arrived, self.arrived = self.arrived, []
            for j in arrived:
                self.finish(j, error=self.broken_error)
            self.broken = False
        else:
            self.expect(i, calling(self.barrier.abort), None)
            self._break()

    @when(lambda self: self.cancellable_waiters(self.arrived))
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        i = self.pick(data, self.cancellable_waiters(self.arrived))
        self.cancel(i)
        self.arrived.remove(i)
        self._break()

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        barrier = self.barrier
        assert barrier.waiting == len(self.arrived), barrier
        assert barrier.broken == self.broken, barrier
        assert barrier.parties == self.parties

    def drain(self):
        if self.arrived:
            self.expect(None, calling(self.barrier.abort), None)
            self._break()


class FlagGuardModel(Model):
    """Flag and ResourceGuard: non-blocking calls from every actor."""

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.flag = impl.Flag()
        self.marker = None  # None: empty
        self.guard = impl.ResourceGuard(action="testing")
        self.user = None  # the actor inside the guard

    @rule(data=st.data(), marker=st.integers(0, 3))
    def flag_set(self, data, marker):
        i = self.pick(data, self.idle())
        expected = self.marker is None or self.marker == marker
        self.expect(i, calling(self.flag.set, marker), expected)
        if self.marker is None:
            self.marker = marker

    @rule(data=st.data())
    def flag_get_clear(self, data):
        i = self.pick(data, self.idle())
        if data.draw(st.booleans(), label="clear"):
            self.expect(i, calling(self.flag.clear), None)
            self.marker = None
        else:
            expected = -1 if self.marker is None else self.marker
            self.expect(i, calling(self.flag.get, -1), expected)

    @rule(data=st.data())
    def guard_enter(self, data):
        i = self.pick(data, self.idle())
        if self.user is None:
            self.expect(i, calling(self.guard.__enter__), self.guard)
            self.user = i
        else:
            error = (
                self.impl.BusyResourceError,
                "another task is already testing this resource",
            )
            self.expect(i, calling(self.guard.__enter__), error=error)

    @when(lambda self: self.user is not None)
    @rule()
    def guard_exit(self):
        exit_ = self.guard.__exit__
        self.expect(self.user, calling(exit_, None, None, None), None)
        self.user = None

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        assert bool(self.flag) == (self.marker is not None), self.flag
        assert self.flag.get(None) == self.marker, self.flag
        assert bool(self.guard) == (self.user is not None), self.guard

    def drain(self):
        pass


@pytest.mark.parametrize("name", ("Event", "REvent", "CountdownEvent"))
def test_event_model(impl, actors, name):
    machine = type(f"EventModel_{name}", (EventModel,), {"name": name})
    run_machine(machine, impl, actors)


@pytest.mark.parametrize("name", ("Barrier", "RBarrier", "Latch"))
def test_barrier_model(impl, actors, name):
    machine = type(f"BarrierModel_{name}", (BarrierModel,), {"name": name})
    run_machine(machine, impl, actors)


def test_flag_and_guard_model(impl, actors):
    run_machine(FlagGuardModel, impl, actors)
