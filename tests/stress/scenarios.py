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
import random
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


class BinarySemaphoreScenario(SemaphoreScenario):
    """At most one permit: one holder at a time, value 0 inside, 1 after."""

    name = "binary_semaphore"
    capacity = 1

    def make(self):
        return self.aiologic.BinarySemaphore(self.capacity)


class BoundedBinarySemaphoreScenario(BinarySemaphoreScenario):
    name = "bounded_binary_semaphore"

    def make(self):
        return self.aiologic.BoundedBinarySemaphore(self.capacity)


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


def _green_wait(act, prim, mode):
    """``prim.wait(...)`` in ``mode``: ``(completed, result)``."""
    if mode == "cancelled":
        return act.run_cancellable(prim.wait, act.timeout())
    if mode == "blocking":
        return True, prim.wait()
    return True, prim.wait(0 if mode == "nonblocking" else act.timeout())


async def _async_wait(act, prim, mode):
    """``await prim`` (or ``prim.with_(...)``) in ``mode``."""
    if mode == "cancelled":

        async def wait():
            return await prim

        return await act.run_cancellable(wait, act.timeout())
    if mode == "blocking":
        return True, await prim
    return True, await prim.with_(
        0 if mode == "nonblocking" else act.timeout()
    )


class CountdownScenario(Scenario):
    """Counters ``up(k)`` then ``down()`` k times; waiters wait for zero.

    Every ``up``/``down`` runs under the ledger's lock next to a model of
    the value, so the value is checked exactly after each of them, and
    each time the model reaches zero an epoch is counted. A waiter reads
    the epoch before it waits: if it is woken, the value was zero at its
    start or an epoch passed during its wait (checking ``value`` at wake
    would race with the next ``up``). At the end the value is back to the
    initial 0 and every waiter has returned (a lost wake-up hangs).
    """

    name = "countdown_event"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = aiologic.CountdownEvent()
        self.value = 0  # the model, under ledger.lock
        self.zeros = 0  # times the model went down to zero

    def roles(self, total):
        return ["counter" if i % 4 == 1 else "waiter" for i in range(total)]

    def _up(self, act, count):
        with self.ledger.lock:
            self.prim.up(count)
            self.value += count
            value, model = self.prim.value, self.value
        act.check(value == model, f"value {value} after up(), model {model}")

    def _down(self, act):
        with self.ledger.lock:
            try:
                self.prim.down()
            except RuntimeError as exc:
                value, model, error = self.prim.value, self.value, exc
            else:
                error = None
                self.value -= 1
                if self.value == 0:
                    self.zeros += 1
                value, model = self.prim.value, self.value
        act.check(error is None, f"down() at model value {model}: {error}")
        act.check(value == model, f"value {value} after down(), model {model}")

    def _start(self):
        with self.ledger.lock:
            return self.zeros, self.value

    def _woken(self, act, mode, start, done, woken):
        if not done:
            return
        if mode == "blocking":
            act.check(woken, "a blocking wait returned False")
        if woken:
            zeros0, value0 = start
            with self.ledger.lock:
                zeros1 = self.zeros
            act.check(
                value0 == 0 or zeros1 > zeros0,
                f"woken while the value stayed above 0 (value {value0} at"
                f" the start, no zero since)",
            )
            act.state["woken"] = act.state.get("woken", 0) + 1

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "counter":
                count = act.rng.randint(1, 3)
                self._up(act, count)
                for _ in range(count):
                    act.pause()
                    self._down(act)
                for _ in range(act.rng.randrange(4)):
                    act.pause()
                continue
            mode = act.mode()
            start = self._start()
            done, woken = _green_wait(act, self.prim, mode)
            self._woken(act, mode, start, done, woken)
            # a wait that need not block does not yield: let the hub run
            act.pause()

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "counter":
                count = act.rng.randint(1, 3)
                self._up(act, count)
                for _ in range(count):
                    await act.pause()
                    self._down(act)
                for _ in range(act.rng.randrange(4)):
                    await act.pause()
                continue
            mode = act.mode()
            start = self._start()
            done, woken = await _async_wait(act, self.prim, mode)
            self._woken(act, mode, start, done, woken)
            # a wait that need not block does not yield: let the hub run
            await act.pause()

    def controller(self, run):
        # the counters have stopped: the value must be back to 0, which
        # wakes every waiter (one still blocked at the end is a lost wake)
        run.wait_role_done("counter")
        value = self.prim.value
        self.check(value == 0, f"value {value} after the counters, not 0")
        if value:
            self.prim.clear()  # let the waiters go; the violation stands

    def finish(self, acts):
        self.ledger.notes["zeros"] = self.zeros
        self.ledger.notes["woken"] = sum(a.state.get("woken", 0) for a in acts)
        self.check(self.prim.value == 0, f"value left: {self.prim!r}")
        self.check(self.prim.waiting == 0, f"waiters left: {self.prim!r}")


class REventScenario(Scenario):
    """Togglers ``set()``/``clear()`` an REvent; waiters wait on it.

    ``set()``/``clear()`` run under the ledger's lock next to a model, so
    ``is_set()`` is checked exactly after each, and sets are counted. A
    woken waiter must have started while the event was set or seen a set
    counted after it started (a set that happened before its wait and was
    cleared must not wake it). A blocking wait returns True. At the end
    the event is set and no waiter is left.
    """

    name = "revent"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = aiologic.REvent()
        self.is_set = False  # the model, under ledger.lock
        self.sets = 0

    def roles(self, total):
        return ["toggler" if i % 4 == 1 else "waiter" for i in range(total)]

    def _toggle(self, act):
        with self.ledger.lock:
            if act.rng.random() < 0.5:
                self.prim.set()
                self.is_set = True
                self.sets += 1
            else:
                self.prim.clear()
                self.is_set = False
            real, model = self.prim.is_set(), self.is_set
        act.check(real == model, f"is_set() {real} after set/clear {model}")

    def _start(self):
        with self.ledger.lock:
            return self.sets, self.is_set

    def _woken(self, act, mode, start, done, woken):
        if not done:
            return
        if mode == "blocking":
            act.check(woken, "a blocking wait returned False")
        if woken:
            sets0, set0 = start
            with self.ledger.lock:
                sets1 = self.sets
            act.check(
                set0 or sets1 > sets0,
                "woken by no set: unset at the start and no set since",
            )
            act.state["woken"] = act.state.get("woken", 0) + 1

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "toggler":
                for _ in range(3):
                    act.pause()
                self._toggle(act)
                continue
            mode = act.mode()
            start = self._start()
            done, woken = _green_wait(act, self.prim, mode)
            self._woken(act, mode, start, done, woken)
            # a wait that need not block does not yield: let the hub run
            act.pause()

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            act.ops += 1
            if act.role == "toggler":
                for _ in range(3):
                    await act.pause()
                self._toggle(act)
                continue
            mode = act.mode()
            start = self._start()
            done, woken = await _async_wait(act, self.prim, mode)
            self._woken(act, mode, start, done, woken)
            # a wait that need not block does not yield: let the hub run
            await act.pause()

    def controller(self, run):
        # the togglers have stopped: set it for whoever still waits
        run.wait_role_done("toggler")
        with self.ledger.lock:
            self.prim.set()
            self.is_set = True
            self.sets += 1

    def finish(self, acts):
        self.ledger.notes["sets"] = self.sets
        self.ledger.notes["woken"] = sum(a.state.get("woken", 0) for a in acts)
        self.check(self.prim.is_set(), f"not set at the end: {self.prim!r}")
        self.check(self.prim.waiting == 0, f"waiters left: {self.prim!r}")


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


class LatchScenario(Scenario):
    """A fresh Latch per generation; every actor passes every generation.

    Arrivals are counted before each wait: an actor that passes finds all
    the parties arrived (none passes early), and at the end every
    generation was passed by every party. A passed latch lets a later
    wait through at once, even with timeout 0. Only blocking waits (a
    timed-out or cancelled wait breaks a latch by design).
    """

    name = "latch"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.parties = 0
        self.latches = []  # one per generation, made by its first arrival
        self.arrived = []
        self.stop_phase = None

    def roles(self, total):
        self.parties = total
        return ["any"] * total

    def _arrive(self, phase):
        with self.ledger.lock:
            if phase == len(self.latches):
                self.latches.append(self.aiologic.Latch(self.parties))
                self.arrived.append(0)
            order = self.arrived[phase]
            self.arrived[phase] += 1
            return self.latches[phase], order

    def _passed(self, act, phase, order, deadline):
        with self.ledger.lock:
            arrived = self.arrived[phase]
        act.check(
            arrived == self.parties,
            f"passed generation {phase} with {arrived} of"
            f" {self.parties} parties arrived",
        )
        act.state.setdefault("passed", []).append(phase)
        # as in BarrierScenario: the first to arrive ends the run two
        # generations later, which every actor learns in time
        late = time.monotonic() >= deadline
        if order == 0 and self.stop_phase is None and late:
            self.stop_phase = phase + 2

    def _going(self, phase):
        return self.stop_phase is None or phase < self.stop_phase

    def green_actor(self, act, deadline):
        phase = 0
        while self._going(phase):
            latch, order = self._arrive(phase)
            if act.rng.random() < 0.5:
                latch.wait(60)  # a timeout that never expires
            else:
                latch.wait()
            self._passed(act, phase, order, deadline)
            if act.rng.random() < 0.2:
                latch.wait(0)  # drained: passes at once
            phase += 1
            act.ops += 1

    async def async_actor(self, act, deadline):
        phase = 0
        while self._going(phase):
            latch, order = self._arrive(phase)
            if act.rng.random() < 0.5:
                await latch.with_(60)
            else:
                await latch
            self._passed(act, phase, order, deadline)
            if act.rng.random() < 0.2:
                await latch.with_(0)
            phase += 1
            act.ops += 1

    def finish(self, acts):
        passed = collections.Counter()
        for act in acts:
            passed.update(act.state.get("passed", ()))
        bad = [
            p for p in range(len(self.latches)) if passed[p] != self.parties
        ]
        self.ledger.checks += len(self.latches)
        self.check(
            not bad,
            f"generations not passed by every party: {bad[:5]} of"
            f" {len(self.latches)}",
        )
        self.check(
            self.stop_phase == len(self.latches),
            f"generations {len(self.latches)}, stop at {self.stop_phase}",
        )
        left = [
            latch
            for latch in self.latches
            if latch.broken or latch.waiting or not latch
        ]
        self.check(not left, f"latches left {left[:3]}")


# -- non-blocking: flag, resource guard -------------------------------------


class FlagScenario(Scenario):
    """Actors race to ``set()`` the current Flag and ``get()`` it.

    Each ``set`` passes a fresh marker: exactly one wins per flag (True),
    the winner's marker is what every later ``get`` returns, a lost
    ``set`` sees a value that is not its own, and setting the stored
    marker again returns True. A flag that holds a value is now and then
    replaced by a new one. At the end each flag holds its winner's marker.
    """

    name = "flag"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.current = aiologic.Flag()
        self.flags = [self.current]
        self.winners = {}  # id(flag) -> marker, under ledger.lock

    def _unit(self, act):
        flag = self.current
        if act.rng.random() < 0.4:
            marker = (act.index, act.ops)
            won = flag.set(marker)
            if won:
                with self.ledger.lock:
                    other = self.winners.get(id(flag))
                    self.winners[id(flag)] = marker
                act.check(other is None, f"two set() won: {other}, {marker}")
                value = flag.get()
                act.check(value is marker, f"won with {marker}, got {value}")
                act.check(flag.set(marker), "set(stored marker) is False")
            else:
                value = flag.get(None)
                act.check(
                    value is not None and value is not marker,
                    f"set() lost but get() gives {value}",
                )
            self._rotate(flag, act)
            return
        with self.ledger.lock:
            known = self.winners.get(id(flag))
        if act.rng.random() < 0.5:
            value = flag.get(default_factory=lambda: None)
        else:
            try:
                value = flag.get()
            except LookupError:
                value = None
        if known is not None:
            act.check(value is known, f"get() {value} after {known} won")
        elif value is not None:
            act.check(
                isinstance(value, tuple), f"get() gives a stranger {value}"
            )
        if value is not None:
            self._rotate(flag, act)

    def _rotate(self, flag, act):
        # a flag that holds a value is replaced now and then by a new one
        if act.rng.random() < 0.1:
            with self.ledger.lock:
                if self.current is flag:
                    self.current = self.aiologic.Flag()
                    self.flags.append(self.current)

    def green_actor(self, act, deadline):
        while time.monotonic() < deadline:
            self._unit(act)
            act.ops += 1
            if act.rng.random() < 0.5:
                act.pause()

    async def async_actor(self, act, deadline):
        while time.monotonic() < deadline:
            self._unit(act)
            act.ops += 1
            if act.rng.random() < 0.5:
                await act.pause()

    def finish(self, acts):
        self.ledger.notes["flags"] = len(self.flags)
        lost = []
        for flag in self.flags:
            value = flag.get(None)
            if value is not self.winners.get(id(flag)):
                lost.append((value, self.winners.get(id(flag))))
        self.ledger.checks += len(self.flags)
        self.check(
            not lost, f"flags whose value is not the winner's: {lost[:3]}"
        )
        self.check(len(self.winners) > 1, "no flag was ever won twice")


class ResourceGuardScenario(Scenario):
    """``with guard:`` from everyone: one user inside at a time.

    An entry either gets in (and is then the only one inside: counted
    under the ledger's lock between ``__enter__`` and ``__exit__``) or
    raises ``BusyResourceError``; the entries and busy errors are noted.
    """

    name = "resource_guard"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.prim = aiologic.ResourceGuard()
        self.users = 0

    def _enter(self, act):
        with self.ledger.lock:
            self.users += 1
            users = self.users
        act.check(users == 1, f"{users} users inside the guard at once")
        act.check(bool(self.prim), "the guard reads unused inside")
        act.state["entered"] = act.state.get("entered", 0) + 1

    def _leave(self):
        with self.ledger.lock:
            self.users -= 1

    def _busy(self, act):
        act.state["busy"] = act.state.get("busy", 0) + 1

    def green_actor(self, act, deadline):
        busy = self.aiologic.BusyResourceError
        while time.monotonic() < deadline:
            act.ops += 1
            try:
                with self.prim:
                    self._enter(act)
                    try:
                        for _ in range(act.rng.randrange(3)):
                            act.pause()
                    finally:
                        self._leave()
            except busy:
                self._busy(act)
            act.pause()

    async def async_actor(self, act, deadline):
        busy = self.aiologic.BusyResourceError
        while time.monotonic() < deadline:
            act.ops += 1
            try:
                with self.prim:
                    self._enter(act)
                    try:
                        for _ in range(act.rng.randrange(3)):
                            await act.pause()
                    finally:
                        self._leave()
            except busy:
                self._busy(act)
            await act.pause()

    def finish(self, acts):
        entered = sum(a.state.get("entered", 0) for a in acts)
        self.ledger.notes["entered"] = entered
        self.ledger.notes["busy"] = sum(a.state.get("busy", 0) for a in acts)
        self.check(entered > 0, "nobody ever got in")
        self.check(self.users == 0, "users left inside")
        self.check(not self.prim, f"still in use: {self.prim!r}")


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


class SimpleLifoQueueScenario(QueueScenario):
    name = "simple_lifo_queue"
    kind = "SimpleLifoQueue"
    simple = True
    fifo = False


# (class name, simple, FIFO): what the join and shutdown runs pick from
QUEUE_KINDS = (
    ("Queue", False, True),
    ("LifoQueue", False, False),
    ("PriorityQueue", False, False),
    ("SimpleQueue", True, True),
    ("SimpleLifoQueue", True, False),
)


class PickedQueueScenario(QueueScenario):
    """A queue scenario whose kind of queue the seed picks (noted)."""

    def __init__(self, aiologic, seed):
        self.pick = random.Random(f"{seed}:{self.name}")
        self.kind, self.simple, self.fifo = self.pick.choice(QUEUE_KINDS)
        super().__init__(aiologic, seed)
        self.ledger.notes["kind"] = self.kind


class QueueJoinScenario(PickedQueueScenario):
    """Producers put, consumers get and ``task_done()``, joiners join.

    The seed picks the kind of queue. Items as in ``QueueScenario``; a
    consumer sometimes yields between a get and its ``task_done()``, so
    joins often have to wait. Every successful put is counted after it
    returns and every ``task_done()`` (each after a get, never raising)
    under the ledger's lock, so the unfinished count is at least ``puts -
    done`` at any time. A join that returns True must have seen zero: the
    puts counted at its start are at most the ``task_done()`` calls
    counted at its end. At the end (everything got and done): the
    unfinished count is 0, the done calls equal the items got, and a last
    join returns True at once.
    """

    name = "queue_join"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.puts = 0  # successful puts, counted after each returned
        self.done = 0  # task_done() calls, counted under ledger.lock
        self.drained_gets = 0  # by the controller, sentinels included

    def roles(self, total):
        return [
            ("consumer", "producer", "joiner", "producer")[i % 4]
            for i in range(total)
        ]

    def _record_put(self, act, item, outcome):
        super()._record_put(act, item, outcome)
        if outcome == "ok":
            with self.ledger.lock:
                self.puts += 1

    def _task_done(self, act):
        with self.ledger.lock:
            try:
                self.prim.task_done()
            except ValueError as exc:
                error = exc
            else:
                error = None
                self.done += 1
        act.check(error is None, f"task_done() after a get raised {error!r}")

    def _record_get(self, act, item):
        super()._record_get(act, item)
        act.state["pending"] = act.state.get("pending", 0) + 1

    def _finish_pending(self, act):
        for _ in range(act.state.pop("pending", 0)):
            self._task_done(act)

    def _green_consumer(self, act):
        # items are "processed" for a while before task_done(), so that
        # the unfinished count is often above zero while joiners wait
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
            if act.state.get("pending") and act.rng.random() < 0.5:
                act.pause()
            self._finish_pending(act)

    async def _async_consumer(self, act):
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
            if act.state.get("pending") and act.rng.random() < 0.5:
                await act.pause()
            self._finish_pending(act)

    def _join_start(self):
        with self.ledger.lock:
            return self.puts

    def _joined(self, act, mode, puts, done, joined):
        if not done:
            return
        if mode == "blocking":
            act.check(joined, "a blocking join returned False")
        if joined:
            with self.ledger.lock:
                dones = self.done
            act.check(
                puts <= dones,
                f"join returned True but never saw zero: {puts} puts"
                f" before it, {dones} task_done() by its end",
            )
            act.state["joined"] = act.state.get("joined", 0) + 1

    def green_actor(self, act, deadline):
        if act.role == "consumer":
            self._green_consumer(act)
            return
        if act.role != "joiner":
            super().green_actor(act, deadline)
            return
        prim = self.prim
        while time.monotonic() < deadline:
            act.ops += 1
            mode = act.mode()
            puts = self._join_start()
            if mode == "cancelled":
                done, joined = act.run_cancellable(
                    prim.green_join, act.timeout()
                )
            elif mode == "blocking":
                done, joined = True, prim.green_join()
            else:
                timeout = 0 if mode == "nonblocking" else act.timeout()
                done, joined = True, prim.green_join(timeout=timeout)
            self._joined(act, mode, puts, done, joined)

    async def async_actor(self, act, deadline):
        if act.role == "consumer":
            await self._async_consumer(act)
            return
        if act.role != "joiner":
            await super().async_actor(act, deadline)
            return
        prim = self.prim
        while time.monotonic() < deadline:
            act.ops += 1
            mode = act.mode()
            puts = self._join_start()
            if mode == "cancelled":
                done, joined = await act.run_cancellable(
                    prim.async_join, act.timeout()
                )
            elif mode == "blocking":
                done, joined = True, await prim.async_join()
            else:
                timeout = 0 if mode == "nonblocking" else act.timeout()
                done, joined = True, await prim.async_join(timeout=timeout)
            self._joined(act, mode, puts, done, joined)

    def controller(self, run):
        # as QueueScenario, but every sentinel and drained item is done;
        # the sentinels count as puts
        run.wait_role_done("producer")
        for _ in range(run.count_role("consumer")):
            self.prim.green_put(_SENTINEL)
            with self.ledger.lock:
                self.puts += 1
        run.wait_role_done("consumer")
        empty = self.aiologic.QueueEmpty
        while True:
            try:
                item = self.prim.green_get(blocking=False)
            except empty:
                break
            if item != _SENTINEL:
                self.drained.append(item)
            self.drained_gets += 1
            with self.ledger.lock:
                self.prim.task_done()
                self.done += 1

    def finish(self, acts):
        super().finish(acts)
        got = self.drained_gets + sum(
            len(a.state.get("got", ())) + bool(a.state.get("stop"))
            for a in acts
        )
        prim = self.prim
        self.ledger.notes["joined"] = sum(
            a.state.get("joined", 0) for a in acts
        )
        self.check(
            prim.unfinished_tasks == 0,
            f"unfinished tasks left: {prim.unfinished_tasks}",
        )
        self.check(
            self.done == got,
            f"{self.done} task_done() for {got} items got (with sentinels)",
        )
        self.check(prim.green_join(timeout=0), "a last join returned False")


class QueueShutdownScenario(PickedQueueScenario):
    """A queue (kind picked by the seed) used until ``shutdown()``.

    Producers put and consumers get until the queue refuses them with
    ``QueueShutDown``; the controller shuts it down at the deadline,
    ``immediate`` or not as the seed decides. Every actor must end that
    way, blocked ones included (a hang fails the run). After
    ``shutdown()`` returned, no call fails with ``QueueFull`` or
    ``QueueEmpty`` and, once immediate, no get returns an item. Items:
    none duplicated, none got that was not put; all got unless the
    shutdown was immediate (the dropped ones are noted); the unfinished
    count equals the items got (no ``task_done()`` here; dropped items
    count as done).
    """

    name = "queue_shutdown"

    def __init__(self, aiologic, seed):
        super().__init__(aiologic, seed)
        self.immediate = self.pick.random() < 0.5
        self.shut = False  # shutdown() returned

    def _put_outcome(self, act, call):
        shut = self.shut
        try:
            call()
        except self.aiologic.QueueFull:
            act.check(not shut, "QueueFull after shutdown()")
            return "failed"
        except self.aiologic.QueueShutDown:
            act.state["stop"] = True
            self._refused(act, shut)
            return "failed"
        act.check(not shut, "a put succeeded after shutdown()")
        return "ok"

    def _get_outcome(self, act, shut, call):
        try:
            item = call()
        except self.aiologic.QueueEmpty:
            act.check(not shut, "QueueEmpty after shutdown()")
            return
        except self.aiologic.QueueShutDown:
            act.state["stop"] = True
            self._refused(act, shut)
            return
        act.check(
            not (shut and self.immediate),
            "an item got after shutdown(immediate=True)",
        )
        act.state.setdefault("got", []).append(item)

    def green_put(self, act, item, mode, timeout):
        prim = self.prim
        if mode == "nonblocking":
            return self._put_outcome(
                act, lambda: prim.green_put(item, blocking=False)
            )
        if mode == "timed":
            return self._put_outcome(
                act, lambda: prim.green_put(item, timeout=timeout)
            )
        return self._put_outcome(act, lambda: prim.green_put(item))

    async def async_put(self, act, item, mode, timeout):
        shut = self.shut
        prim = self.prim
        try:
            if mode == "nonblocking":
                await prim.async_put(item, blocking=False)
            elif mode == "timed":
                await prim.async_put(item, timeout=timeout)
            else:
                await prim.async_put(item)
        except self.aiologic.QueueFull:
            act.check(not shut, "QueueFull after shutdown()")
            return "failed"
        except self.aiologic.QueueShutDown:
            act.state["stop"] = True
            self._refused(act, shut)
            return "failed"
        act.check(not shut, "a put succeeded after shutdown()")
        return "ok"

    def green_get(self, act, mode, timeout):
        prim = self.prim
        shut = self.shut
        if mode == "nonblocking":
            call = lambda: prim.green_get(blocking=False)  # noqa: E731
        elif mode == "timed":
            call = lambda: prim.green_get(timeout=timeout)  # noqa: E731
        else:
            call = prim.green_get
        self._get_outcome(act, shut, call)

    async def async_get(self, act, mode, timeout):
        shut = self.shut
        prim = self.prim
        try:
            if mode == "nonblocking":
                item = await prim.async_get(blocking=False)
            elif mode == "timed":
                item = await prim.async_get(timeout=timeout)
            else:
                item = await prim.async_get()
        except self.aiologic.QueueEmpty:
            act.check(not shut, "QueueEmpty after shutdown()")
            return
        except self.aiologic.QueueShutDown:
            act.state["stop"] = True
            self._refused(act, shut)
            return
        act.check(
            not (shut and self.immediate),
            "an item got after shutdown(immediate=True)",
        )
        act.state.setdefault("got", []).append(item)

    def _refused(self, act, shut):
        # refused by a shutdown() that ran during the call (a waiting
        # call, mostly): noted, to show the blocked ones were reached
        if not shut:
            act.state["refused"] = act.state.get("refused", 0) + 1

    def _produce(self, act, outcome, item):
        act.state.setdefault(outcome, []).append(item)

    def green_actor(self, act, deadline):
        if act.role == "consumer":
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
                if act.rng.random() < 0.3:
                    act.pause()  # slower consumers: putters block too
            return
        seq = 0
        while not act.state.get("stop"):
            item = (act.index, seq)
            seq += 1
            mode = act.mode()
            if mode == "cancelled":
                done, outcome = act.run_cancellable(
                    lambda: self.green_put(act, item, "blocking", None),
                    act.timeout(),
                )
                if not done:
                    outcome = "maybe"
            else:
                outcome = self.green_put(act, item, mode, act.timeout())
            self._produce(act, outcome, item)
            act.ops += 1
            if self.simple and len(self.prim) > 32:
                act.sleep(0.0005)  # unbounded: keep the drain short

    async def async_actor(self, act, deadline):
        if act.role == "consumer":
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
                if act.rng.random() < 0.3:
                    await act.pause()
            return
        seq = 0
        while not act.state.get("stop"):
            item = (act.index, seq)
            seq += 1
            mode = act.mode()
            if mode == "cancelled":
                done, outcome = await act.run_cancellable(
                    lambda: self.async_put(act, item, "blocking", None),
                    act.timeout(),
                )
                if not done:
                    outcome = "maybe"
            else:
                outcome = await self.async_put(act, item, mode, act.timeout())
            self._produce(act, outcome, item)
            act.ops += 1
            if self.simple and len(self.prim) > 32:
                await act.sleep(0.0005)

    def controller(self, run):
        run.wait_deadline()
        self.prim.shutdown(immediate=self.immediate)
        self.shut = True
        run.wait_role_done("producer")
        run.wait_role_done("consumer")
        self.check(self.prim.is_shutdown, f"not shut down: {self.prim!r}")

    def finish(self, acts):
        put_ok, put_maybe = set(), set()
        got = collections.Counter()
        for act in acts:
            put_ok.update(act.state.get("ok", ()))
            put_maybe.update(act.state.get("maybe", ()))
            got.update(act.state.get("got", ()))
        dups = [item for item, n in got.items() if n > 1]
        ghosts = set(got) - put_ok - put_maybe
        lost = put_ok - set(got)
        self.ledger.checks += len(put_ok) + len(got)
        self.ledger.notes["immediate"] = int(self.immediate)
        self.ledger.notes["refused_in_call"] = sum(
            a.state.get("refused", 0) for a in acts
        )
        self.check(not dups, f"{len(dups)} items got twice: {dups[:3]}")
        self.check(
            not ghosts,
            f"{len(ghosts)} items got but never put: {sorted(ghosts)[:3]}",
        )
        if self.immediate:
            self.ledger.notes["dropped"] = len(lost)
        else:
            self.check(not lost, f"{len(lost)} items lost: {sorted(lost)[:3]}")
        prim = self.prim
        self.check(
            prim.unfinished_tasks == len(got),
            f"unfinished {prim.unfinished_tasks}, {len(got)} items got",
        )
        self.check(prim.waiting == 0, f"waiters left: {prim!r}")
        self.check(len(prim) == 0, f"items left: {prim!r}")


SCENARIOS = {
    cls.name: cls
    for cls in (
        LockScenario,
        RLockScenario,
        SemaphoreScenario,
        BoundedSemaphoreScenario,
        BinarySemaphoreScenario,
        BoundedBinarySemaphoreScenario,
        LimiterScenario,
        RLimiterScenario,
        RWLockScenario,
        ConditionScenario,
        EventScenario,
        REventScenario,
        CountdownScenario,
        BarrierScenario,
        RBarrierScenario,
        LatchScenario,
        FlagScenario,
        ResourceGuardScenario,
        QueueScenario,
        LifoQueueScenario,
        PriorityQueueScenario,
        SimpleQueueScenario,
        SimpleLifoQueueScenario,
        QueueJoinScenario,
        QueueShutdownScenario,
    )
}
