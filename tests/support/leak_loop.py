# SPDX-License-Identifier: MIT

"""Leak loop: many acquire, timeout, cancel and hand-off cycles, flat memory.

Usage::

    python leak_loop.py --cycles 1000000 [--seed S] [--libs a,b,...]

Run in a subprocess of its own, one per core: ``AIOLOGIC_NO_EXTENSIONS=1``
selects the pure-Python core, ``AIOLOGIC_REQUIRE_EXTENSIONS=1`` the compiled
one. Each library (threading, asyncio, trio, gevent, eventlet; those that
can be imported) runs in its own OS thread, all at once, and does its share
of ``--cycles``. A cycle is one of:

``acquire``
    an uncontended blocking acquire (or put and get, or notify) and the
    release;
``nonblocking``
    a ``blocking=False`` call on an unavailable primitive, which fails;
``timeout``
    a blocking call on an unavailable primitive with a timeout of 0 or a
    microsecond, which times out;
``cancel``
    a task or greenlet waits on an unavailable primitive; once it is seen
    queued (``waiting`` went up) it is cancelled or killed (async
    libraries, gevent, eventlet);
``interrupt``
    a wait interrupted from outside: ``asyncio.wait_for``,
    ``trio.move_on_after``, ``gevent.Timeout``, ``eventlet.Timeout``;
``handoff``
    a waiter is seen queued, then woken by a release, put, set or notify
    from another task, greenlet or thread;
``shared``
    a timed acquire (or put and get) of primitives that every library uses
    at once, so that wake-ups cross threads and loops.

Unavailable primitives are held for the whole run (a ``Lock``, an
``RLock`` and an ``RWLock`` by a holder task of the library) or can never
be taken (``Semaphore(0)``, ``CapacityLimiter(0)``, an empty ``Queue``, a
full one, an unset ``Event``...).

After a warm-up (``--warmup`` cycles, default a tenth) and at the end, every
library pauses (idle, no waiter left but the one that waits for the main
thread to go on) and the main thread measures, after ``gc.collect()``:

- ``traced``: the memory ``tracemalloc`` traces (CPython);
- ``heap``: on PyPy, which has no tracemalloc, the collector's old
  generation (``gc.get_stats()``);
- ``rss``: the resident set size (``/proc/self/statm``);
- the live objects of each type (``gc.get_objects()``), but those that a
  library keeps until it purges them lazily (cancelled timers of asyncio
  and eventlet, stale deadlines of trio), and the live low-level events;
- the open file descriptors.

It fails if, between the two, ``traced`` grew by more than
``--max-traced-kib`` (1 MiB), ``heap`` by more than ``--max-heap-kib``
(2 MiB), ``rss`` by more than ``--max-rss-kib`` (4 MiB; on PyPy only
reported: asyncio alone, without aiologic, grows its RSS by about 1 KiB a
cancelled task while the heap stays flat), the objects of any type by
more than ``--max-type-growth`` (100), or the events or descriptors at
all. At the end, after every library has stopped: no primitive has a
waiter, every one holds its initial value, no thread is left, no asyncio
or trio task is pending, no low-level event or compiled-core waiter node
is alive, no file descriptor is left open (the eventlet thread closes its
hub's poller, which eventlet never frees), and the items put into the
shared queue were received once each (by checksum).

On PyPy the JIT is off unless ``--pypy-jit on``: on a loop with this many
branches it keeps compiling new traces for minutes, and their machine code
and metadata grow the heap and the RSS by tens of MiB, which is no leak
(with the JIT off both stay flat).

Prints the cycles run, the counts per library and kind, the memory before
and after, and on the last line one JSON object with the same figures and
the list of failures. Exit status 0 when nothing failed, 1 otherwise.
``--diagnose`` also prints the biggest allocation differences between the
two measurements (tracemalloc snapshots; costly on long runs).
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import gc
import itertools
import json
import os
import platform
import random
import sys
import threading
import time
import warnings

import aiologic

try:
    import tracemalloc
except ImportError:  # PyPy
    tracemalloc = None

LIBS = ("threading", "asyncio", "trio", "gevent", "eventlet")

#: tiny timeouts: poll once, or wait a microsecond
TIMEOUTS = (0, 1e-6)

#: how long a cycle may wait for an observable state (a queued waiter)
STATE_LIMIT = 20.0

KINDS = (
    "acquire",
    "nonblocking",
    "timeout",
    "cancel",
    "interrupt",
    "handoff",
    "shared",
)

#: relative weights of the kinds (libraries without cancellation fold
#: "cancel" and "interrupt" into "timeout")
WEIGHTS = (25, 15, 25, 12, 6, 12, 5)


class Failure(AssertionError):
    """An invariant of the loop does not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message() if callable(message) else message)


def importable(lib):
    if lib in ("threading", "asyncio"):
        return True
    try:
        with warnings.catch_warnings():
            # eventlet warns about its own deprecation on import
            warnings.simplefilter("ignore")
            __import__(lib)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------
# primitives


class Prims:
    """The primitives of one library: some free, some never available."""

    def __init__(self):
        # free ones: taken and given back by "acquire" and "handoff"
        self.lock = aiologic.Lock()
        self.rlock = aiologic.RLock()
        self.sem = aiologic.Semaphore(1)
        self.bsem = aiologic.BoundedSemaphore(1)
        self.limiter = aiologic.CapacityLimiter(1)
        self.rwlock = aiologic.RWLock()
        self.cond = aiologic.Condition()
        self.queue = aiologic.Queue(maxsize=1)
        self.simple = aiologic.SimpleQueue()
        # never available: held by the holder task, or empty, full, zero
        self.held_lock = aiologic.Lock()
        self.held_rlock = aiologic.RLock()
        self.held_rwlock = aiologic.RWLock()
        self.zero_sem = aiologic.Semaphore(0)
        self.zero_bsem = aiologic.BoundedSemaphore(0, 1)
        self.zero_limiter = aiologic.CapacityLimiter(0)
        self.unset = aiologic.Event()
        self.countdown = aiologic.CountdownEvent(1)
        self.empty = aiologic.Queue()
        self.full = aiologic.Queue([0], maxsize=1)
        self.lifo_empty = aiologic.LifoQueue()
        self.prio_empty = aiologic.PriorityQueue()
        self.simple_empty = aiologic.SimpleQueue()
        self.slot = aiologic.Condition()  # waited on with its lock held

    def all(self):
        return dict(vars(self))

    def check_idle(self, where, held):
        """Every primitive has no waiter and its initial state."""
        for name, prim in self.all().items():
            waiting = prim.waiting
            check(waiting == 0, f"{where}: {prim!r} ({name}) has waiters")
        expect = {
            "lock": ("locked", False),
            "rlock": ("locked", False),
            "sem": ("value", 1),
            "bsem": ("value", 1),
            "limiter": ("available_tokens", 1),
            "rwlock": ("locked", False),
            "queue": ("__len__", 0),
            "simple": ("__len__", 0),
            "held_lock": ("locked", held),
            "held_rlock": ("locked", held),
            "held_rwlock": ("locked", held),
            "zero_sem": ("value", 0),
            "zero_bsem": ("value", 0),
            "zero_limiter": ("available_tokens", 0),
            "unset": ("is_set", False),
            "countdown": ("value", 1),
            "empty": ("__len__", 0),
            "full": ("__len__", 1),
            "lifo_empty": ("__len__", 0),
            "prio_empty": ("__len__", 0),
            "simple_empty": ("__len__", 0),
        }
        for name, (attr, value) in expect.items():
            prim = getattr(self, name)
            actual = getattr(prim, attr)
            if callable(actual):
                actual = actual()
            check(
                actual == value,
                f"{where}: {prim!r} ({name}): {attr} is {actual!r},"
                f" expected {value!r}",
            )
        check(
            not self.cond.lock.locked() and not self.slot.lock.locked(),
            f"{where}: a condition's lock is held",
        )


class Shared:
    """Primitives every library uses at once."""

    def __init__(self):
        self.capacity = {"lock": 1, "sem": 2, "limiter": 2}
        self.prims = {
            "lock": aiologic.Lock(),
            "sem": aiologic.Semaphore(2),
            "limiter": aiologic.CapacityLimiter(2),
        }
        self.queue = aiologic.Queue(maxsize=4)
        # occupants of each primitive: list.append/pop are atomic
        self.inside = {name: [] for name in self.prims}
        self.lock = threading.Lock()
        self.put_sum = 0
        self.got_sum = 0
        self.aborted = False  # a library failed: the others stop

    def enter(self, name):
        inside = self.inside[name]
        inside.append(None)
        count = len(inside)
        inside.pop()
        check(
            count <= self.capacity[name],
            lambda: f"shared {name}: {count} holders at once",
        )

    def account(self, put, got):
        with self.lock:
            self.put_sum += put
            self.got_sum += got

    def check_idle(self, where):
        for prim in self.prims.values():
            check(prim.waiting == 0, f"{where}: shared {prim!r} has waiters")
        check(
            not self.prims["lock"].locked()
            and self.prims["sem"].value == 2
            and self.prims["limiter"].available_tokens == 2,
            f"{where}: a shared primitive was not given back",
        )
        check(self.queue.waiting == 0, f"{where}: shared queue has waiters")

    def drain(self):
        rest = 0
        while self.queue:
            rest += self.queue.green_get(blocking=False)
        check(
            self.put_sum == self.got_sum + rest,
            f"shared queue: put {self.put_sum}, received {self.got_sum}"
            f" + {rest} left (sums of the items)",
        )


# ---------------------------------------------------------------------------
# what each library runs


def wait_for_state(predicate, yield_, describe):
    """Yield (``yield_()``) until ``predicate()``; fail after STATE_LIMIT."""
    deadline = time.monotonic() + STATE_LIMIT
    while not predicate():
        check(time.monotonic() < deadline, describe)
        yield_()


class World:
    """One library in its own thread, driven through phases."""

    def __init__(self, lib, index, seed, shared, plan, gates):
        self.lib = lib
        self.index = index
        self.seed = seed
        self.rng = random.Random(f"{seed}-{lib}")
        self.shared = shared
        self.plan = plan  # cycles per phase
        self.gates = gates  # (paused CountdownEvent, resume Event) per phase
        self.counts = collections.Counter()
        self.prims = Prims()
        self.failure = None
        self.paused = 0  # gates passed
        # -> objects that a library keeps until it purges them lazily
        self.lazy_pool = _nothing
        self.cycles = 0
        self.seconds = 0.0
        self.thread = threading.Thread(
            target=self._thread_main, name=f"leak-{lib}", daemon=True
        )
        self.serial = 0  # items put by this library: unique, summed
        weights = dict(zip(KINDS, WEIGHTS))
        if lib == "threading":
            # a thread cannot be cancelled: those cycles time out instead
            weights["timeout"] += weights.pop("cancel")
            weights["timeout"] += weights.pop("interrupt")
        self.kinds = list(weights)
        self.cum_weights = list(itertools.accumulate(weights.values()))

    def where(self, kind):
        return f"seed={self.seed} {self.lib} cycle {self.cycles} ({kind})"

    def pick_kind(self):
        return self.rng.choices(self.kinds, cum_weights=self.cum_weights)[0]

    def _thread_main(self):
        try:
            runner = getattr(self, f"_run_{self.lib}")
            runner()
        except BaseException as exc:  # reported by the main thread
            self.failure = exc
            # let the main thread go on instead of waiting for this one
            for paused, _ in self.gates[self.paused :]:
                paused.down()

    def pause(self, paused):
        """Tell the main thread that this library is idle."""
        self.paused += 1
        paused.down()

    def next_item(self):
        self.serial += 1
        return self.serial * len(LIBS) + self.index

    # -- green libraries ---------------------------------------------------

    def _run_threading(self):
        def spawn(fn, *args):
            thread = threading.Thread(target=fn, args=args, daemon=True)
            thread.start()
            return thread

        GreenDriver(self, spawn, time.sleep, None).run()

    def _run_gevent(self):
        import gevent

        hub = gevent.get_hub()  # aiologic sees gevent in this thread
        try:

            def kill(glet):
                glet.kill()  # blocks until it is dead

            GreenDriver(
                self, gevent.spawn, gevent.sleep, kill, gevent.Timeout
            ).run()
        finally:
            hub.destroy(destroy_loop=True)

    def _run_eventlet(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import eventlet
            import eventlet.hubs

        hub = eventlet.hubs.get_hub()

        def kill(glet):
            glet.kill()
            check(glet.dead, "a killed greenlet is still alive")

        def timers():
            # cancelled timers stay queued until more than 1000 are queued
            # and half of them are cancelled
            entries = list(hub.timers) + list(hub.next_timers)
            return entries + [entry[1] for entry in entries]

        self.lazy_pool = timers
        try:
            GreenDriver(
                self, eventlet.spawn, eventlet.sleep, kill, eventlet.Timeout
            ).run()
        finally:
            # eventlet never frees the hub of an exited thread (the hub's
            # greenlet cannot be collected from another thread): close its
            # poller here, so that the descriptors left are aiologic's
            poller = getattr(hub, "poll", None)
            if hasattr(poller, "close"):
                poller.close()

    # -- async libraries ---------------------------------------------------

    def _run_asyncio(self):
        import asyncio

        async def main():
            await AsyncioDriver(self).run()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            check(not pending, lambda: f"asyncio tasks left: {pending!r}")

        asyncio.run(main())

    def _run_trio(self):
        import trio

        trio.run(TrioDriver(self).run)


def _nothing():
    return ()


def _blocked_green(p):
    """name -> (object whose ``waiting`` counts, wait(blocking, timeout))
    for primitives that can never be had; wait returns False."""

    def acquire(prim, side=None):
        side = prim if side is None else side

        def wait(blocking, timeout):
            return side.green_acquire(blocking=blocking, timeout=timeout)

        return prim, wait

    def get(queue):
        def wait(blocking, timeout):
            try:
                queue.green_get(blocking=blocking, timeout=timeout)
            except aiologic.QueueEmpty:
                return False
            raise Failure(f"got an item from {queue!r}")

        return queue, wait

    def put_full(blocking, timeout):
        try:
            p.full.green_put(1, blocking=blocking, timeout=timeout)
        except aiologic.QueueFull:
            return False
        raise Failure(f"put into {p.full!r}")

    def event(prim):
        def wait(blocking, timeout):
            return prim.wait(timeout)

        return prim, wait

    def slot(blocking, timeout):
        with p.slot:
            return p.slot.wait(timeout)

    return {
        "Lock": acquire(p.held_lock),
        "RLock": acquire(p.held_rlock),
        "RWLock.reader": acquire(p.held_rwlock, p.held_rwlock.reader),
        "RWLock.writer": acquire(p.held_rwlock, p.held_rwlock.writer),
        "Semaphore": acquire(p.zero_sem),
        "BoundedSemaphore": acquire(p.zero_bsem),
        "CapacityLimiter": acquire(p.zero_limiter),
        "Queue.get": get(p.empty),
        "Queue.put": (p.full, put_full),
        "LifoQueue.get": get(p.lifo_empty),
        "PriorityQueue.get": get(p.prio_empty),
        "SimpleQueue.get": get(p.simple_empty),
        # these cannot fail without blocking: timeouts and cancels only
        "Event": event(p.unset),
        "CountdownEvent": event(p.countdown),
        "Condition": (p.slot, slot),
    }


NO_NONBLOCKING = ("Event", "CountdownEvent", "Condition")


def _free_green(p, world):
    """name -> cycle of an uncontended acquire and release (or put, get)."""

    def acquire(prim):
        def cycle():
            check(prim.green_acquire(), f"{prim!r} not acquired")
            prim.green_release()

        return cycle

    def rlock():
        check(p.rlock.green_acquire(), "RLock")
        check(p.rlock.green_acquire(2), "RLock again")
        p.rlock.green_release(3)

    def queue():
        item = world.next_item()
        p.queue.green_put(item)
        check(p.queue.green_get() == item, "Queue lost the item")

    def simple():
        p.simple.put(1)
        check(p.simple.green_get() == 1, "SimpleQueue lost the item")

    def cond():
        with p.cond:
            check(p.cond.notify() == 0, "notified a waiter of nobody")

    return {
        "Lock": acquire(p.lock),
        "RLock": rlock,
        "Semaphore": acquire(p.sem),
        "BoundedSemaphore": acquire(p.bsem),
        "CapacityLimiter": acquire(p.limiter),
        "RWLock.reader": acquire(p.rwlock.reader),
        "RWLock.writer": acquire(p.rwlock.writer),
        "Queue": queue,
        "SimpleQueue": simple,
        "Condition": cond,
    }


def _handoffs_green(p, world):
    """name -> (object whose ``waiting`` counts, setup, waiter, wake).

    ``setup()`` makes the primitive unavailable and returns a token,
    ``waiter(token)`` runs in another task and waits, ``wake(token)``
    hands it what it waits for.
    """

    def ownable(prim, waiter_side=None):
        if waiter_side is None:
            waiter_side = prim

        def setup():
            check(prim.green_acquire(), "setup")

        def waiter(_):
            check(waiter_side.green_acquire(), "handed-off acquire")
            waiter_side.green_release()

        def wake(_):
            prim.green_release()

        return setup, waiter, wake

    def queue_setup():
        return world.next_item()

    def queue_waiter(item):
        check(p.queue.green_get() == item, "Queue handed a wrong item")

    def queue_wake(item):
        p.queue.green_put(item)

    def event_setup():
        return aiologic.Event()

    def event_waiter(event):
        check(event.wait(), "Event wait returned False")

    def event_wake(event):
        event.set()

    def cond_waiter(_):
        with p.cond:
            check(p.cond.wait(), "Condition wait returned False")

    def cond_wake(_):
        with p.cond:
            check(p.cond.notify() == 1, "notify woke nobody")

    return {
        "Lock": (p.lock, *ownable(p.lock)),
        "Semaphore": (p.sem, *ownable(p.sem)),
        "CapacityLimiter": (p.limiter, *ownable(p.limiter)),
        "RWLock": (p.rwlock, *ownable(p.rwlock.writer, p.rwlock.reader)),
        "Queue": (p.queue, queue_setup, queue_waiter, queue_wake),
        "Event": (None, event_setup, event_waiter, event_wake),
        "Condition": (p.cond, _none, cond_waiter, cond_wake),
    }


def _none():
    return None


class GreenDriver:
    """Cycles of a green library: threading, gevent or eventlet."""

    def __init__(self, world, spawn, sleep, kill, timeout_cls=None):
        self.world = world
        self.spawn = spawn
        self.sleep = sleep
        self.kill = kill  # None: the library cannot cancel (threading)
        self.timeout_cls = timeout_cls
        p = world.prims
        self.blocked = _blocked_green(p)
        self.blocked_names = sorted(self.blocked)
        self.nonblocking_names = sorted(
            set(self.blocked) - set(NO_NONBLOCKING)
        )
        self.free = _free_green(p, world)
        self.free_names = sorted(self.free)
        self.handoffs = _handoffs_green(p, world)
        self.handoff_names = sorted(self.handoffs)
        # a helper that runs the waiters of hand-offs (for threads: one
        # thread for the whole run instead of one per cycle)
        self.jobs = aiologic.SimpleQueue()
        self.done = aiologic.SimpleQueue()

    def yield_(self):
        self.sleep(0)

    def _helper(self):
        while True:
            job = self.jobs.green_get()
            if job is None:
                return
            fn, token = job
            try:
                fn(token)
            except BaseException as exc:
                self.done.put(exc)
            else:
                self.done.put(None)

    def _holder(self, ready, stop):
        p = self.world.prims
        check(p.held_lock.green_acquire(), "holder")
        check(p.held_rlock.green_acquire(), "holder")
        check(p.held_rwlock.writer.green_acquire(), "holder")
        ready.set()
        stop.wait()
        p.held_rwlock.writer.green_release()
        p.held_rlock.green_release()
        p.held_lock.green_release()

    def _join(self, task):
        if hasattr(task, "join"):
            task.join()
        else:  # eventlet
            task.wait()

    def run(self):
        world = self.world
        ready, stop = aiologic.Event(), aiologic.Event()
        holder = self.spawn(self._holder, ready, stop)
        helper = self.spawn(self._helper)
        check(ready.wait(STATE_LIMIT), "the holder did not start")
        try:
            for cycles, (paused, resume) in zip(world.plan, world.gates):
                started = time.perf_counter()
                cycle = {
                    kind: getattr(self, f"cycle_{kind}") for kind in KINDS
                }
                for _ in range(cycles):
                    kind = world.pick_kind()
                    cycle[kind](world.where(kind))
                    world.counts[kind] += 1
                    world.cycles += 1
                world.seconds += time.perf_counter() - started
                world.prims.check_idle(world.where("pause"), held=True)
                world.pause(paused)
                check(resume.wait(600), "the main thread did not resume")
                if world.shared.aborted:
                    break
        finally:
            stop.set()
            self.jobs.put(None)
            self._join(holder)
            self._join(helper)
        world.prims.check_idle(world.where("end"), held=False)

    def cycle_acquire(self, where):
        self.free[self.world.rng.choice(self.free_names)]()

    def cycle_nonblocking(self, where):
        name = self.world.rng.choice(self.nonblocking_names)
        _, wait = self.blocked[name]
        check(not wait(False, None), f"{where}: {name} succeeded")

    def cycle_timeout(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        check(not wait(True, rng.choice(TIMEOUTS)), f"{where}: {name}")
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    def cycle_cancel(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        outcome = []

        def waiter():
            outcome.append(wait(True, rng.choice((None, 60.0))))

        glet = self.spawn(waiter)
        wait_for_state(
            lambda: prim.waiting == 1,
            self.yield_,
            lambda: f"{where}: the waiter of {prim!r} did not queue",
        )
        self.kill(glet)
        check(not outcome, f"{where}: a killed waiter of {name} returned")
        check(prim.waiting == 0, f"{where}: {prim!r} kept a killed waiter")

    def cycle_interrupt(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        with self.timeout_cls(rng.choice((0, 1e-6, 1e-5)), False):
            wait(True, None)
            raise Failure(f"{where}: {name} was not interrupted")
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    def cycle_handoff(self, where):
        name = self.world.rng.choice(self.handoff_names)
        prim, setup, waiter, wake = self.handoffs[name]
        token = setup()
        if prim is None:  # a fresh event
            prim = token
        self.jobs.put((waiter, token))
        wait_for_state(
            lambda: prim.waiting == 1,
            self.yield_,
            lambda: f"{where}: the waiter of {prim!r} did not queue",
        )
        wake(token)
        error = self.done.green_get(timeout=STATE_LIMIT)
        if error is not None:
            raise error
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    def cycle_shared(self, where):
        world = self.world
        shared = world.shared
        rng = world.rng
        name = rng.choice(("lock", "sem", "limiter", "queue"))
        if name == "queue":
            item = world.next_item()
            try:
                shared.queue.green_put(item, timeout=1e-3)
            except aiologic.QueueFull:
                item = 0
            try:
                got = shared.queue.green_get(timeout=1e-3)
            except aiologic.QueueEmpty:
                got = 0
            shared.account(item, got)
            return
        prim = shared.prims[name]
        if prim.green_acquire(timeout=rng.choice((1e-4, 1e-3))):
            try:
                shared.enter(name)
                self.sleep(0)
            finally:
                prim.green_release()


def _blocked_async(p):
    """As ``_blocked_green``, with coroutine functions."""

    def acquire(prim, side=None):
        side = prim if side is None else side

        async def wait(blocking, timeout):
            return await side.async_acquire(blocking=blocking, timeout=timeout)

        return prim, wait

    def get(queue):
        async def wait(blocking, timeout):
            try:
                await queue.async_get(blocking=blocking, timeout=timeout)
            except aiologic.QueueEmpty:
                return False
            raise Failure(f"got an item from {queue!r}")

        return queue, wait

    async def put_full(blocking, timeout):
        try:
            await p.full.async_put(1, blocking=blocking, timeout=timeout)
        except aiologic.QueueFull:
            return False
        raise Failure(f"put into {p.full!r}")

    def event(prim):
        async def wait(blocking, timeout):
            return await prim.with_(timeout)

        return prim, wait

    async def slot(blocking, timeout):
        async with p.slot:
            return await p.slot.with_(timeout)

    return {
        "Lock": acquire(p.held_lock),
        "RLock": acquire(p.held_rlock),
        "RWLock.reader": acquire(p.held_rwlock, p.held_rwlock.reader),
        "RWLock.writer": acquire(p.held_rwlock, p.held_rwlock.writer),
        "Semaphore": acquire(p.zero_sem),
        "BoundedSemaphore": acquire(p.zero_bsem),
        "CapacityLimiter": acquire(p.zero_limiter),
        "Queue.get": get(p.empty),
        "Queue.put": (p.full, put_full),
        "LifoQueue.get": get(p.lifo_empty),
        "PriorityQueue.get": get(p.prio_empty),
        "SimpleQueue.get": get(p.simple_empty),
        "Event": event(p.unset),
        "CountdownEvent": event(p.countdown),
        "Condition": (p.slot, slot),
    }


def _free_async(p, world):
    def acquire(prim):
        async def cycle():
            check(await prim.async_acquire(), f"{prim!r} not acquired")
            prim.async_release()

        return cycle

    async def rlock():
        check(await p.rlock.async_acquire(), "RLock")
        check(await p.rlock.async_acquire(2), "RLock again")
        p.rlock.async_release(3)

    async def queue():
        item = world.next_item()
        await p.queue.async_put(item)
        check(await p.queue.async_get() == item, "Queue lost the item")

    async def simple():
        p.simple.put(1)
        check(await p.simple.async_get() == 1, "SimpleQueue lost the item")

    async def cond():
        async with p.cond:
            check(p.cond.notify() == 0, "notified a waiter of nobody")

    return {
        "Lock": acquire(p.lock),
        "RLock": rlock,
        "Semaphore": acquire(p.sem),
        "BoundedSemaphore": acquire(p.bsem),
        "CapacityLimiter": acquire(p.limiter),
        "RWLock.reader": acquire(p.rwlock.reader),
        "RWLock.writer": acquire(p.rwlock.writer),
        "Queue": queue,
        "SimpleQueue": simple,
        "Condition": cond,
    }


def _handoffs_async(p, world):
    def ownable(prim, waiter_side=None):
        if waiter_side is None:
            waiter_side = prim

        async def setup():
            check(await prim.async_acquire(), "setup")

        async def waiter(_):
            check(await waiter_side.async_acquire(), "handed-off acquire")
            waiter_side.async_release()

        def wake(_):
            prim.async_release()

        return setup, waiter, wake

    async def queue_setup():
        return world.next_item()

    async def queue_waiter(item):
        check(await p.queue.async_get() == item, "Queue handed a wrong item")

    def queue_wake(item):
        p.queue.green_put(item, blocking=False)

    async def event_setup():
        return aiologic.Event()

    async def event_waiter(event):
        check(await event, "Event wait returned False")

    def event_wake(event):
        event.set()

    async def cond_setup():
        return None

    async def cond_waiter(_):
        async with p.cond:
            check(await p.cond, "Condition wait returned False")

    return {
        "Lock": (p.lock, *ownable(p.lock)),
        "Semaphore": (p.sem, *ownable(p.sem)),
        "CapacityLimiter": (p.limiter, *ownable(p.limiter)),
        "RWLock": (p.rwlock, *ownable(p.rwlock.writer, p.rwlock.reader)),
        "Queue": (p.queue, queue_setup, queue_waiter, queue_wake),
        "Event": (None, event_setup, event_waiter, event_wake),
        "Condition": (p.cond, cond_setup, cond_waiter, "notify"),
    }


class AsyncDriver:
    """Cycles of an async library; subclasses spawn and cancel tasks."""

    def __init__(self, world):
        self.world = world
        p = world.prims
        self.blocked = _blocked_async(p)
        self.blocked_names = sorted(self.blocked)
        self.nonblocking_names = sorted(
            set(self.blocked) - set(NO_NONBLOCKING)
        )
        self.free = _free_async(p, world)
        self.free_names = sorted(self.free)
        self.handoffs = _handoffs_async(p, world)
        self.handoff_names = sorted(self.handoffs)

    async def wait_state(self, predicate, describe):
        deadline = time.monotonic() + STATE_LIMIT
        while not predicate():
            check(time.monotonic() < deadline, describe)
            await self.yield_()

    async def _holder(self, ready, stop):
        p = self.world.prims
        check(await p.held_lock.async_acquire(), "holder")
        check(await p.held_rlock.async_acquire(), "holder")
        check(await p.held_rwlock.writer.async_acquire(), "holder")
        ready.set()
        await stop
        p.held_rwlock.writer.async_release()
        p.held_rlock.async_release()
        p.held_lock.async_release()

    async def run_phases(self):
        world = self.world
        ready, stop = aiologic.Event(), aiologic.Event()
        holder = self.spawn(self._holder, ready, stop)
        check(await ready.with_(STATE_LIMIT), "the holder did not start")
        try:
            for cycles, (paused, resume) in zip(world.plan, world.gates):
                started = time.perf_counter()
                cycle = {
                    kind: getattr(self, f"cycle_{kind}") for kind in KINDS
                }
                for _ in range(cycles):
                    kind = world.pick_kind()
                    await cycle[kind](world.where(kind))
                    world.counts[kind] += 1
                    world.cycles += 1
                world.seconds += time.perf_counter() - started
                world.prims.check_idle(world.where("pause"), held=True)
                world.pause(paused)
                check(await resume.with_(600), "the main thread is gone")
                if world.shared.aborted:
                    break
        finally:
            stop.set()
            await self.join(holder)
        world.prims.check_idle(world.where("end"), held=False)

    async def cycle_acquire(self, where):
        await self.free[self.world.rng.choice(self.free_names)]()

    async def cycle_nonblocking(self, where):
        name = self.world.rng.choice(self.nonblocking_names)
        _, wait = self.blocked[name]
        check(not await wait(False, None), f"{where}: {name} succeeded")

    async def cycle_timeout(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        check(not await wait(True, rng.choice(TIMEOUTS)), f"{where}: {name}")
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    async def cycle_cancel(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        outcome = []

        async def waiter():
            outcome.append(await wait(True, rng.choice((None, 60.0))))

        task = self.spawn(waiter)
        await self.wait_state(
            lambda: prim.waiting == 1,
            lambda: f"{where}: the waiter of {prim!r} did not queue",
        )
        await self.cancel(task)
        check(not outcome, f"{where}: a cancelled waiter of {name} returned")
        check(prim.waiting == 0, f"{where}: {prim!r} kept a cancelled waiter")

    async def cycle_interrupt(self, where):
        rng = self.world.rng
        name = rng.choice(self.blocked_names)
        prim, wait = self.blocked[name]
        await self.interrupt(wait, rng.choice((0, 1e-6, 1e-5)), where, name)
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    async def cycle_handoff(self, where):
        name = self.world.rng.choice(self.handoff_names)
        prim, setup, waiter, wake = self.handoffs[name]
        token = await setup()
        if prim is None:  # a fresh event
            prim = token
        task = self.spawn(waiter, token)
        await self.wait_state(
            lambda: prim.waiting == 1,
            lambda: f"{where}: the waiter of {prim!r} did not queue",
        )
        if wake == "notify":
            async with prim:
                check(prim.notify() == 1, f"{where}: notify woke nobody")
        else:
            wake(token)
        await self.join(task)
        check(prim.waiting == 0, f"{where}: {prim!r} kept a waiter")

    async def cycle_shared(self, where):
        world = self.world
        shared = world.shared
        rng = world.rng
        name = rng.choice(("lock", "sem", "limiter", "queue"))
        if name == "queue":
            item = world.next_item()
            try:
                await shared.queue.async_put(item, timeout=1e-3)
            except aiologic.QueueFull:
                item = 0
            try:
                got = await shared.queue.async_get(timeout=1e-3)
            except aiologic.QueueEmpty:
                got = 0
            shared.account(item, got)
            return
        prim = shared.prims[name]
        if await prim.async_acquire(timeout=rng.choice((1e-4, 1e-3))):
            try:
                shared.enter(name)
                await self.yield_()
            finally:
                prim.async_release()


class AsyncioDriver(AsyncDriver):
    async def run(self):
        import asyncio

        self.asyncio = asyncio
        self.loop = loop = asyncio.get_running_loop()
        scheduled = getattr(loop, "_scheduled", None)
        if isinstance(scheduled, list):
            # cancelled timer handles stay in the heap until more than 100
            # are there and half of them are cancelled
            self.world.lazy_pool = lambda: list(scheduled)
        await self.run_phases()

    def spawn(self, fn, *args):
        return self.loop.create_task(fn(*args))

    async def yield_(self):
        await self.asyncio.sleep(0)

    async def join(self, task):
        await task

    async def cancel(self, task):
        task.cancel()
        try:
            await task
        except self.asyncio.CancelledError:
            return
        raise Failure("the cancelled task finished")

    async def interrupt(self, wait, timeout, where, name):
        try:
            await self.asyncio.wait_for(wait(True, None), timeout)
        except self.asyncio.TimeoutError:
            return
        raise Failure(f"{where}: {name} was not interrupted")


class TrioDriver(AsyncDriver):
    async def run(self):
        import trio

        self.trio = trio
        runner = getattr(trio._core._run.GLOBAL_RUN_CONTEXT, "runner", None)
        deadlines = getattr(runner, "deadlines", None)
        if isinstance(getattr(deadlines, "_heap", None), list):
            # a scope whose deadline changed or that was cancelled before it
            # stays in the deadline heap, as (deadline, id, scope), until
            # that deadline passes or more than 1000 entries are stale
            def stale():
                entries = list(deadlines._heap)
                scopes = [entry[2] for entry in entries]
                reasons = [getattr(s, "_cancel_reason", None) for s in scopes]
                return entries + scopes + [r for r in reasons if r is not None]

            self.world.lazy_pool = stale
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            await self.run_phases()
        check(
            not nursery.child_tasks,
            lambda: f"trio tasks left: {nursery.child_tasks!r}",
        )

    def spawn(self, fn, *args):
        handle = _TrioTask(self.trio)
        self.nursery.start_soon(handle.run, fn, args)
        return handle

    async def yield_(self):
        await self.trio.lowlevel.checkpoint()

    async def join(self, task):
        await task.done.wait()
        if task.error is not None:
            raise task.error

    async def cancel(self, task):
        task.scope.cancel()
        await task.done.wait()
        check(task.cancelled, "the cancelled task finished")

    async def interrupt(self, wait, timeout, where, name):
        with self.trio.move_on_after(timeout):
            await wait(True, None)
            raise Failure(f"{where}: {name} was not interrupted")


class _TrioTask:
    __slots__ = ("cancelled", "done", "error", "scope")

    def __init__(self, trio):
        self.scope = trio.CancelScope()
        self.done = trio.Event()
        self.error = None
        self.cancelled = False

    async def run(self, fn, args):
        try:
            with self.scope:
                await fn(*args)
            self.cancelled = self.scope.cancelled_caught
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


# ---------------------------------------------------------------------------
# measurements


def rss_bytes():
    try:
        with open("/proc/self/statm") as file:
            pages = int(file.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def fd_count():
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def live_waiters():
    """Low-level events and compiled-core waiter nodes alive now."""
    found = []
    for obj in gc.get_objects():
        cls = type(obj)
        module = getattr(cls, "__module__", "")
        if not isinstance(module, str):
            continue
        name = cls.__name__
        if module == "aiologic._aiologic_core":
            if name == "_Waiter":  # a node of the compiled core's queues
                found.append(obj)
        elif (
            module.startswith("aiologic.lowlevel")
            and name.endswith(("Event", "Waiter"))
            and name not in ("SetEvent", "DummyEvent", "CancelledEvent")
        ):
            found.append(obj)
    return found


ATOMS = (int, float, complex, str, bytes)


def type_counts(excluded):
    """Live objects per type, but those in ``excluded`` (ids)."""
    counts = collections.Counter()
    for obj in gc.get_objects():
        cls = type(obj)
        # PyPy lists atoms too, which CPython's collector does not track
        if cls in ATOMS or id(obj) in excluded:
            continue
        counts[f"{cls.__module__}.{cls.__qualname__}"] += 1
    return counts


def collect():
    for _ in range(3):
        gc.collect()


def traced_memory():
    if tracemalloc is None or not tracemalloc.is_tracing():
        return None
    return tracemalloc.get_traced_memory()[0]


def pypy_heap():
    """PyPy: the collector's old generation after a full collection (its
    arenas and the big objects it allocates on its own); None elsewhere.
    PyPy has no tracemalloc: this is its gauge of live objects."""
    if platform.python_implementation() != "PyPy":
        return None
    stats = gc.get_stats()._s
    return stats.total_arena_memory + stats.total_rawmalloced_memory


class Measurement:
    """Memory, live objects, events and descriptors at one pause.

    What a measurement keeps (its type counts, a snapshot) is allocated
    after its own reading of the traced memory: later readings subtract
    it, so that the measurements do not count as growth.
    """

    def __init__(self, worlds, snapshot, earlier=()):
        collect()
        self.rss = rss_bytes()
        start = traced_memory()
        pools = [world.lazy_pool() for world in worlds]
        excluded = {id(obj) for pool in pools for obj in pool}
        excluded.add(id(pools))
        excluded.update(map(id, pools))
        self.types = type_counts(excluded)
        del pools, excluded
        self.waiters = len(live_waiters())
        self.fds = fd_count()
        self.snapshot = None
        if snapshot and tracemalloc is not None:
            self.snapshot = tracemalloc.take_snapshot()
        collect()
        self.traced = self.kept = None
        if start is not None:
            self.kept = traced_memory() - start
            self.traced = start - sum(each.kept for each in earlier)
        self.heap = pypy_heap()


def _kib(value):
    return None if value is None else round(value / 1024, 1)


# ---------------------------------------------------------------------------
# main


def parse_args(argv):
    pypy = platform.python_implementation() == "PyPy"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=100_000)
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="cycles before the first measurement (default: a tenth)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--libs",
        default=None,
        help="comma-separated libraries (default: all importable)",
    )
    parser.add_argument("--max-traced-kib", type=float, default=1024)
    parser.add_argument("--max-heap-kib", type=float, default=2048)
    parser.add_argument(
        "--max-rss-kib",
        type=float,
        default=None if pypy else 4096,
        help="(default on PyPy: none, the RSS is only reported)",
    )
    parser.add_argument("--max-type-growth", type=int, default=100)
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="do not trace allocations (faster; RSS and counts only)",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=1e-4,
        help="sys.setswitchinterval (CPython's 5 ms default makes the"
        " libraries' threads wait for the GIL in turn)",
    )
    parser.add_argument(
        "--pypy-jit",
        choices=("on", "off"),
        default="off",
        help="PyPy: keep the JIT on (its compiled code grows the heap and"
        " the RSS for a long time on a loop of this many branches)",
    )
    parser.add_argument("--diagnose", action="store_true")
    parser.add_argument(
        "--watchdog",
        type=float,
        default=1800,
        help="dump every stack and exit after this many seconds",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    faulthandler.dump_traceback_later(args.watchdog, exit=True)
    sys.setswitchinterval(args.switch_interval)
    if args.pypy_jit == "off":
        try:
            import pypyjit
        except ImportError:  # not PyPy
            pass
        else:
            pypyjit.set_param("off")
    seed = args.seed
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    if args.libs:
        libs = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
        for lib in libs:
            if lib not in LIBS or not importable(lib):
                print(f"unknown or missing library: {lib}", file=sys.stderr)
                return 2
    else:
        libs = [lib for lib in LIBS if importable(lib)]
    missing = [lib for lib in LIBS if lib not in libs]
    warmup = args.cycles // 10 if args.warmup is None else args.warmup
    warmup = min(warmup, args.cycles)
    implementation = aiologic.lowlevel.IMPLEMENTATION
    print(
        f"leak loop: seed={seed} core={implementation}"
        f" python={platform.python_implementation()}"
        f" {platform.python_version()}"
        f" gil={_gil_state()} libraries={','.join(libs)}"
        + (f" (not importable: {','.join(missing)})" if missing else ""),
        flush=True,
    )
    tracing = tracemalloc is not None and not args.no_tracemalloc
    if tracing:
        tracemalloc.start()

    threads_before = threading.active_count()
    waiters_before = len(live_waiters())
    fds_before = fd_count()
    shared = Shared()
    phases = [warmup, args.cycles - warmup]
    gates = [
        (aiologic.CountdownEvent(len(libs)), aiologic.Event()) for _ in phases
    ]
    worlds = []
    for index, lib in enumerate(libs):
        share = [
            n // len(libs) + (1 if index < n % len(libs) else 0)
            for n in phases
        ]
        worlds.append(World(lib, index, seed, shared, share, gates))

    failures = []
    started = time.perf_counter()
    for world in worlds:
        world.thread.start()
    measurements = []
    for paused, resume in gates:
        try:
            check(paused.wait(args.watchdog), "a library did not pause")
            if any(world.failure for world in worlds):
                raise Failure("a library failed")  # (reported below)
            shared.check_idle("pause")
            measurements.append(
                Measurement(worlds, args.diagnose, measurements)
            )
        except Failure as exc:
            if not any(world.failure for world in worlds):
                failures.append(str(exc))
            # the libraries stop at their next pause
            shared.aborted = True
            for _, each in gates:
                each.set()
            break
        resume.set()
    for world in worlds:
        world.thread.join(STATE_LIMIT * 3)
        if world.thread.is_alive():
            failures.append(f"{world.lib}: its thread did not finish")
    elapsed = time.perf_counter() - started
    for world in worlds:
        if world.failure is not None:
            failures.append(f"{world.lib}: {_describe(world.failure)}")

    if not failures:
        try:
            shared.check_idle("end")
            shared.drain()
        except Failure as exc:
            failures.append(str(exc))
    collect()
    threads_after = threading.active_count()
    if threads_after > threads_before:
        names = [t.name for t in threading.enumerate()]
        failures.append(
            f"threads left: {threads_after} alive, {threads_before} before:"
            f" {names}"
        )
    waiters = live_waiters()
    if len(waiters) > waiters_before:
        failures.append(
            f"{len(waiters)} low-level events or waiters alive at the end"
            f" ({waiters_before} before): {waiters[:5]!r}"
        )
    del waiters
    fds_after = fd_count()
    if fds_before is not None and fds_after > fds_before:
        failures.append(
            f"file descriptors: {fds_after} open, {fds_before} before"
        )

    memory = {}
    if len(measurements) == 2:
        memory = compare(measurements, args, failures)

    total = sum(world.cycles for world in worlds)
    # (the cycles after the first measurement)
    measured = sum(max(w.cycles - w.plan[0], 0) for w in worlds)
    kinds = collections.Counter()
    for world in worlds:
        kinds.update(world.counts)
        rate = world.cycles / world.seconds if world.seconds else 0.0
        print(
            f"  {world.lib:9} {world.cycles:9d} cycles {rate:9.0f}/s  "
            + " ".join(f"{k}={world.counts[k]}" for k in KINDS),
            flush=True,
        )
    rate = total / elapsed if elapsed else 0.0
    print(
        f"cycles: {total} in {elapsed:.1f}s ({rate:.0f}/s), {measured}"
        f" between the measurements; per kind: "
        + " ".join(f"{k}={kinds[k]}" for k in KINDS)
    )
    if memory:
        gauges = [
            f"{name} {m['before_kib']} -> {m['after_kib']} KiB"
            f" ({m['growth_kib']:+}, bound {m['bound_kib']})"
            for name, m in memory["gauges"].items()
        ]
        print(
            "memory: "
            + ", ".join(gauges)
            + f"; largest type growth: {memory['largest_type_growth']}"
        )
    print(
        f"end: threads {threads_before} -> {threads_after},"
        f" low-level events alive {waiters_before} -> {len(live_waiters())},"
        f" fds {fds_before} -> {fds_after}"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    report = {
        "seed": seed,
        "implementation": implementation,
        "python": platform.python_implementation(),
        "version": platform.python_version(),
        "gil": _gil_state(),
        "libraries": libs,
        "cycles": total,
        "measured_cycles": measured,
        "seconds": round(elapsed, 3),
        "rate": round(rate),
        "kinds": dict(kinds),
        "per_library": {w.lib: w.cycles for w in worlds},
        "memory": memory,
        "threads": [threads_before, threads_after],
        "fds": [fds_before, fds_after],
        "failures": failures,
    }
    print(json.dumps(report), flush=True)
    faulthandler.cancel_dump_traceback_later()
    return 1 if failures else 0


def compare(measurements, args, failures):
    before, after = measurements
    gauges = {}
    hints = {"traced": "; --diagnose shows where"}
    for name, bound in (
        ("traced", args.max_traced_kib),
        ("heap", args.max_heap_kib),
        ("rss", args.max_rss_kib),
    ):
        first, last = getattr(before, name), getattr(after, name)
        if first is None or last is None:
            continue
        growth = last - first
        gauges[name] = {
            "before_kib": _kib(first),
            "after_kib": _kib(last),
            "growth_kib": _kib(growth),
            "bound_kib": bound,
        }
        if bound is not None and growth > bound * 1024:
            failures.append(
                f"{name} memory grew by {_kib(growth)} KiB (bound {bound}"
                f" KiB{hints.get(name, '')})"
            )
    memory = {"gauges": gauges}
    growth = after.types.copy()
    growth.subtract(before.types)
    largest = growth.most_common(5)
    memory["largest_type_growth"] = [list(item) for item in largest]
    grown = [(name, n) for name, n in largest if n > args.max_type_growth]
    if grown:
        failures.append(
            f"live objects grew by more than {args.max_type_growth}: {grown}"
        )
    if after.waiters != before.waiters:
        failures.append(
            f"live low-level events: {before.waiters} at the first"
            f" measurement, {after.waiters} at the second"
        )
    if before.fds is not None and after.fds > before.fds:
        failures.append(f"file descriptors: {before.fds} -> {after.fds}")
    if args.diagnose and before.snapshot is not None:
        stats = after.snapshot.compare_to(before.snapshot, "lineno")
        print("largest allocation growth (tracemalloc):")
        for stat in stats[:25]:
            print(f"  {stat}")
    return memory


def _gil_state():
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is None:
        return "n/a" if platform.python_implementation() == "PyPy" else "on"
    return "on" if is_enabled() else "off"


def _describe(exc):
    import traceback

    return "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    ).strip()


if __name__ == "__main__":
    sys.exit(main())
