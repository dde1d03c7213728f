# SPDX-License-Identifier: MIT

"""Model-based tests of ``RWLock`` and ``Condition``.

See ``test_models.py`` for the actors and the rules of the game. The
``RWLock`` model: the writer, the readers with their depth, and one FIFO
queue of waiting readers and writers admitted by the policy of
``aiologic/_rwlocks.py`` (a writer at the head when the lock is free; the
run of readers at the head when no writer holds it). The ``Condition``
model: its ``RLock`` (owner, count, FIFO queue) and the FIFO of condition
waiters; a notification moves waiters to the end of the lock's queue, and
a woken waiter returns holding the lock with its count restored.
"""

from __future__ import annotations

import pytest
import support
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule
from test_models import (
    BLOCK,
    CANCELLED,
    IGNORE_REGISTER_RANDOM,
    MODES,
    TIMED,
    TINY,
    Model,
    acquirer,
    actors_fixture,  # noqa: F401 - the fixture `actors`
    releaser,
    run_machine,
    when,
)

pytestmark = [pytest.mark.timeout(120), IGNORE_REGISTER_RANDOM]

READ, WRITE = "read", "write"


class RWLockModel(Model):
    """The writer, the readers and one FIFO queue of both."""

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.rw = impl.RWLock()
        self.writer = None
        self.readers = {}  # actor -> depth
        self.queue = []  # FIFO of (actor, side)

    def view(self, side):
        return self.rw.reader if side == READ else self.rw.writer

    def _admit(self):
        """Admit waiters from the head of the queue; return them."""
        admitted = []
        while self.queue:
            i, side = self.queue[0]
            if side == WRITE:
                if self.writer is not None or self.readers:
                    break
                self.writer = i
            else:
                if self.writer is not None:
                    break
                self.readers[i] = 1
            admitted.append(self.queue.pop(0)[0])
            if side == WRITE:
                break
        for i in admitted:
            self.finish(i, True)

    @when(lambda self: self.idle())
    @rule(data=st.data(), mode=MODES, side=st.sampled_from((READ, WRITE)))
    def acquire(self, data, mode, side):
        i = self.pick(data, self.idle())
        fn = acquirer(self.view(side), mode)
        if self.writer == i or (side == WRITE and i in self.readers):
            self.expect(i, fn, error=(RuntimeError, None))
        elif side == READ and i in self.readers:
            self.expect(i, fn, True)
            self.readers[i] += 1
        elif (
            not self.queue
            and self.writer is None
            and (side == READ or not self.readers)
        ):
            self.expect(i, fn, True)
            if side == READ:
                self.readers[i] = 1
            else:
                self.writer = i
        elif mode == BLOCK:
            self.start(i, fn, lambda: self.rw.waiting, len(self.queue) + 1)
            self.queue.append((i, side))
        else:
            self.expect(i, fn, False)

    @when(lambda self: self.idle())
    @rule(data=st.data(), side=st.sampled_from((READ, WRITE)))
    def release(self, data, side):
        i = self.pick(data, self.idle())
        fn = releaser(self.view(side))
        if side == WRITE and self.writer == i:
            self.expect(i, fn, None)
            self.writer = None
        elif side == READ and i in self.readers:
            self.expect(i, fn, None)
            self.readers[i] -= 1
            if not self.readers[i]:
                del self.readers[i]
        else:
            self.expect(i, fn, error=(RuntimeError, None))
            return
        self._admit()

    @when(lambda self: self.cancellable_waiters(i for i, _ in self.queue))
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        waiting = [i for i, _ in self.queue]
        i = self.pick(data, self.cancellable_waiters(waiting))
        self.cancel(i)
        del self.queue[waiting.index(i)]
        # the waiters behind it may be admissible now
        self._admit()

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        rw = self.rw
        assert rw.waiting == len(self.queue), (rw, self.queue)
        assert rw.readers == len(self.readers), (rw, self.readers)
        owner = None if self.writer is None else self.actors[self.writer]
        assert rw.writer.owner == (owner and owner.ident), rw
        assert rw.writer.locked() == (self.writer is not None)
        assert rw.reader.locked() == bool(self.readers)
        assert rw.locked() == (self.writer is not None or bool(self.readers))

    def drain(self):
        while self.cancellable_waiters([i for i, _ in self.queue]):
            waiting = [i for i, _ in self.queue]
            i = self.cancellable_waiters(waiting)[0]
            self.cancel(i)
            del self.queue[waiting.index(i)]
            self._admit()
        while self.queue:
            if self.writer is not None:
                self.expect(self.writer, releaser(self.rw.writer), None)
                self.writer = None
            else:
                i = next(iter(self.readers))
                for _ in range(self.readers.pop(i)):
                    self.expect(i, releaser(self.rw.reader), None)
            self._admit()


class ConditionModel(Model):
    """A Condition over an RLock: the lock's queue and the waiters."""

    def __init__(self, impl, actors, stats):
        super().__init__(impl, actors, stats)
        self.cond = impl.Condition()
        self.lock = self.cond.lock
        self.owner = None
        self.count = 0
        self.lock_queue = []  # FIFO of (actor, count, result)
        self.waiters = []  # FIFO of (actor, count)

    def _pass_lock(self):
        """The owner let go: the head of the lock's queue gets the lock."""
        self.owner, self.count = None, 0
        if self.lock_queue:
            i, count, result = self.lock_queue.pop(0)
            self.owner, self.count = i, count
            if result == CANCELLED:
                self.cancelled_finish(i)
            else:
                self.finish(i, result)

    def cancelled_finish(self, i):
        call = self.busy.pop(i)
        kind, result = call.wait(f"{self.actors[i]} (cancelled waiter)")
        assert kind == CANCELLED, (kind, result)

    @when(lambda self: self.idle())
    @rule(data=st.data(), mode=MODES)
    def acquire(self, data, mode):
        i = self.pick(data, self.idle())
        fn = acquirer(self.lock, mode, 1)
        if self.owner == i:
            self.expect(i, fn, True)
            self.count += 1
        elif self.owner is None:
            assert not self.lock_queue
            self.expect(i, fn, True)
            self.owner, self.count = i, 1
        elif mode == BLOCK:
            expected = len(self.lock_queue) + 1
            self.start(i, fn, lambda: self.lock.waiting, expected)
            self.lock_queue.append((i, 1, True))
        else:
            self.expect(i, fn, False)

    @when(lambda self: self.owner is not None)
    @rule()
    def release(self):
        i = self.owner
        self.expect(i, releaser(self.lock), None)
        self.count -= 1
        if not self.count:
            self._pass_lock()

    @when(lambda self: self.owner is not None)
    @rule(mode=st.sampled_from((BLOCK, BLOCK, TIMED)))
    def wait(self, mode):
        i, count = self.owner, self.count
        if mode == TIMED and self.lock_queue:
            mode = BLOCK  # a timed-out waiter would queue for the lock

        async def fn(ops):
            if mode == TIMED:
                return await ops.wait(self.cond, TINY)
            return await ops.wait(self.cond)

        if mode == TIMED:
            # released, timed out, taken back at once: nothing changed
            self.expect(i, fn, False)
            return
        expected = len(self.waiters) + 1
        self.waiters.append((i, count))
        self.start(i, fn, lambda: self.cond.waiting, expected)
        self._pass_lock()

    @when(lambda self: self.owner is not None)
    @rule(count=st.integers(1, 3), everyone=st.booleans())
    def notify(self, count, everyone):
        cond = self.cond

        async def fn(ops):
            return cond.notify_all() if everyone else cond.notify(count)

        woken = self.waiters if everyone else self.waiters[:count]
        self.waiters = self.waiters[len(woken) :]
        self.expect(self.owner, fn, len(woken))
        self.lock_queue.extend((i, c, True) for i, c in woken)

    @when(lambda self: self.idle() and self.owner is None)
    @rule(data=st.data())
    def notify_unowned(self, data):
        i = self.pick(data, self.idle())
        error = (RuntimeError, "cannot notify on un-acquired lock")
        self.expect(i, lambda ops: _call(self.cond.notify), error=error)

    @when(lambda self: self.cancellable_waiters(self.cw()))
    @rule(data=st.data())
    def cancel_waiter(self, data):
        if not self.rarely(data):
            return
        i = self.pick(data, self.cancellable_waiters(self.cw()))
        (count,) = [c for j, c in self.waiters if j == i]
        self.waiters = [w for w in self.waiters if w[0] != i]
        self.actors[i].cancel()
        self.stats["cancels"] += 1
        # it takes the lock back before it lets the cancellation out
        if self.owner is None:
            self.owner, self.count = i, count
            self.cancelled_finish(i)
        else:
            support.wait_waiting(self.lock, len(self.lock_queue) + 1)
            self.lock_queue.append((i, count, CANCELLED))

    def cw(self):
        return [i for i, _ in self.waiters]

    @invariant()
    def agrees(self):
        self.stats["checks"] += 1
        cond, lock = self.cond, self.lock
        assert cond.waiting == len(self.waiters), (cond, self.waiters)
        assert lock.waiting == len(self.lock_queue), (lock, self.lock_queue)
        owner = None if self.owner is None else self.actors[self.owner]
        assert lock.owner == (owner and owner.ident), lock
        assert lock.count == self.count, lock
        assert bool(cond) == (self.owner is not None)

    def drain(self):
        while self.waiters or self.lock_queue:
            if self.owner is None and not self.idle():
                # everybody waits on the condition: notify from this thread
                assert self.lock.green_acquire(blocking=False)
                assert self.cond.notify_all() == len(self.waiters)
                self.lock_queue.extend((i, c, True) for i, c in self.waiters)
                self.waiters = []
                self.lock.green_release()
                self._pass_lock()
                continue
            if self.owner is None:
                i = self.idle()[0]
                self.expect(i, acquirer(self.lock, BLOCK, 1), True)
                self.owner, self.count = i, 1
            if self.waiters:
                self.notify(1, True)
            while self.count > 1:
                self.release()
            self.release()
        while self.owner is not None:
            self.release()


async def _call(method):
    return method()


def test_rwlock_model(impl, actors):
    run_machine(RWLockModel, impl, actors)


def test_condition_model(impl, actors):
    run_machine(ConditionModel, impl, actors)
