# SPDX-License-Identifier: MIT

"""Actors of the stress runner: threads, asyncio loops, trio, greenlets.

An actor is one thread, task or greenlet that runs a scenario's body in
a loop until the run's deadline. Each actor gets an ``Act``: its library,
its seeded random generator, and the library's way to yield, sleep and
cancel a call from outside (``run_cancellable``). Counters live in the
actor (no shared ``+=`` between threads); the ``Ledger`` collects them
and the violations.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
import time
import traceback
import warnings

MODES = ("blocking", "timed", "nonblocking", "cancelled")
# tiny and small timeouts, in seconds: 0 polls once
TIMEOUTS = (0, 0.0001, 0.001, 0.005)


class Ledger:
    """Counters and violations of one scenario run, shared by its actors."""

    def __init__(self, seed, name):
        self.seed = seed
        self.name = name
        self.lock = threading.Lock()
        self.holders = 0
        self.violations = []
        self.total_violations = 0
        self.checks = 0  # checks done outside actors, under self.lock
        self.notes = {}  # counted oddities that are not violations

    def violation(self, message):
        with self.lock:
            self.total_violations += 1
            if len(self.violations) < 10:
                self.violations.append(message)

    def check(self, ok, message):
        with self.lock:
            self.checks += 1
        if not ok:
            self.violation(message)
        return ok


class Act:
    """What one actor knows: library, random choices, counters."""

    is_async = False

    def __init__(self, lib, index, role, seed, ledger):
        self.lib = lib
        self.index = index
        self.role = role
        self.rng = random.Random(f"{seed}:{ledger.name}:{index}")
        self.ledger = ledger
        self.ops = 0
        self.checks = 0
        self.cancels = 0
        self.state = {}  # scenario-specific per-actor records
        self.done = False

    def check(self, ok, message):
        self.checks += 1
        if not ok:
            self.ledger.violation(f"[{self.lib}#{self.index}] {message}")
        return ok

    def mode(self):
        mode = self.rng.choice(MODES)
        if mode == "cancelled" and self.lib == "threading":
            mode = "timed"  # a thread cannot be cancelled from outside
        return mode

    def timeout(self):
        return self.rng.choice(TIMEOUTS)


class GreenAct(Act):
    def __init__(self, lib, index, role, seed, ledger):
        super().__init__(lib, index, role, seed, ledger)
        if lib == "gevent":
            import gevent

            self._sleep = gevent.sleep
            self._timeout = gevent.Timeout
        elif lib == "eventlet":
            import eventlet

            self._sleep = eventlet.sleep
            self._timeout = eventlet.Timeout
        else:
            self._sleep = time.sleep
            self._timeout = None

    def pause(self):
        """Give others a chance to run (inside a critical section)."""
        self._sleep(0)

    def sleep(self, seconds):
        self._sleep(seconds)

    def run_cancellable(self, fn, delay):
        """Run ``fn()``, cancelled after ``delay``: ``(completed, result)``.

        Threads cannot be cancelled: ``fn()`` just runs.
        """
        if self._timeout is None:
            return True, fn()
        timer = self._timeout(delay)
        if self.lib == "gevent":
            timer.start()
        try:
            return True, fn()
        except self._timeout as exc:
            if exc is not timer:
                raise
            self.cancels += 1
            return False, None
        finally:
            timer.cancel()


class AsyncAct(Act):
    is_async = True

    def __init__(self, lib, index, role, seed, ledger):
        super().__init__(lib, index, role, seed, ledger)
        if lib == "trio":
            import trio

            self._trio = trio
            self._sleep = trio.sleep
        else:
            self._trio = None
            self._sleep = asyncio.sleep

    async def pause(self):
        await self._sleep(0)

    async def sleep(self, seconds):
        await self._sleep(seconds)

    async def run_cancellable(self, fn, delay):
        """Run ``await fn()``, cancelled after ``delay``."""
        if self._trio is not None:
            with self._trio.move_on_after(delay) as scope:
                return True, await fn()
            if scope.cancelled_caught:
                self.cancels += 1
            return False, None
        # a child task, so that a result that raced the cancellation is
        # never lost (asyncio.wait_for could drop it before 3.12)
        task = asyncio.ensure_future(fn())
        await asyncio.wait((task,), timeout=delay)
        if not task.done():
            task.cancel()
        try:
            return True, await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # this task itself was cancelled
            self.cancels += 1
            return False, None


# -- spawning ------------------------------------------------------------


def available(lib):
    """Whether ``lib`` can be imported here (its reason if not)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eventlet's deprecation
            __import__(lib)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


class Run:
    """Actors of one scenario across several libraries, each in threads."""

    def __init__(self, scenario, plan, seed, seconds):
        self.scenario = scenario
        self.plan = plan  # [(lib, threads, actors per thread)]
        self.seed = seed
        self.seconds = seconds
        self.deadline = None  # set once every thread has started
        self._go = threading.Event()
        self._started = 0
        self.acts = []
        self.threads = []
        self._done = threading.Condition(threading.Lock())

    def make_acts(self):
        total = sum(n * k for _lib, n, k in self.plan)
        roles = self.scenario.roles(total)
        index = 0
        groups = []
        for lib, nthreads, per_thread in self.plan:
            for _ in range(nthreads):
                cls = (
                    GreenAct
                    if lib in ("threading", "gevent", "eventlet")
                    else AsyncAct
                )
                acts = []
                for _ in range(per_thread):
                    act = cls(
                        lib,
                        index,
                        roles[index],
                        self.seed,
                        self.scenario.ledger,
                    )
                    index += 1
                    acts.append(act)
                self.acts.extend(acts)
                groups.append((lib, acts))
        return groups

    def _body_done(self, act):
        with self._done:
            act.done = True
            self._done.notify_all()

    def count_role(self, role):
        return sum(1 for act in self.acts if act.role == role)

    def wait_role_done(self, role):
        """Block the controller until every actor of ``role`` is done."""
        with self._done:
            self._done.wait_for(
                lambda: all(a.done for a in self.acts if a.role == role)
            )

    def _wait_go(self):
        # every actor starts together: the deadline counts from there
        self._go.wait()

    def wait_deadline(self):
        self._go.wait()
        self._done.acquire()
        try:
            self._done.wait(max(0.0, self.deadline - time.monotonic()))
            while time.monotonic() < self.deadline:
                self._done.wait(self.deadline - time.monotonic())
        finally:
            self._done.release()

    def _crash(self, act):
        self.scenario.ledger.violation(
            f"[{act.lib}#{act.index}] crashed:\n{traceback.format_exc()}"
        )

    def _green(self, act):
        try:
            self._wait_go()
            self.scenario.green_actor(act, self.deadline)
        except BaseException:
            self._crash(act)
        finally:
            self._body_done(act)

    async def _async(self, act):
        try:
            self._wait_go()
            await self.scenario.async_actor(act, self.deadline)
        except BaseException:
            self._crash(act)
        finally:
            self._body_done(act)

    def _thread_main(self, lib, acts):
        try:
            if lib == "threading":
                self._green(acts[0])
            elif lib == "gevent":
                import gevent

                glets = [gevent.spawn(self._green, act) for act in acts]
                gevent.joinall(glets)
                gevent.get_hub().destroy(destroy_loop=True)
            elif lib == "eventlet":
                import eventlet

                threads = [eventlet.spawn(self._green, act) for act in acts]
                for gthread in threads:
                    gthread.wait()
            elif lib == "trio":
                import trio

                async def main():
                    async with trio.open_nursery() as nursery:
                        for act in acts:
                            nursery.start_soon(self._async, act)

                trio.run(main)
            else:

                async def main():
                    await asyncio.gather(*(self._async(act) for act in acts))

                asyncio.run(main())
        except BaseException:
            self.scenario.ledger.violation(
                f"[{lib} thread] crashed:\n{traceback.format_exc()}"
            )

    def start(self):
        controller = threading.Thread(
            target=self._controller, name="stress-controller", daemon=True
        )
        for lib, acts in self.make_acts():
            if lib == "threading":
                # one actor per plain thread
                for act in acts:
                    self._spawn("threading", [act])
            else:
                self._spawn(lib, acts)
        self.threads.append(controller)
        controller.start()
        self.deadline = time.monotonic() + self.seconds
        self._go.set()

    def _controller(self):
        try:
            self.scenario.controller(self)
        except BaseException:
            self.scenario.ledger.violation(
                f"[controller] crashed:\n{traceback.format_exc()}"
            )

    def _spawn(self, lib, acts):
        thread = threading.Thread(
            target=self._thread_main,
            args=(lib, acts),
            name=f"stress-{lib}-{len(self.threads)}",
            daemon=True,
        )
        self.threads.append(thread)
        thread.start()

    def join(self, limit):
        """Wait for every thread until ``limit`` (monotonic); the stuck."""
        for thread in self.threads:
            thread.join(max(0.0, limit - time.monotonic()))
        return [t.name for t in self.threads if t.is_alive()]


def format_exc_line():
    exc = sys.exc_info()[1]
    return f"{type(exc).__name__}: {exc}"
