# SPDX-License-Identifier: MIT

"""What the stress runner does with each kind of primitive.

A scenario owns ONE instance, shared by every actor of the run. Its
``green_actor``/``async_actor`` loop until the deadline, mixing blocking,
timed, non-blocking and cancelled calls at random, and check invariants
as they go; ``controller`` (a plain thread) ends the run cleanly (wakes
whoever is still waiting after the deadline); ``finish`` checks the end
state. Every check counts, failing or not.
"""

from __future__ import annotations

import collections
import time

from worlds import Ledger


class Scenario:
    name = ""

    def __init__(self, aiologic, seed):
        self.aiologic = aiologic
        self.lowlevel = aiologic.lowlevel
        self.ledger = Ledger(seed, self.name)
        self.acts = []

    def roles(self, total):
        return ["any"] * total

    def controller(self, run):
        pass

    def finish(self, acts):
        pass

    def check(self, ok, message):
        return self.ledger.check(ok, message)


# -- permits: locks, semaphores, limiters, readers-writer lock --------------


class Permits(Scenario):
    """Acquire (4 ways), check the holders, yield, release."""

    capacity = 1
    owned = False
    reentrant = False

    def make(self):
        raise NotImplementedError

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = self.make()
        self.writers = 0
        self.readers = 0

    def side(self, act):
        return self.prim, None

    def enter(self, act, prim, side, ident):
        ledger = self.ledger
        with ledger.lock:
            ledger.holders += 1
            holders = ledger.holders
            if side == "writer":
                self.writers += 1
                exclusive = self.writers == 1 and self.readers == 0
            elif side == "reader":
                self.readers += 1
                exclusive = self.writers == 0
            else:
                exclusive = True
        act.check(
            holders <= self.capacity,
            f"{holders} holders at once (capacity {self.capacity})",
        )
        act.check(exclusive, f"readers-writer exclusion broken ({side})")
        if self.owned:
            owner = prim.owner
            act.check(owner == ident, f"owner {owner} inside, not {ident}")
        self.inside(act, prim)

    def inside(self, act, prim):
        pass

    def leave(self, side):
        ledger = self.ledger
        with ledger.lock:
            ledger.holders -= 1
            if side == "writer":
                self.writers -= 1
            elif side == "reader":
                self.readers -= 1

    def green_unit(self, act, mode, timeout):
        prim, side = self.side(act)
        if mode == "nonblocking":
            got = prim.green_acquire(blocking=False)
        elif mode == "timed":
            got = prim.green_acquire(timeout=timeout)
        else:
            got = prim.green_acquire()
        if not got:
            return
        depth = 0
        try:
            if self.reentrant:
                # count each reentry when it succeeds: a cancellation may
                # hit the checkpoint of any of them
                for _ in range(act.rng.randrange(3)):
                    prim.green_acquire()
                    depth += 1
                count = prim.green_count()
                act.check(count == depth + 1, f"count {count} != {depth + 1}")
            self.enter(
                act, prim, side, self.lowlevel.current_green_task_ident()
            )
            try:
                act.pause()
            finally:
                self.leave(side)
        finally:
            for _ in range(depth + 1):
                prim.green_release()

    async def async_unit(self, act, mode, timeout):
        prim, side = self.side(act)
        if mode == "nonblocking":
            got = await prim.async_acquire(blocking=False)
        elif mode == "timed":
            got = await prim.async_acquire(timeout=timeout)
        else:
            got = await prim.async_acquire()
        if not got:
            return
        depth = 0
        try:
            if self.reentrant:
                # count each reentry when it succeeds: a cancellation may
                # hit the checkpoint of any of them
                for _ in range(act.rng.randrange(3)):
                    await prim.async_acquire()
                    depth += 1
                count = prim.async_count()
                act.check(count == depth + 1, f"count {count} != {depth + 1}")
            self.enter(
                act, prim, side, self.lowlevel.current_async_task_ident()
            )
            try:
                await act.pause()
            finally:
                self.leave(side)
        finally:
            for _ in range(depth + 1):
                prim.async_release()

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            mode = act.mode()
            if mode == "cancelled":
                act.run_cancellable(
                    lambda: self.green_unit(act, "blocking", None),
                    act.timeout(),
                )
            else:
                self.green_unit(act, mode, act.timeout())
            act.ops += 1

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            mode = act.mode()
            if mode == "cancelled":
                await act.run_cancellable(
                    lambda: self.async_unit(act, "blocking", None),
                    act.timeout(),
                )
            else:
                await self.async_unit(act, mode, act.timeout())
            act.ops += 1

    def finish(self, acts):
        self.check(self.ledger.holders == 0, "holders left at the end")
        self.check(self.prim.waiting == 0, f"waiters left: {self.prim!r}")
        self.end_state()

    def end_state(self):
        self.check(not self.prim.locked(), f"still locked: {self.prim!r}")


class LockScenario(Permits):
    name = "lock"
    owned = True

    def make(self):
        return self.aiologic.Lock()

    def end_state(self):
        super().end_state()
        self.check(self.prim.owner is None, f"owner left: {self.prim!r}")


class RLockScenario(LockScenario):
    name = "rlock"
    reentrant = True

    def make(self):
        return self.aiologic.RLock()

    def end_state(self):
        super().end_state()
        self.check(self.prim.count == 0, f"count left: {self.prim!r}")


class SemaphoreScenario(Permits):
    name = "semaphore"
    capacity = 3

    def make(self):
        return self.aiologic.Semaphore(self.capacity)

    def inside(self, act, prim):
        value = prim.value
        act.check(0 <= value < self.capacity, f"value {value} inside")

    def end_state(self):
        value = self.prim.value
        self.check(value == self.capacity, f"value {value} at the end")


class BoundedSemaphoreScenario(SemaphoreScenario):
    name = "bounded_semaphore"

    def make(self):
        return self.aiologic.BoundedSemaphore(self.capacity)


class LimiterScenario(Permits):
    name = "capacity_limiter"
    capacity = 3

    def make(self):
        return self.aiologic.CapacityLimiter(self.capacity)

    def inside(self, act, prim):
        borrowed = prim.borrowed_tokens
        act.check(
            1 <= borrowed <= self.capacity,
            f"borrowed_tokens {borrowed} inside",
        )
        owned = (
            prim.async_borrowed() if act.is_async else prim.green_borrowed()
        )
        act.check(owned, "the holder is not a borrower")

    def end_state(self):
        prim = self.prim
        self.check(
            prim.available_tokens == self.capacity and not prim.borrowers,
            f"tokens not conserved: {prim!r} {dict(prim.borrowers)}",
        )


class RLimiterScenario(LimiterScenario):
    name = "rcapacity_limiter"
    reentrant = True

    def make(self):
        return self.aiologic.RCapacityLimiter(self.capacity)


class RWLockScenario(Permits):
    name = "rwlock"
    capacity = 10**9  # readers share; exclusion is checked by side

    def make(self):
        return self.aiologic.RWLock()

    def side(self, act):
        if act.rng.random() < 0.3:
            return self.prim.writer, "writer"
        return self.prim.reader, "reader"

    def end_state(self):
        prim = self.prim
        self.check(
            not prim.locked() and prim.readers == 0,
            f"still held: {prim!r}",
        )


# -- condition ------------------------------------------------------------


class ConditionScenario(Scenario):
    """Producers add tokens and notify; consumers wait for them.

    Notifications are counted: every waiter counted by ``notify()``
    returns True, unless it was cancelled (then it passes the
    notification on), so ``notified - cancelled <= woken <= notified``.
    """

    name = "condition"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = aiologic.Condition()
        self.tokens = 0
        self.closing = False

    def roles(self, total):
        return ["producer" if i % 2 else "consumer" for i in range(total)]

    def _produce(self, act):
        self.tokens += 1
        act.state["produced"] = act.state.get("produced", 0) + 1
        count = self.prim.notify()
        act.state["notified"] = act.state.get("notified", 0) + count

    def _take(self, act):
        act.check(self.tokens >= 0, f"tokens {self.tokens} < 0")
        if self.tokens > 0:
            self.tokens -= 1
            act.state["consumed"] = act.state.get("consumed", 0) + 1

    def _woken(self, act, woken):
        if woken:
            act.state["woken"] = act.state.get("woken", 0) + 1

    def green_unit(self, act, mode, timeout):
        with self.prim:
            if act.role == "producer":
                self._produce(act)
                return
            if mode == "blocking":
                while self.tokens == 0 and not self.closing:
                    self._woken(act, self.prim.wait())
            elif self.tokens == 0 and not self.closing:
                self._woken(
                    act,
                    self.prim.wait(0 if mode == "nonblocking" else timeout),
                )
            self._take(act)

    async def async_unit(self, act, mode, timeout):
        async with self.prim:
            if act.role == "producer":
                self._produce(act)
                return
            if mode == "blocking":
                while self.tokens == 0 and not self.closing:
                    self._woken(act, await self.prim)
            elif self.tokens == 0 and not self.closing:
                self._woken(
                    act,
                    await self.prim.with_(
                        0 if mode == "nonblocking" else timeout
                    ),
                )
            self._take(act)

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            mode = act.mode()
            if mode == "cancelled":
                act.run_cancellable(
                    lambda: self.green_unit(act, "blocking", None),
                    act.timeout(),
                )
            else:
                self.green_unit(act, mode, act.timeout())
            act.ops += 1
            if act.role == "producer":
                act.pause()

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            mode = act.mode()
            if mode == "cancelled":
                await act.run_cancellable(
                    lambda: self.async_unit(act, "blocking", None),
                    act.timeout(),
                )
            else:
                await self.async_unit(act, mode, act.timeout())
            act.ops += 1
            if act.role == "producer":
                await act.pause()

    def controller(self, run):
        # after the deadline: wake every consumer still waiting, once
        run.wait_deadline()
        with self.prim:
            self.closing = True
            self.prim.notify_all()

    def finish(self, acts):
        def total(key, role):
            return sum(a.state.get(key, 0) for a in acts if a.role == role)

        produced = total("produced", "producer")
        consumed = total("consumed", "consumer")
        notified = total("notified", "producer")
        woken = total("woken", "consumer")
        cancelled = sum(a.cancels for a in acts if a.role == "consumer")
        self.check(
            produced == consumed + self.tokens,
            f"tokens not conserved: produced {produced}, consumed"
            f" {consumed}, left {self.tokens}",
        )
        self.check(
            notified - cancelled <= woken <= notified,
            f"notifications lost: notify() counted {notified}, woken"
            f" {woken}, cancelled consumers {cancelled}",
        )
        self.check(self.prim.waiting == 0, f"waiters left: {self.prim!r}")
        lock = self.prim.lock
        self.check(not lock.locked(), f"lock still held: {lock!r}")


# -- event ----------------------------------------------------------------


class EventScenario(Scenario):
    """Waiters wait on the current event; setters set it and replace it."""

    name = "event"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.current = aiologic.Event()
        self.events = [self.current]

    def roles(self, total):
        return ["setter" if i % 4 == 1 else "waiter" for i in range(total)]

    def _set(self, act):
        event = self.current
        event.set()
        act.check(event.is_set(), "is_set() false after set()")
        with self.ledger.lock:
            if self.current is event:
                self.current = self.aiologic.Event()
                self.events.append(self.current)

    def _woken(self, act, event, mode, woken):
        if mode == "blocking":
            act.check(woken, "a blocking wait returned False")
        if woken:
            act.check(event.is_set(), "woken but the event is not set")

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "setter":
                for _ in range(3):
                    act.pause()
                self._set(act)
                continue
            event = self.current
            mode = act.mode()
            if mode == "cancelled":
                done, woken = act.run_cancellable(event.wait, act.timeout())
                if not done:
                    continue
            elif mode == "blocking":
                woken = event.wait()
            else:
                woken = event.wait(
                    0 if mode == "nonblocking" else act.timeout()
                )
            self._woken(act, event, mode, woken)

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "setter":
                for _ in range(3):
                    await act.pause()
                self._set(act)
                continue
            event = self.current
            mode = act.mode()
            if mode == "cancelled":

                async def wait():
                    return await event

                done, woken = await act.run_cancellable(wait, act.timeout())
                if not done:
                    continue
            elif mode == "blocking":
                woken = await event
            else:
                woken = await event.with_(
                    0 if mode == "nonblocking" else act.timeout()
                )
            self._woken(act, event, mode, woken)

    def controller(self, run):
        # the setters have stopped: wake whoever waits on the last event
        run.wait_role_done("setter")
        self.current.set()

    def finish(self, acts):
        unset = sum(1 for event in self.events if not event.is_set())
        self.check(unset == 0, f"{unset} events never set")
        left = sum(event.waiting for event in self.events)
        self.check(left == 0, f"{left} waiters left on set events")
        self.check(len(self.events) > 1, "no event was ever set")


# -- barrier --------------------------------------------------------------


class BarrierScenario(Scenario):
    """Every actor passes every phase; indices 0..parties-1 per phase."""

    name = "barrier"
    reusable = False

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = None
        self.stop_phase = None

    def prepare(self, total):
        cls = (
            self.aiologic.RBarrier if self.reusable else self.aiologic.Barrier
        )
        self.prim = cls(total)

    def roles(self, total):
        self.prepare(total)
        return ["any"] * total

    def _passed(self, act, phase, index, deadline):
        act.state.setdefault("indices", []).append((phase, index))
        # the first to arrive ends the run two phases later: every actor
        # decides whether to enter phase + 2 after phase + 1 completed,
        # which needs this actor, so after it set stop_phase
        late = time.monotonic() >= deadline
        if index == 0 and self.stop_phase is None and late:
            self.stop_phase = phase + 2

    def _going(self, phase):
        return self.stop_phase is None or phase < self.stop_phase

    def green_actor(self, act, deadline):
        phase = 0
        while self._going(phase):
            if self.reusable and act.rng.random() < 0.5:
                index = self.prim.wait(60)  # a timeout that never expires
            else:
                index = self.prim.wait()
            self._passed(act, phase, index, deadline)
            phase += 1
            act.ops += 1

    async def async_actor(self, act, deadline):
        phase = 0
        while self._going(phase):
            if self.reusable and act.rng.random() < 0.5:
                index = await self.prim.with_(60)
            else:
                index = await self.prim
            self._passed(act, phase, index, deadline)
            phase += 1
            act.ops += 1

    def finish(self, acts):
        parties = self.prim.parties
        phases = collections.defaultdict(list)
        for act in acts:
            for phase, index in act.state.get("indices", ()):
                phases[phase].append(index)
        want = list(range(parties))
        bad = [p for p, idx in phases.items() if sorted(idx) != want]
        self.ledger.checks += len(phases)
        self.check(not bad, f"incomplete phases {bad[:5]} of {len(phases)}")
        self.check(self.stop_phase == len(phases), "phases not all run")
        self.check(
            not self.prim.broken and self.prim.waiting == 0,
            f"barrier left {self.prim!r}",
        )


class RBarrierScenario(BarrierScenario):
    name = "rbarrier"
    reusable = True


# -- queues ---------------------------------------------------------------

_SENTINEL = (1 << 62, -1)


class QueueScenario(Scenario):
    """Producers put (producer, seq) items; consumers get them.

    Items neither lost nor duplicated: an item whose put succeeded is got
    exactly once; one whose put failed never; one whose put was cancelled
    at most once. FIFO queues: per consumer, each producer's items out
    of order are counted (``reordered``), not failed: see ``finish``.
    """

    name = "queue"
    kind = "Queue"
    fifo = True
    simple = False
    maxsize = 4

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        if self.simple:
            self.prim = getattr(aiologic, self.kind)()
        else:
            self.prim = getattr(aiologic, self.kind)(self.maxsize)
        self.drained = []

    def roles(self, total):
        return ["producer" if i % 2 else "consumer" for i in range(total)]

    def _record_put(self, act, item, outcome):
        act.state.setdefault(outcome, []).append(item)

    def _record_get(self, act, item):
        if item == _SENTINEL:
            act.state["stop"] = True
        else:
            act.state.setdefault("got", []).append(item)

    def green_put(self, act, item, mode, timeout):
        if self.simple:
            self.prim.put(item)
            return True
        full = self.aiologic.QueueFull
        try:
            if mode == "nonblocking":
                self.prim.green_put(item, blocking=False)
            elif mode == "timed":
                self.prim.green_put(item, timeout=timeout)
            else:
                self.prim.green_put(item)
        except full:
            return False
        return True

    async def async_put(self, act, item, mode, timeout):
        if self.simple:
            self.prim.put(item)
            return True
        full = self.aiologic.QueueFull
        try:
            if mode == "nonblocking":
                await self.prim.async_put(item, blocking=False)
            elif mode == "timed":
                await self.prim.async_put(item, timeout=timeout)
            else:
                await self.prim.async_put(item)
        except full:
            return False
        return True

    def green_get(self, act, mode, timeout):
        try:
            if mode == "nonblocking":
                item = self.prim.green_get(blocking=False)
            elif mode == "timed":
                item = self.prim.green_get(timeout=timeout)
            else:
                item = self.prim.green_get()
        except self.aiologic.QueueEmpty:
            return
        self._record_get(act, item)

    async def async_get(self, act, mode, timeout):
        try:
            if mode == "nonblocking":
                item = await self.prim.async_get(blocking=False)
            elif mode == "timed":
                item = await self.prim.async_get(timeout=timeout)
            else:
                item = await self.prim.async_get()
        except self.aiologic.QueueEmpty:
            return
        self._record_get(act, item)

    def green_actor(self, act, deadline):
        seq = 0
        if act.role == "producer":
            while time.monotonic() < deadline:
                item = (act.index, seq)
                seq += 1
                mode = act.mode()
                if mode == "cancelled":
                    done, ok = act.run_cancellable(
                        lambda: self.green_put(act, item, "blocking", None),
                        act.timeout(),
                    )
                    outcome = ("ok" if ok else "failed") if done else "maybe"
                else:
                    ok = self.green_put(act, item, mode, act.timeout())
                    outcome = "ok" if ok else "failed"
                self._record_put(act, item, outcome)
                act.ops += 1
                if self.simple:
                    act.pause()
            return
        while not act.state.get("stop"):
            mode = act.mode()
            if mode == "cancelled":
                act.run_cancellable(
                    lambda: self.green_get(act, "blocking", None),
                    act.timeout(),
                )
            else:
                self.green_get(act, mode, act.timeout())
            act.ops += 1

    async def async_actor(self, act, deadline):
        seq = 0
        if act.role == "producer":
            while time.monotonic() < deadline:
                item = (act.index, seq)
                seq += 1
                mode = act.mode()
                if mode == "cancelled":
                    done, ok = await act.run_cancellable(
                        lambda: self.async_put(act, item, "blocking", None),
                        act.timeout(),
                    )
                    outcome = ("ok" if ok else "failed") if done else "maybe"
                else:
                    ok = await self.async_put(act, item, mode, act.timeout())
                    outcome = "ok" if ok else "failed"
                self._record_put(act, item, outcome)
                act.ops += 1
                if self.simple:
                    await act.pause()
            return
        while not act.state.get("stop"):
            mode = act.mode()
            if mode == "cancelled":
                await act.run_cancellable(
                    lambda: self.async_get(act, "blocking", None),
                    act.timeout(),
                )
            else:
                await self.async_get(act, mode, act.timeout())
            act.ops += 1

    def controller(self, run):
        # the producers have stopped: one sentinel per consumer
        run.wait_role_done("producer")
        for _ in range(run.count_role("consumer")):
            if self.simple:
                self.prim.put(_SENTINEL)
            else:
                self.prim.green_put(_SENTINEL)
        run.wait_role_done("consumer")
        empty = self.aiologic.QueueEmpty
        while True:
            try:
                item = self.prim.green_get(blocking=False)
            except empty:
                break
            if item != _SENTINEL:
                self.drained.append(item)

    def finish(self, acts):
        put_ok, put_failed, put_maybe = set(), set(), set()
        got = collections.Counter(self.drained)
        put_maybe_all = set()
        for act in acts:
            put_maybe_all.update(act.state.get("maybe", ()))
        for act in acts:
            put_ok.update(act.state.get("ok", ()))
            put_failed.update(act.state.get("failed", ()))
            put_maybe.update(act.state.get("maybe", ()))
            got.update(act.state.get("got", ()))
            if self.fifo and act.role == "consumer":
                last = {}
                for producer, seq in act.state.get("got", ()):
                    if (producer, seq) in put_maybe_all:
                        continue
                    # counted, not failed: items go straight to waiting
                    # getters, and one cancelled after the hand-off passes
                    # its item on, possibly to a getter that already took
                    # a later item (getters B then C wait; put 1 -> B, put
                    # 2 -> C, B cancelled: C gets 2, then 1)
                    if seq <= last.get(producer, -1):
                        self.ledger.notes["reordered"] = (
                            self.ledger.notes.get("reordered", 0) + 1
                        )
                    last[producer] = seq
        dups = [item for item, n in got.items() if n > 1]
        lost = put_ok - set(got)
        ghosts = set(got) - put_ok - put_maybe
        self.ledger.checks += len(put_ok) + len(got)
        self.check(not dups, f"{len(dups)} items got twice: {dups[:3]}")
        self.check(not lost, f"{len(lost)} items lost: {sorted(lost)[:3]}")
        self.check(
            not ghosts,
            f"{len(ghosts)} items got but never put: {sorted(ghosts)[:3]}",
        )
        self.check(
            sum(p for p, _s in put_ok) + sum(s for _p, s in put_ok)
            == sum(p + s for (p, s) in got if (p, s) in put_ok),
            "checksum of items differs",
        )
        prim = self.prim
        self.check(prim.waiting == 0, f"waiters left: {prim!r}")
        self.check(len(prim) == 0, f"items left: {prim!r}")


class LifoQueueScenario(QueueScenario):
    name = "lifo_queue"
    kind = "LifoQueue"
    fifo = False


class PriorityQueueScenario(QueueScenario):
    name = "priority_queue"
    kind = "PriorityQueue"
    fifo = False


class SimpleQueueScenario(QueueScenario):
    name = "simple_queue"
    kind = "SimpleQueue"
    simple = True


SCENARIOS = {
    cls.name: cls
    for cls in (
        LockScenario,
        RLockScenario,
        SemaphoreScenario,
        BoundedSemaphoreScenario,
        LimiterScenario,
        RLimiterScenario,
        RWLockScenario,
        ConditionScenario,
        EventScenario,
        BarrierScenario,
        RBarrierScenario,
        QueueScenario,
        LifoQueueScenario,
        PriorityQueueScenario,
        SimpleQueueScenario,
    )
}
