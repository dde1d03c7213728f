# SPDX-License-Identifier: MIT

"""Subprocess scenario: greenlets share primitives with threads and a loop.

Usage: ``python green_script.py LIB PATCHED`` with LIB ``gevent`` or
``eventlet`` and PATCHED ``0`` or ``1`` (monkey-patch everything first).

For each primitive kind, greenlets of the main thread's hub, plain OS
threads and an asyncio event loop in another OS thread all contend for the
same primitive; then a greenlet times out while an OS thread holds it, and an
OS thread waits for a greenlet. Prints one JSON object (``{kind: report}``)
on stdout; the test process checks it. OS threads are started with the
original, unpatched ``_thread.start_new_thread``.
"""

from __future__ import annotations

import faulthandler
import json
import sys
import traceback
import warnings

# a hang prints every thread's stack and exits instead of blocking the test
faulthandler.dump_traceback_later(45, exit=True)

LIB = sys.argv[1]
PATCHED = sys.argv[2] == "1"

if LIB == "gevent":
    if PATCHED:
        from gevent import monkey

        monkey.patch_all()
    import gevent
    import gevent.monkey

    def original(module, name):
        return gevent.monkey.get_original(module, name)

    green_spawn = gevent.spawn
    green_sleep = gevent.sleep

    def green_join(glets):
        gevent.joinall(glets, raise_error=True)

else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eventlet
        import eventlet.patcher
    if PATCHED:
        eventlet.monkey_patch()

    def original(module, name):
        return getattr(eventlet.patcher.original(module), name)

    green_spawn = eventlet.spawn
    green_sleep = eventlet.sleep

    def green_join(glets):
        for glet in glets:
            glet.wait()


start_thread = original("_thread", "start_new_thread")
allocate_lock = original("_thread", "allocate_lock")
real_sleep = original("time", "sleep")
monotonic = original("time", "monotonic")

import asyncio

import aiologic

ITERATIONS = 30
EXPECTED = ("thread-0", "thread-1", "loop")
DEADLINE = 30.0


class Occupancy:
    def __init__(self, capacity):
        self.capacity = capacity
        self.lock = allocate_lock()
        self.inside = 0
        self.entries = {}
        self.violations = 0

    def enter(self, who):
        with self.lock:
            self.inside += 1
            self.entries[who] = self.entries.get(who, 0) + 1
            if self.inside > self.capacity:
                self.violations += 1

    def leave(self):
        with self.lock:
            self.inside -= 1


def green_poll(predicate):
    # runs in a greenlet: must not block the hub
    deadline = monotonic() + DEADLINE
    while not predicate():
        if monotonic() > deadline:
            raise TimeoutError("green_poll deadline")
        green_sleep(0.001)


def thread_poll(predicate):
    deadline = monotonic() + DEADLINE
    while not predicate():
        if monotonic() > deadline:
            raise TimeoutError("thread_poll deadline")
        real_sleep(0.001)


def run_thread(fn, results, key):
    def main():
        try:
            results[key] = ("ok", fn())
        except BaseException:
            results[key] = ("error", traceback.format_exc())

    start_thread(main, ())


def free(prim):
    if hasattr(prim, "locked"):
        return 0 if prim.locked() else 1
    if hasattr(prim, "available_tokens"):
        return prim.available_tokens
    return prim.value


def contend(make, capacity):
    prim = make()
    occupancy = Occupancy(capacity)
    results = {}

    def green_worker(name):
        for _ in range(ITERATIONS):
            with prim:
                occupancy.enter(name)
                green_sleep(0)
                occupancy.leave()
        return name

    def thread_worker(name):
        for _ in range(ITERATIONS):
            with prim:
                occupancy.enter(name)
                real_sleep(0)
                occupancy.leave()
        return name

    async def async_worker(name):
        for _ in range(ITERATIONS):
            async with prim:
                occupancy.enter(name)
                await asyncio.sleep(0)
                occupancy.leave()
        return name

    async def async_main():
        return await asyncio.gather(
            async_worker("loop-a"), async_worker("loop-b")
        )

    def loop_thread():
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(async_main())
        finally:
            loop.close()

    run_thread(lambda: thread_worker("thread-0"), results, "thread-0")
    run_thread(lambda: thread_worker("thread-1"), results, "thread-1")
    run_thread(loop_thread, results, "loop")
    glets = [green_spawn(green_worker, f"green-{i}") for i in range(3)]
    green_join(glets)
    try:
        green_poll(lambda: len(results) == 3)
    except TimeoutError:
        raise TimeoutError(
            f"unfinished: {sorted(set(EXPECTED) - set(results))}"
            f" entries={occupancy.entries} prim={prim!r}"
            f" owner={getattr(prim, 'owner', None)} results={results}"
        ) from None
    errors = [value for status, value in results.values() if status != "ok"]
    return {
        "free": free(prim),
        "entries": occupancy.entries,
        "violations": occupancy.violations,
        "errors": errors,
        "waiting": prim.waiting,
    }


def timeouts(make):
    # an OS thread holds the primitive; a greenlet times out on it, then
    # waits for it and gets it when the thread releases; then the reverse
    prim = make()
    state = {}
    results = {}

    def holder():
        assert prim.green_acquire()
        state["held"] = True
        thread_poll(lambda: "release" in state)
        prim.green_release()
        return True

    run_thread(holder, results, "holder")
    green_poll(lambda: "held" in state)
    start = monotonic()
    timed_out = prim.green_acquire(timeout=0.05) is False
    elapsed = monotonic() - start
    waiting_after_timeout = prim.waiting

    def green_waiter():
        ok = prim.green_acquire(timeout=DEADLINE)
        state["green_got"] = ok
        green_sleep(0)
        prim.green_release()
        return ok

    glet = green_spawn(green_waiter)
    green_poll(lambda: prim.waiting == 1)
    state["release"] = True
    green_join([glet])
    green_poll(lambda: "holder" in results)

    # reverse: a greenlet holds, an OS thread waits and is woken by it
    assert prim.green_acquire()

    def thread_waiter():
        return prim.green_acquire(timeout=DEADLINE) and (
            prim.green_release() or True
        )

    run_thread(thread_waiter, results, "thread_waiter")
    green_poll(lambda: prim.waiting == 1)
    prim.green_release()
    green_poll(lambda: "thread_waiter" in results)
    return {
        "timed_out": timed_out,
        "elapsed": elapsed,
        "waiting_after_timeout": waiting_after_timeout,
        "green_got": state.get("green_got"),
        "holder": results["holder"],
        "thread_waiter": results["thread_waiter"],
        "waiting": prim.waiting,
        "free": free(prim),
    }


# name: (factory, capacity, factory of a single-permit variant)
KINDS = {
    "Lock": (aiologic.Lock, 1, aiologic.Lock),
    "RLock": (aiologic.RLock, 1, aiologic.RLock),
    "Semaphore": (
        lambda: aiologic.Semaphore(2),
        2,
        lambda: aiologic.Semaphore(1),
    ),
    "BoundedSemaphore": (
        lambda: aiologic.BoundedSemaphore(1),
        1,
        lambda: aiologic.BoundedSemaphore(1),
    ),
    "CapacityLimiter": (
        lambda: aiologic.CapacityLimiter(2),
        2,
        lambda: aiologic.CapacityLimiter(1),
    ),
}


def main():
    report = {
        "library": aiologic.lowlevel.current_green_library(),
        "patched": PATCHED,
        "kinds": {},
    }
    for name, (make, capacity, make_single) in KINDS.items():
        entry = {}
        try:
            entry["contend"] = contend(make, capacity)
            entry["timeouts"] = timeouts(make_single)
        except BaseException:
            entry["error"] = traceback.format_exc()
        report["kinds"][name] = entry
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


if LIB == "gevent":
    gevent.spawn(main).get()
else:
    eventlet.spawn(main).wait()
