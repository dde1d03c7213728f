# SPDX-License-Identifier: MIT

"""Faults injected into waiters; each primitive must stay usable.

* A waiter whose asyncio loop is closed while it waits can never run
  again: what a release, put or notify hands to it goes to the next
  waiter instead (its event ends up cancelled). A loop that is only
  stopped may run again: its waiter keeps what it was handed and gets it
  when the loop resumes; if that loop is closed instead, what it was
  handed comes back when its coroutine is closed (as the garbage
  collector does). The same for a greenlet of a destroyed gevent hub.
* A trio run torn down (an error or ``KeyboardInterrupt`` in another
  task) while a task waits: the task is cancelled and leaves; a hand-off
  racing with the teardown is kept or passed on, never lost. A wake-up
  of a run that has finished reports failure instead of losing the
  hand-off.
* A thread interrupted by a real ``SIGINT`` while it waits (in a
  subprocess: the signal goes to its main thread): with and without a
  timeout, while blocked and racing with the hand-off.
* A greenlet killed (gevent, eventlet) while it waits and right after it
  was handed something, before it could run.
* Exceptions from user code: a ``Condition.wait_for`` predicate, the
  ``__lt__`` of ``PriorityQueue`` items.
* An exception between queueing a waiter and guarding its wait (as a
  signal handler's ``KeyboardInterrupt`` can raise right after
  ``add_waiter`` returned, or once a queue, an ``RWLock``, a condition or
  a barrier released its internal lock): the entry does not stay, nothing
  handed over in that window is lost, a barrier breaks.

After each fault: nobody is left waiting, permits are back to their
initial value, the next waiter or a newcomer gets the permit or item,
no item is lost or duplicated. Every failure message names the seed of
the seeded runs (``AIOLOGIC_STRESS_SEED`` replays the random choices).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
import support
from support import stress, wait_until

pytestmark = pytest.mark.timeout(120)

#: bound of every wait of these tests
TASK_LIMIT = 10.0


def _base_seed():
    value = os.environ.get("AIOLOGIC_STRESS_SEED", "")
    if value:
        return int(value)
    return random.SystemRandom().randrange(2**32)


@pytest.fixture
def seed(request):
    value = _base_seed()
    request.node.user_properties.append(("seed", value))
    print(f"AIOLOGIC_STRESS_SEED={value}")
    return value


# ---------------------------------------------------------------------------
# the primitives under a fault
#
# A case makes a primitive block its waiters (``hold``), unblocks exactly
# one of them (``give``: a release, a put, a get that makes room, a
# notify, a set), runs a waiter that records what it got and gives back
# what it took (``green_wait``/``async_wait``), and checks the invariants
# at the end (``check``).


class Subject:
    """One primitive under a fault, and what was given and received."""

    def __init__(self, case, aiologic):
        self.case = case
        self.aiologic = aiologic
        self.prim = case.make(aiologic)
        self.given = []  # what give() handed out (or took out)
        self.received = []  # (waiter, what it got)
        self.drained = []  # taken out of a queue by the checks

    def __repr__(self):
        return f"{self.case.name}: {self.prim!r}"


class Case:
    """A permit primitive: acquire, release; the holder owns nothing."""

    #: whether a waiter that got what ``give`` handed keeps it (so that
    #: the next waiter needs another ``give``)
    consumes = False

    def __init__(self, name, make, initial=1):
        self.name = name
        self._make = make
        self.initial = initial

    def __repr__(self):
        return self.name

    def make(self, aiologic):
        return self._make(aiologic)

    def view(self, s):
        return s.prim

    def waiting(self, s):
        return s.prim.waiting

    def hold(self, s):
        for _ in range(self.initial):
            assert self.view(s).green_acquire(blocking=False), s

    def give(self, s):
        self.view(s).green_release()
        s.given.append("permit")

    def green_wait(self, s, name, timeout):
        view = self.view(s)
        ok = view.green_acquire(timeout=timeout)
        if ok:
            s.received.append((name, ok))
            view.green_release()
        return ok

    async def async_wait(self, s, name):
        view = self.view(s)
        ok = await view.async_acquire()
        if ok:
            s.received.append((name, ok))
            view.async_release()
        return ok

    def consumed(self, s, name, result, interrupted):
        return False

    def check(self, s, context):
        view = self.view(s)
        assert self.waiting(s) == 0, f"{context}: {s!r}"
        # exactly the initial permits are free again
        for _ in range(self.initial):
            assert view.green_acquire(blocking=False), f"{context}: {s!r}"
        box = []
        probe = threading.Thread(
            target=lambda: box.append(view.green_acquire(blocking=False))
        )
        probe.start()
        probe.join(TASK_LIMIT)
        assert box == [False], f"{context}: a permit too many: {s!r}"
        for _ in range(self.initial):
            view.green_release()


class LockCase(Case):
    def check(self, s, context):
        super().check(s, context)
        assert not s.prim.locked(), f"{context}: {s!r}"
        assert s.prim.owner is None, f"{context}: {s!r}"


class RWLockCase(Case):
    """A view of an ``RWLock`` waiting while the writer holds it."""

    def __init__(self, name, side):
        super().__init__(name, lambda a: a.RWLock())
        self.side = side

    def view(self, s):
        return getattr(s.prim, self.side)

    def hold(self, s):
        assert s.prim.writer.green_acquire(blocking=False), s

    def give(self, s):
        s.prim.writer.green_release()
        s.given.append("permit")

    def check(self, s, context):
        rw = s.prim
        assert rw.waiting == 0, f"{context}: {s!r}"
        assert not rw.locked(), f"{context}: {s!r}"
        assert rw.readers == 0, f"{context}: {s!r}"
        assert rw.writer.green_acquire(blocking=False), f"{context}: {s!r}"
        rw.writer.green_release()


class EventCase(Case):
    """``Event`` (set) or ``CountdownEvent(1)`` (down)."""

    def hold(self, s):
        pass

    def give(self, s):
        if hasattr(s.prim, "down"):
            s.prim.down()
        else:
            s.prim.set()
        s.given.append("set")

    def green_wait(self, s, name, timeout):
        ok = s.prim.wait(timeout)
        if ok:
            s.received.append((name, ok))
        return ok

    async def async_wait(self, s, name):
        ok = await s.prim
        if ok:
            s.received.append((name, ok))
        return ok

    def check(self, s, context):
        assert s.prim.waiting == 0, f"{context}: {s!r}"
        assert s.prim.wait(0) is True, f"{context}: {s!r}"


class ConditionCase(Case):
    """Waiters in ``with cond: cond.wait()``; ``give`` notifies one (or
    all, with ``every``) under the lock."""

    consumes = True

    def __init__(self, name, every=False):
        super().__init__(name, lambda a: a.Condition())
        self.every = every
        self.consumes = not every

    def hold(self, s):
        pass

    def give(self, s):
        with s.prim:
            if self.every:
                s.prim.notify_all()
            else:
                s.prim.notify()
        s.given.append("notify")

    def green_wait(self, s, name, timeout):
        with s.prim:
            ok = s.prim.wait(timeout)
            # the lock is held again, whatever happened
            assert s.prim.lock.green_owned(), s
            # recorded before the lock is released: an interrupt may
            # still land in that release, after the notification was had
            if ok:
                s.received.append((name, ok))
        return ok

    async def async_wait(self, s, name):
        async with s.prim:
            ok = await s.prim
        if ok:
            s.received.append((name, ok))
        return ok

    def consumed(self, s, name, result, interrupted):
        # notified, even if interrupted afterwards (leaving the `with`)
        return self.consumes and (name, True) in s.received

    def check(self, s, context):
        assert s.prim.waiting == 0, f"{context}: {s!r}"
        lock = s.prim.lock
        assert not lock.locked(), f"{context}: {s!r}"
        assert lock.green_acquire(blocking=False), f"{context}: {s!r}"
        lock.green_release()


class GetCase(Case):
    """Getters of an empty queue; ``give`` puts a fresh item."""

    consumes = True

    def hold(self, s):
        pass

    def give(self, s):
        item = f"item{len(s.given)}"
        s.given.append(item)
        s.prim.green_put(item)

    def green_wait(self, s, name, timeout):
        try:
            item = s.prim.green_get(timeout=timeout)
        except s.aiologic.QueueEmpty:
            return None
        s.received.append((name, item))
        return item

    async def async_wait(self, s, name):
        item = await s.prim.async_get()
        s.received.append((name, item))
        return item

    def consumed(self, s, name, result, interrupted):
        return not interrupted and result is not None

    def check(self, s, context):
        q = s.prim
        assert q.waiting == 0, f"{context}: {s!r}"
        while len(q):
            s.drained.append(q.green_get(blocking=False))
        left = s.drained
        got = [item for _, item in s.received] + left
        assert sorted(got) == sorted(s.given), (
            f"{context}: given {s.given}, received {s.received},"
            f" left in the queue {left}"
        )


class PutCase(Case):
    """Putters of a full ``Queue(maxsize=1)``; ``give`` gets an item."""

    consumes = True

    def hold(self, s):
        s.prim.green_put("fill", blocking=False)

    def give(self, s):
        s.given.append(s.prim.green_get(blocking=False))

    def green_wait(self, s, name, timeout):
        try:
            s.prim.green_put(name, timeout=timeout)
        except s.aiologic.QueueFull:
            return False
        s.received.append((name, True))
        return True

    async def async_wait(self, s, name):
        await s.prim.async_put(name)
        s.received.append((name, True))
        return True

    def consumed(self, s, name, result, interrupted):
        if not interrupted:
            return bool(result)
        # interrupted once its item was accepted: the item stays
        return repr(name) in repr(s.prim)

    def check(self, s, context):
        q = s.prim
        assert q.waiting == 0, f"{context}: {s!r}"
        while len(q):
            s.drained.append(q.green_get(blocking=False))
        got = s.given + s.drained
        stored = [name for name, _ in s.received]
        assert len(set(got)) == len(got), f"{context}: twice: {got}"
        assert "fill" in got, f"{context}: {got}"
        assert set(stored) <= set(got), f"{context}: lost: {got} {stored}"


CASES = {
    case.name: case
    for case in (
        LockCase("Lock", lambda a: a.Lock()),
        LockCase("RLock", lambda a: a.RLock()),
        Case("Semaphore", lambda a: a.Semaphore(1)),
        Case("BoundedSemaphore", lambda a: a.BoundedSemaphore(1)),
        Case("CapacityLimiter", lambda a: a.CapacityLimiter(1)),
        Case("RCapacityLimiter", lambda a: a.RCapacityLimiter(1)),
        RWLockCase("RWLock.writer", "writer"),
        RWLockCase("RWLock.reader", "reader"),
        ConditionCase("Condition"),
        ConditionCase("Condition.notify_all", every=True),
        EventCase("Event", lambda a: a.Event()),
        EventCase("CountdownEvent", lambda a: a.CountdownEvent(1)),
        GetCase("Queue.get", lambda a: a.Queue()),
        GetCase("PriorityQueue.get", lambda a: a.PriorityQueue()),
        GetCase("SimpleQueue.get", lambda a: a.SimpleQueue()),
        PutCase("Queue.put", lambda a: a.Queue(maxsize=1)),
    )
}

#: a waiter that never runs again still counts as notified by notify(1)
#: (nobody can tell it is gone): those faults use notify_all
DEAD_CASES = [name for name in CASES if name != "Condition"]


class Giver(threading.Thread):
    """A thread that holds a primitive (``case.hold``), then gives once
    per ``go()`` (``case.give``)."""

    def __init__(self, s):
        super().__init__(name="giver", daemon=True)
        self.s = s
        self.ready = threading.Event()
        self._requests = []
        self._go = threading.Semaphore(0)
        self.error = None

    def run(self):
        try:
            self.s.case.hold(self.s)
            self.ready.set()
            while True:
                if not self._go.acquire(timeout=TASK_LIMIT * 3):
                    raise RuntimeError("never told to give or stop")
                if self._requests.pop(0) == "stop":
                    return
                self.s.case.give(self.s)
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    def start(self):
        super().start()
        self.ready.wait(TASK_LIMIT)
        self._raise("holding")

    def go(self):
        self._requests.append("give")
        self._go.release()

    def finish(self, context=""):
        self._requests.append("stop")
        self._go.release()
        self.join(TASK_LIMIT)
        assert not self.is_alive(), f"{context}: the giver hangs"
        self._raise(context)

    def _raise(self, context):
        if self.error is not None:
            raise AssertionError(f"{context}: the giver failed") from (
                self.error
            )


class Waiter(threading.Thread):
    """A thread that waits once (``case.green_wait``)."""

    def __init__(self, s, name, timeout=TASK_LIMIT):
        super().__init__(name=name, daemon=True)
        self.s = s
        self.timeout = timeout
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.s.case.green_wait(
                self.s, self.name, self.timeout
            )
        except BaseException as exc:
            self.error = exc

    def outcome(self, context):
        self.join(TASK_LIMIT)
        assert not self.is_alive(), (
            f"{context}: the waiter {self.name} was never served (a"
            f" hand-off was lost): {self.s!r}"
        )
        if self.error is not None:
            raise AssertionError(f"{context}: {self.name} failed") from (
                self.error
            )
        return self.result


def _queue_second(s, count, context):
    """A second waiter, queued behind ``count - 1`` others."""
    second = Waiter(s, "second")
    second.start()
    wait_until(
        lambda: s.case.waiting(s) == count,
        message=lambda: f"{context}: the second waiter never queued: {s!r}",
    )
    return second


def _serve_second(s, second, giver, gives, context):
    """``gives`` more gives; then the second waiter must have got in."""
    for _ in range(gives):
        giver.go()
    result = second.outcome(context)
    assert result, f"{context}: the second waiter got {result!r}: {s!r}"
    giver.finish(context)
    s.case.check(s, context)


# ---------------------------------------------------------------------------
# a. asyncio loops closed or stopped under a waiter


def _forget_task(task):
    # a pending task of a closed loop is never finished: do not log it
    # when it is collected
    if hasattr(task, "_log_destroy_pending"):
        task._log_destroy_pending = False


def _abandon_asyncio_waiter(s):
    """Queue an asyncio waiter, then stop its loop; return both."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(s.case.async_wait(s, "dead"))
    _forget_task(task)

    async def until_queued():
        deadline = time.monotonic() + TASK_LIMIT
        while s.case.waiting(s) < 1:
            assert time.monotonic() < deadline, f"never queued: {s!r}"
            await asyncio.sleep(0.001)

    loop.run_until_complete(until_queued())
    return loop, task


def _close_dead(s, task):
    """Close the coroutine of a task whose loop is closed, as the garbage
    collector does."""
    if isinstance(s.case, ConditionCase):
        # the wait leaves without the lock; then ``async with`` cannot
        # release a lock it does not hold outside any loop
        with pytest.raises(RuntimeError):
            task.get_coro().close()
    else:
        task.get_coro().close()


@pytest.mark.parametrize("name", DEAD_CASES)
def test_waiter_of_closed_asyncio_loop(impl, name):
    """A waiter whose loop was closed is skipped: the next one is served.

    The give must not raise; later, the dead task's coroutine is closed
    (as the garbage collector would) and gives back nothing it never had.
    """
    s = Subject(CASES[name], impl)
    giver = Giver(s)
    giver.start()
    loop, task = _abandon_asyncio_waiter(s)
    loop.close()
    second = _queue_second(s, 2, "closed loop")
    _serve_second(s, second, giver, 1, "closed loop")
    assert "dead" not in dict(s.received), s.received
    _close_dead(s, task)
    s.case.check(s, "closed loop, its coroutine closed")
    assert "dead" not in dict(s.received), s.received


#: the cases in which a waiter handed a permit or an item keeps it
EXCLUSIVE_CASES = [
    "Lock",
    "CapacityLimiter",
    "RWLock.writer",
    "Condition",
    "Queue.get",
    "Queue.put",
]


@pytest.mark.parametrize("name", EXCLUSIVE_CASES)
def test_waiter_of_stopped_asyncio_loop(impl, name):
    """A stopped loop may run again: its waiter keeps what it was handed
    (nobody barges in meanwhile) and gets it when the loop resumes."""
    s = Subject(CASES[name], impl)
    case = s.case
    giver = Giver(s)
    giver.start()
    loop, task = _abandon_asyncio_waiter(s)
    try:
        second = _queue_second(s, 2, "stopped loop")
        giver.go()
        wait_until(lambda: case.waiting(s) == 1, message=lambda: repr(s))
        # the hand-off waits for the loop; the second waiter still waits
        assert second.is_alive(), s
        assert not task.done()
        result = loop.run_until_complete(task)
        assert result, s
        assert ("dead", result) in s.received, s.received
        gives = 1 if case.consumed(s, "dead", result, False) else 0
        _serve_second(s, second, giver, gives, "stopped loop")
    finally:
        loop.close()


@pytest.mark.parametrize("name", EXCLUSIVE_CASES)
def test_waiter_handed_then_loop_closed(impl, name):
    """Handed a permit or an item while its loop was stopped, then the
    loop is closed without running again: when the dead coroutine is
    closed (as the garbage collector does), it is passed on."""
    s = Subject(CASES[name], impl)
    giver = Giver(s)
    giver.start()
    loop, task = _abandon_asyncio_waiter(s)
    second = _queue_second(s, 2, "handed, then closed")
    giver.go()
    wait_until(lambda: s.case.waiting(s) == 1, message=lambda: repr(s))
    loop.close()
    assert second.is_alive(), s
    _close_dead(s, task)
    # (a put accepted at the hand-off stays: the queue is full again)
    gives = int(s.case.consumed(s, "dead", None, True))
    _serve_second(s, second, giver, gives, "handed, then closed")
    assert "dead" not in dict(s.received), s.received


def _abandon_gevent_waiter(s):
    import gevent

    hub = gevent.get_hub()
    glet = gevent.spawn(s.case.green_wait, s, "dead", None)
    deadline = time.monotonic() + TASK_LIMIT
    while s.case.waiting(s) < 1 and time.monotonic() < deadline:
        gevent.sleep(0.001)
    # the thread ends with its greenlet still waiting
    hub.destroy(destroy_loop=True)
    return glet


@pytest.mark.parametrize("name", DEAD_CASES)
def test_waiter_of_destroyed_gevent_hub(impl, name):
    """A greenlet of a destroyed hub is skipped: the next one is served."""
    support.require("gevent")
    s = Subject(CASES[name], impl)
    giver = Giver(s)
    giver.start()
    box = []
    thread = threading.Thread(
        target=lambda: box.append(_abandon_gevent_waiter(s))
    )
    thread.start()
    thread.join(TASK_LIMIT)
    assert box and s.case.waiting(s) == 1, s
    second = _queue_second(s, 2, "destroyed hub")
    _serve_second(s, second, giver, 1, "destroyed hub")
    assert "dead" not in dict(s.received), s.received


def test_lowlevel_event_of_closed_or_stopped_loop():
    """``set()`` reports a waiter of a closed loop as gone (False, the
    event is cancelled); a stopped loop's waiter is set as usual."""
    from aiologic.lowlevel import create_async_event

    async def make():
        return create_async_event()

    loop = asyncio.new_event_loop()
    try:
        event = loop.run_until_complete(make())
        assert event.set() is True  # stopped: woken when it runs again
        assert event.is_set()
        assert loop.run_until_complete(event.with_(0)) is True
        dead = loop.run_until_complete(make())
    finally:
        loop.close()
    assert dead.set() is False
    assert dead.cancelled() and not dead.is_set()
    assert dead.set() is False and dead.cancel() is False


# ---------------------------------------------------------------------------
# b. trio runs torn down under a waiter


class Boom(Exception):
    pass


def _run_trio_waiter(s, how, tear_down, context):
    """Run a trio waiter in a thread of its own; its run is torn down
    (``how``: an error or ``KeyboardInterrupt`` in another task) once
    ``tear_down`` is set. Returns the thread and what ended the run."""
    import trio

    queued = threading.Event()
    ended = []

    async def main():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(s.case.async_wait, s, "trio")
            deadline = time.monotonic() + TASK_LIMIT
            while s.case.waiting(s) < 1:
                assert time.monotonic() < deadline, f"{context}: {s!r}"
                await trio.sleep(0.0005)
            queued.set()
            while not tear_down.is_set():
                assert time.monotonic() < deadline, f"{context}: {s!r}"
                await trio.sleep(0.0005)
            raise Boom if how == "error" else KeyboardInterrupt

    def run():
        try:
            trio.run(main)
        except BaseException as exc:
            ended.append(exc)
        queued.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert queued.wait(TASK_LIMIT), context
    return thread, ended


def _spin(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def _leaves(exc, kinds):
    """Whether ``exc`` is (or groups only) exceptions of ``kinds``."""
    if isinstance(exc, kinds):
        return True
    inner = getattr(exc, "exceptions", None)
    return bool(inner) and all(_leaves(e, kinds) for e in inner)


@pytest.mark.parametrize("how", ["error", "KeyboardInterrupt"])
@pytest.mark.parametrize("name", DEAD_CASES)
def test_trio_run_torn_down_under_waiter(impl, name, how):
    """The run ends while its task waits: the task leaves the queue and
    the next waiter is served."""
    support.require("trio")
    s = Subject(CASES[name], impl)
    giver = Giver(s)
    giver.start()
    tear_down = threading.Event()
    thread, ended = _run_trio_waiter(s, how, tear_down, how)
    second = _queue_second(s, 2, how)
    tear_down.set()
    thread.join(TASK_LIMIT)
    assert not thread.is_alive(), s
    kinds = Boom if how == "error" else KeyboardInterrupt
    assert ended and _leaves(ended[0], kinds), ended
    wait_until(lambda: s.case.waiting(s) == 1, message=lambda: repr(s))
    _serve_second(s, second, giver, 1, how)
    assert "trio" not in dict(s.received), s.received


@pytest.mark.parametrize("name", ["Lock", "Semaphore", "Queue.get"])
def test_trio_teardown_races_with_hand_off(impl, name, seed):
    """The run is torn down while the hand-off is on its way: the trio
    task keeps it (and gives it back) or it goes to the next waiter."""
    support.require("trio")
    case = CASES[name]
    rng = random.Random(seed)
    outcomes = {"kept": 0, "passed on": 0}
    for round_ in range(stress(25)):
        context = f"seed={seed} round {round_} {name}"
        s = Subject(case, impl)
        giver = Giver(s)
        giver.start()
        tear_down = threading.Event()
        thread, ended = _run_trio_waiter(s, "error", tear_down, context)
        second = _queue_second(s, 2, context)
        delay = rng.choice((0, 0, 1e-5, 1e-4, 5e-4))
        if rng.random() < 0.5:
            giver.go()
            _spin(delay)
            tear_down.set()
        else:
            tear_down.set()
            _spin(delay)
            giver.go()
        thread.join(TASK_LIMIT)
        assert not thread.is_alive(), context
        assert ended and _leaves(ended[0], Boom), f"{context}: {ended}"
        kept = "trio" in dict(s.received)
        outcomes["kept" if kept else "passed on"] += 1
        gives = 1 if case.consumed(s, "trio", kept, False) else 0
        _serve_second(s, second, giver, gives, context)
    assert sum(outcomes.values()) == stress(25), outcomes


def test_lowlevel_event_of_finished_trio_run():
    """A wake-up for a run that has finished (``RunFinishedError``) is
    reported as failed: ``set()`` returns False, the event is cancelled."""
    support.require("trio")
    import trio

    from aiologic.lowlevel import create_async_event

    async def make():
        return create_async_event()

    event = trio.run(make)
    assert event.set() is False
    assert event.cancelled() and not event.is_set()


# ---------------------------------------------------------------------------
# c. KeyboardInterrupt (a real SIGINT) in a thread that waits


#: the cases of the subprocess, and barriers (broken by an interruption)
KI_CASES = [name for name in CASES if name != "Condition.notify_all"]

_WAITER_FILE = os.path.join("lowlevel", "_waiters", "_threading.py")


def _blocked_in_wait(ident):
    """Whether thread ``ident`` runs the blocking call of a green wait."""
    frame = sys._current_frames().get(ident)
    return (
        frame is not None
        and frame.f_code.co_filename.endswith(_WAITER_FILE)
        and frame.f_code.co_name == "_acquire"
    )


def _poll(predicate, context):
    deadline = time.monotonic() + TASK_LIMIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{context}: timed out")
        time.sleep(0.0002)


class _Interrupts:
    """A SIGINT handler for the races: ``KeyboardInterrupt`` while the
    main thread is inside the low-level wait (the waiter's event), only
    recorded once it has left it (then the caller owns what it got).

    Not inside a release that hands over under the primitive's lock (a
    low-level ``set()``): Python code interrupted half-way through a
    critical section is beyond any Python-level primitive, the standard
    library's included."""

    def __init__(self, lowlevel_dir):
        self.lowlevel_dir = lowlevel_dir
        self.late = 0

    def __call__(self, signum, frame):
        if (
            frame is not None
            and frame.f_code.co_filename.startswith(self.lowlevel_dir)
            and frame.f_code.co_name in ("wait", "_wait", "_acquire")
        ):
            raise KeyboardInterrupt
        self.late += 1


def _ki_round(aiologic, case, timeout, rng, handler):
    """One wait of the main thread interrupted by SIGINT (``rng`` None:
    while it is blocked; else racing with the hand-off)."""
    context = f"{case.name} timeout={timeout} race={rng is not None}"
    s = Subject(case, aiologic)
    giver = Giver(s)
    giver.start()
    main = threading.get_ident()
    box = {}

    def sender():
        try:
            _poll(
                lambda: case.waiting(s) == 1 and _blocked_in_wait(main),
                context,
            )
            box["second"] = _queue_second(s, 2, context)
            if rng is None:
                assert _blocked_in_wait(main), context
                signal.pthread_kill(main, signal.SIGINT)
                return
            delay = rng.choice((0, 0, 1e-6, 1e-5, 1e-4, 5e-4))
            if rng.random() < 0.5:
                giver.go()
                _spin(delay)
                signal.pthread_kill(main, signal.SIGINT)
            else:
                signal.pthread_kill(main, signal.SIGINT)
                _spin(delay)
                giver.go()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=sender, daemon=True)
    late = handler.late if handler is not None else 0
    interrupted = False
    result = None
    thread.start()
    try:
        result = case.green_wait(s, "main", timeout)
    except KeyboardInterrupt:
        interrupted = True
    thread.join(TASK_LIMIT)
    if "error" in box:
        raise AssertionError(context) from box["error"]
    if rng is None:
        assert interrupted, f"{context}: not interrupted: {result!r}"
        giver.go()
    elif not interrupted:
        # the signal came after the wait: wait for it to be handled
        _poll(lambda: handler.late > late, context)
    consumed = case.consumed(s, "main", result, interrupted)
    _serve_second(s, box["second"], giver, int(consumed), context)
    return "interrupted" if interrupted else "served"


def _ki_barrier_round(aiologic, timeout):
    """A barrier wait interrupted: the barrier breaks for the others."""
    barrier = aiologic.Barrier(3)
    main = threading.get_ident()
    errors = []

    def other():
        try:
            barrier.wait(TASK_LIMIT)
        except aiologic.BrokenBarrierError as exc:
            errors.append(exc)

    def sender():
        _poll(lambda: barrier.waiting == 2 and _blocked_in_wait(main), "")
        signal.pthread_kill(main, signal.SIGINT)

    threads = [threading.Thread(target=other), threading.Thread(target=sender)]
    threads[0].start()
    _poll(lambda: barrier.waiting == 1, "barrier")
    threads[1].start()
    try:
        barrier.wait(timeout)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the barrier wait was not interrupted")
    for thread in threads:
        thread.join(TASK_LIMIT)
    assert len(errors) == 1, errors
    assert barrier.broken and barrier.waiting == 0, barrier


def ki_main(seed, rounds):
    """The body of the subprocess: print the figures as JSON."""
    import aiologic

    rng = random.Random(seed)
    lowlevel_dir = os.path.dirname(aiologic.lowlevel.__file__) + os.sep
    figures = {"interrupted": 0, "served": 0, "signals": 0}
    for timeout in (None, TASK_LIMIT * 3):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for name in KI_CASES:
            outcome = _ki_round(aiologic, CASES[name], timeout, None, None)
            figures[outcome] += 1
            figures["signals"] += 1
        _ki_barrier_round(aiologic, timeout)
        figures["interrupted"] += 1
        figures["signals"] += 1
        handler = _Interrupts(lowlevel_dir)
        signal.signal(signal.SIGINT, handler)
        for name in KI_CASES:
            for _ in range(rounds):
                outcome = _ki_round(
                    aiologic, CASES[name], timeout, rng, handler
                )
                figures[outcome] += 1
                figures["signals"] += 1
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(json.dumps(figures))


@pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill"
)
def test_keyboard_interrupt_while_waiting(impl, seed):
    """SIGINT interrupts the main thread's wait on every primitive, with
    and without a timeout: while it is blocked (the default handler) and
    racing with the hand-off. The primitive stays consistent and what
    the interrupted waiter had been handed goes to the next waiter."""
    rounds = stress(8)
    code = f"import test_faults; test_faults.ki_main({seed}, {rounds})"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        # (this directory: the subprocess imports this module)
        cwd=os.path.dirname(os.path.abspath(__file__)),
        env=support.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert proc.returncode == 0, f"seed={seed}\n{proc.stdout}\n{proc.stderr}"
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    total = 2 * (len(KI_CASES) * (rounds + 1) + 1)
    assert figures["signals"] == total, figures
    # the blocked rounds were all interrupted
    assert figures["interrupted"] >= 2 * (len(KI_CASES) + 1), figures
    print(f"seed={seed} {figures}")


# ---------------------------------------------------------------------------
# e. exceptions raised by user code


@pytest.mark.parametrize("delegate", [False, True])
def test_wait_for_predicate_raises(world, impl, delegate):
    """A predicate that raises in the waiter (first check, or after a
    notification): the error propagates with the lock held again (as for
    ``threading.Condition``); ``waiting`` and notify counts stay right."""
    cond = impl.Condition()
    calls = []

    def predicate():
        calls.append(threading.get_ident())
        if len(calls) >= 2:
            raise Boom("predicate failed")
        return False

    ops = world.ops

    async def waiter():
        async with ops.using(cond):
            try:
                if world.is_async:
                    await cond.for_(predicate, delegate=delegate)
                else:
                    cond.wait_for(predicate, delegate=delegate)
            except Boom:
                owned = await ops.call(cond.lock, "owned")
                return ("raised", owned, cond.lock.count)
            return ("returned", None, None)

    task = world.spawn(waiter)
    wait_until(lambda: cond.waiting == 1, message=lambda: repr(cond))
    with cond:
        # a delegated predicate runs here (its error goes to the waiter)
        assert cond.notify() == 1
    assert task.result() == ("raised", True, 1), calls
    assert cond.waiting == 0, cond
    assert not cond.lock.locked(), cond
    # usable: a new waiter is notified normally
    flag = []
    task = world.spawn(_plain_wait_for(world, cond, lambda: bool(flag)))
    wait_until(lambda: cond.waiting == 1, message=lambda: repr(cond))
    with cond:
        flag.append(True)
        assert cond.notify() == 1
    assert task.result() is True
    assert cond.waiting == 0 and not cond.lock.locked(), cond


def _plain_wait_for(world, cond, predicate):
    async def body():
        async with world.ops.using(cond):
            if world.is_async:
                return await cond.for_(predicate)
            return cond.wait_for(predicate)

    return body


class Touchy:
    """An item whose comparisons fail while ``Touchy.broken`` is set."""

    broken = False

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        if Touchy.broken:
            raise Boom("comparison failed")
        return self.value < other.value

    def __repr__(self):
        return f"T{self.value}"


@pytest.fixture
def touchy():
    Touchy.broken = False
    yield Touchy
    Touchy.broken = False


def test_priority_queue_failing_lt_with_waiters(world, impl, touchy):
    """``__lt__`` raises in puts and gets of every library, also while a
    putter waits on the full queue: the caller gets the error; size,
    items, ``waiting`` and the internal lock are intact; puts and gets go
    on (the waiting putter is served)."""
    q = impl.PriorityQueue([touchy(v) for v in (5, 3, 8)], 4)
    ops = world.ops

    async def put(value):
        await ops.call(q, "put", touchy(value))
        return value

    async def put_zero():
        return await put(0)

    async def get():
        return (await ops.call(q, "get")).value

    def fails(body, putting):
        before = repr(q).split(" at ")[0]
        touchy.broken = True
        try:
            with pytest.raises(Boom):
                world.call(body)
        finally:
            touchy.broken = False
        # nothing moved, nothing lost, nobody else woken
        assert repr(q).split(" at ")[0] == before
        assert (q.putting, q.getting) == (putting, 0), q

    fails(put_zero, 0)  # room: the push compares
    fails(get, 0)
    assert world.call(put, 1) == 1  # full now
    putter = world.spawn(put, 4)
    wait_until(lambda: q.putting == 1, message=lambda: repr(q))
    fails(get, 1)  # the pop compares; the putter still waits
    assert len(q) == 4
    # the internal lock is free: a get makes room for the putter
    assert world.call(get) == 1
    assert putter.result() == 4
    assert [world.call(get) for _ in range(4)] == [3, 4, 5, 8]
    assert (len(q), q.waiting) == (0, 0), q
    # a getter waits on the empty queue; a single item compares nothing
    getter = world.spawn(get)
    wait_until(lambda: q.getting == 1, message=lambda: repr(q))
    assert world.call(put, 7) == 7
    assert getter.result() == 7
    assert (len(q), q.waiting) == (0, 0), q


# ---------------------------------------------------------------------------
# f. an exception between queueing a waiter and guarding its wait


class _InterruptedCore:
    """A core whose ``add_waiter`` queues the waiter, then raises as a
    signal handler's ``KeyboardInterrupt`` can right after the call
    returned: the caller never gets the handle."""

    def __init__(self, core):
        self._core = core
        self.queued = 0

    def add_waiter(self, *args):
        self._core.add_waiter(*args)
        self.queued += 1
        raise KeyboardInterrupt

    def __getattr__(self, name):
        return getattr(self._core, name)


def _interrupt_wait(side, wait, core, *args):
    with pytest.raises(KeyboardInterrupt):
        if side == "green":
            wait(core, *args)
        else:
            asyncio.run(wait(core, *args))
    assert core.queued == 1


@pytest.mark.parametrize("free", [0, 1], ids=["blocked", "handed at once"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_permit(impl, side, free):
    """Interrupted before it could guard the wait: the entry does not stay
    queued, a permit handed to it at once is passed on, and the next
    waiter gets the next release."""
    waiting = sys.modules["aiologic._waiting"]
    wait = getattr(waiting, f"{side}_wait_permit")
    sem = impl.Semaphore(free)
    core = _InterruptedCore(sem._core)
    _interrupt_wait(side, wait, core, None, None)
    assert (sem.waiting, sem.value) == (0, free), sem
    # the next hand-off reaches the next waiter
    for _ in range(free):
        assert sem.green_acquire(blocking=False), sem
    box = []
    thread = threading.Thread(
        target=lambda: box.append(sem.green_acquire(timeout=TASK_LIMIT))
    )
    thread.start()
    wait_until(lambda: sem.waiting == 1, message=lambda: repr(sem))
    sem.green_release()
    thread.join(TASK_LIMIT)
    assert box == [True], sem
    assert (sem.waiting, sem.value) == (0, 0), sem


@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_event_waiter(impl, side):
    """The same for an event waiter (of a ``CountdownEvent``): nothing
    stays queued, and the event still wakes its next waiter."""
    events = sys.modules["aiologic._events"]
    wait = getattr(events, f"_{side}_wait_unset")
    event = impl.CountdownEvent(1)
    core = _InterruptedCore(event._core)
    _interrupt_wait(side, wait, core, None)
    assert event.waiting == 0, event
    waiter = threading.Thread(target=event.wait, args=(TASK_LIMIT,))
    waiter.start()
    wait_until(lambda: event.waiting == 1, message=lambda: repr(event))
    event.down()
    waiter.join(TASK_LIMIT)
    assert not waiter.is_alive() and event.waiting == 0, event


class _LineInterrupt:
    """A trace function that raises ``KeyboardInterrupt``, as a signal
    handler can, at the first line that a function of *functions* (names,
    in aiologic's own modules) runs once ``ready()`` is true. *before*, if
    given, runs first: a hand-off from elsewhere landing in that window."""

    def __init__(self, functions, ready, before=None):
        self.functions = set(functions)
        self.ready = ready
        self.before = before
        self.fired = None  # (function, line) where it raised

    def _local(self, frame, event, arg):
        if event == "line" and self.fired is None and self.ready():
            self.fired = (frame.f_code.co_name, frame.f_lineno)
            if self.before is not None:
                self.before()
            raise KeyboardInterrupt
        return self._local

    def _global(self, frame, event, arg):
        code = frame.f_code
        if (
            code.co_name in self.functions
            and f"{os.sep}aiologic{os.sep}" in code.co_filename
        ):
            return self._local
        return None

    def run(self, side, call):
        """Run ``call()`` (a thread's blocking call, or a coroutine function
        run by ``asyncio.run``) under the trace; it must be interrupted."""
        sys.settrace(self._global)
        try:
            with pytest.raises(KeyboardInterrupt):
                if side == "green":
                    call()
                else:
                    asyncio.run(call())
        finally:
            sys.settrace(None)
        assert self.fired is not None, "the trace never fired"


def _queue_wait(q, side, method, *args):
    if side == "green":
        return lambda: getattr(q, f"green_{method}")(*args, timeout=TASK_LIMIT)

    async def wait():
        return await getattr(q, f"async_{method}")(*args, timeout=TASK_LIMIT)

    return wait


@pytest.mark.parametrize("handed", [False, True], ids=["queued", "handed"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_getter(impl, side, handed):
    """A getter of a ``Queue`` interrupted once queued, before its wait
    began (the queue's lock released): it leaves the queue, and an item
    handed to it in that window stays in the queue."""
    q = impl.Queue(1)
    trace = _LineInterrupt(
        {"_green_get_wait", "_async_get_wait"},
        lambda: q.getting == 1 and not q._lock.locked(),
        (lambda: q.green_put("handed", blocking=False)) if handed else None,
    )
    trace.run(side, _queue_wait(q, side, "get"))
    assert q.waiting == 0, (trace.fired, q)
    if handed:
        assert list(q._data) == ["handed"], (trace.fired, q)
        assert q.green_get(blocking=False) == "handed"
    q.green_put("next", blocking=False)
    assert q.green_get(blocking=False) == "next"
    assert (q.waiting, len(q)) == (0, 0), q


@pytest.mark.parametrize("handed", [False, True], ids=["queued", "handed"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_putter(impl, side, handed):
    """A putter of a full ``Queue`` interrupted once queued, before its
    wait began: it leaves the queue; an item stored for it in that window
    (a get made room) stays stored."""
    q = impl.Queue(1)
    q.green_put("first", blocking=False)
    got = []
    trace = _LineInterrupt(
        {"_green_put_wait", "_async_put_wait"},
        lambda: q.putting == 1 and not q._lock.locked(),
        (lambda: got.append(q.green_get(blocking=False))) if handed else None,
    )
    trace.run(side, _queue_wait(q, side, "put", "second"))
    assert q.waiting == 0, (trace.fired, q)
    assert list(q._data) == (["second"] if handed else ["first"]), q
    assert got == (["first"] if handed else []), q
    assert q.green_get(blocking=False) == ("second" if handed else "first")
    assert (q.waiting, len(q)) == (0, 0), q


@pytest.mark.parametrize("handed", [False, True], ids=["queued", "handed"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_rwlock_writer(impl, side, handed):
    """A writer of an ``RWLock`` interrupted once queued behind a reader,
    before its wait began: it leaves the queue; the lock admitted to it in
    that window (the reader left) is passed on."""
    rw = impl.RWLock()
    held, leave = threading.Event(), threading.Event()

    def reader():
        with rw.reader:
            held.set()
            leave.wait(TASK_LIMIT)

    thread = threading.Thread(target=reader)
    thread.start()
    assert held.wait(TASK_LIMIT)

    def hand_over():
        leave.set()
        wait_until(rw.writer.locked, message=lambda: repr(rw))

    trace = _LineInterrupt(
        {"_green_acquire", "_async_acquire"},
        lambda: rw.waiting == 1 and not rw._lock.locked(),
        hand_over if handed else None,
    )
    if side == "green":

        def call():
            return rw.writer.green_acquire(timeout=TASK_LIMIT)

    else:

        async def call():
            return await rw.writer.async_acquire(timeout=TASK_LIMIT)

    try:
        trace.run(side, call)
        assert rw.waiting == 0, (trace.fired, rw)
        assert not rw.writer.locked(), (trace.fired, rw)
    finally:
        leave.set()
        thread.join(TASK_LIMIT)
    assert not thread.is_alive()
    assert rw.writer.green_acquire(blocking=False), rw
    rw.writer.green_release()
    assert (rw.waiting, rw.locked()) == (0, False), rw


@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_queueing_condition_waiter(impl, side):
    """A ``Condition`` waiter interrupted once queued, before it gave up
    the lock: it leaves the queue with the lock still held, and the next
    notification reaches the next waiter."""
    cond = impl.Condition(impl.Lock())
    trace = _LineInterrupt({"_enqueue"}, lambda: cond.waiting == 1)
    if side == "green":

        def call():
            with cond:
                try:
                    cond.wait(TASK_LIMIT)
                finally:
                    assert cond.lock.green_owned()

    else:

        async def call():
            async with cond:
                try:
                    await cond.with_(TASK_LIMIT)
                finally:
                    assert cond.lock.async_owned()

    trace.run(side, call)
    assert cond.waiting == 0, (trace.fired, cond)
    assert not cond.lock.locked(), cond
    box = []

    def waiter():
        with cond:
            box.append(cond.wait(TASK_LIMIT))

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: cond.waiting == 1, message=lambda: repr(cond))
    with cond:
        assert cond.notify() == 1
    thread.join(TASK_LIMIT)
    assert box == [True], cond


def _barrier_wait(barrier, side):
    if side == "green":
        return lambda: barrier.wait(TASK_LIMIT)

    async def wait():
        return await barrier.with_(TASK_LIMIT)

    return wait


@pytest.mark.parametrize("kind", ["Barrier", "Latch"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_arriving(impl, side, kind):
    """An arrival at a barrier or latch that is interrupted once counted,
    before it waits, breaks it (as a waiter that gives up does): the
    waiters present and later get ``BrokenBarrierError``."""
    barrier = getattr(impl, kind)(3)
    phase = barrier._phase
    errors = []

    def waiter():
        try:
            barrier.wait(TASK_LIMIT)
        except impl.BrokenBarrierError:
            errors.append("broken")

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: phase.arrived == 1, message=lambda: repr(barrier))
    trace = _LineInterrupt({"_arrive"}, lambda: phase.arrived == 2)
    trace.run(side, _barrier_wait(barrier, side))
    thread.join(TASK_LIMIT)
    assert errors == ["broken"], (trace.fired, barrier)
    assert barrier.broken, barrier
    with pytest.raises(impl.BrokenBarrierError):
        barrier.wait(0)


@pytest.mark.parametrize("kind", ["Barrier", "Latch"])
@pytest.mark.parametrize("side", ["green", "async"])
def test_interrupted_right_after_filling(impl, side, kind):
    """The arrival that fills a barrier or latch, interrupted before it
    released the others: they are released all the same, unbroken."""
    barrier = getattr(impl, kind)(2)
    phase = barrier._phase
    results = []
    thread = threading.Thread(
        target=lambda: results.append(barrier.wait(TASK_LIMIT))
    )
    thread.start()
    wait_until(lambda: barrier.waiting == 1, message=lambda: repr(barrier))
    trace = _LineInterrupt(
        {"_arrive"},
        lambda: phase.passed is True and not barrier._lock.locked(),
    )
    trace.run(side, _barrier_wait(barrier, side))
    thread.join(TASK_LIMIT)
    assert not thread.is_alive(), barrier
    assert results == [0 if kind == "Barrier" else None], barrier
    assert not barrier.broken, barrier


# ---------------------------------------------------------------------------
# g. greenlets killed in waits the contract tests do not kill in
#
# (killed waiters of the permit kinds, ``Condition.wait``, ``RWLock``, the
# queues and the events: ``test_contracts.py``, ``test_conditions.py``,
# ``test_rwlocks.py``, ``test_queues*.py``, ``test_events.py``; Flag and
# ResourceGuard never wait)

GREEN_KILL_LIBS = ["gevent", "eventlet"]


@pytest.mark.parametrize("notified", [False, True], ids=["waiting", "handed"])
@pytest.mark.parametrize("lib", GREEN_KILL_LIBS)
def test_killed_in_wait_for(impl, lib, notified):
    """A greenlet killed in ``wait_for`` (while it waits, or once notified
    with its predicate true): the lock is not left held, the next waiter
    gets in, nobody stays queued."""
    support.require(lib)
    cond = impl.Condition()
    flag = []
    with support.World(lib) as world, support.World("threading") as other:
        gate = world.gate()

        async def notifier():
            await gate.wait()
            async with world.ops.using(cond):
                flag.append(True)
                assert cond.notify() == 1
                # it was handed the notification but has not run yet
                world.cancel_now(first)
            return True

        first = world.spawn(_plain_wait_for(world, cond, lambda: bool(flag)))
        wait_until(lambda: cond.waiting == 1, message=lambda: repr(cond))
        second = other.spawn(_plain_wait_for(other, cond, lambda: bool(flag)))
        wait_until(lambda: cond.waiting == 2, message=lambda: repr(cond))
        if notified:
            done = world.spawn(notifier)
            gate.open()
            assert done.result() is True
        else:
            first.cancel()
            wait_until(lambda: cond.waiting == 1, message=lambda: repr(cond))
            with cond:
                flag.append(True)
                assert cond.notify() == 1
        assert isinstance(first.exception(), world.cancelled_exc), first
        assert second.result() is True
    assert cond.waiting == 0 and not cond.lock.locked(), cond
    assert cond.lock.waiting == 0, cond


@pytest.mark.parametrize("lib", GREEN_KILL_LIBS)
def test_killed_after_barrier_filled(impl, lib):
    """A greenlet killed once the last party filled the barrier, before
    it ran: the others pass, and the next generation fills normally."""
    support.require(lib)
    barrier = impl.Barrier(3)
    with support.World(lib) as world, support.World("threading") as other:

        def filler():
            index = barrier.wait(TASK_LIMIT)
            world.cancel_now(first)
            return index

        first = world.spawn(lambda: barrier.wait(TASK_LIMIT))
        wait_until(lambda: barrier.waiting == 1, message=lambda: repr(barrier))
        second = other.spawn(lambda: barrier.wait(TASK_LIMIT))
        wait_until(lambda: barrier.waiting == 2, message=lambda: repr(barrier))
        last = world.spawn(filler)
        # the phase passed: the kill lands after it (or not at all)
        assert last.exception() is None and second.exception() is None
        error = first.exception()
        assert error is None or isinstance(error, world.cancelled_exc)
        assert not barrier.broken and barrier.waiting == 0, barrier
        # the next generation
        tasks = [other.spawn(lambda: barrier.wait(TASK_LIMIT)) for _ in "ab"]
        wait_until(lambda: barrier.waiting == 2, message=lambda: repr(barrier))
        barrier.wait(TASK_LIMIT)
        assert [task.exception() for task in tasks] == [None, None]
    assert not barrier.broken and barrier.waiting == 0, barrier
