# SPDX-License-Identifier: MIT

"""Runners for the low-level tests: each library in its own fresh thread.

Green libraries run a plain function (gevent/eventlet: in a greenlet of a
hub that lives in that thread); async libraries run a coroutine function
under `asyncio.run` or `trio.run`. Exceptions are re-raised in the test.
"""

from __future__ import annotations

import threading
import time
import warnings

import pytest

GREEN_LIBS = ("threading", "gevent", "eventlet")
ASYNC_LIBS = ("asyncio", "trio")
DEADLINE = 20.0


def import_eventlet():
    """Import eventlet (skipping the test if it is not installed)."""
    pytest.importorskip("greenlet")
    # eventlet warns about its own deprecation on import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip("eventlet")
        import eventlet
        import eventlet.greenthread
        import eventlet.hubs
    return eventlet


def run_in_thread(fn, *args, timeout=DEADLINE):
    """Run ``fn(*args)`` in a new thread; return its result or re-raise."""
    outcome = []

    def target():
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)

    if thread.is_alive():
        pytest.fail(f"{fn!r} did not finish within {timeout}s")

    ok, value = outcome[0]

    if not ok:
        raise value

    return value


def run_green(lib, fn, *args):
    """Run ``fn(*args)`` as a green task of *lib* in a fresh thread."""
    if lib == "threading":
        return run_in_thread(fn, *args)

    if lib == "gevent":
        import gevent

        def main():
            return gevent.spawn(fn, *args).get()

        return run_in_thread(main)

    if lib == "eventlet":
        eventlet = import_eventlet()

        def main():
            return eventlet.spawn(fn, *args).wait()

        return run_in_thread(main)

    raise ValueError(lib)


def run_async(lib, afn, *args):
    """Run ``await afn(*args)`` under *lib* in a fresh thread."""
    if lib == "asyncio":
        import asyncio

        return run_in_thread(lambda: asyncio.run(afn(*args)))

    if lib == "trio":
        import trio

        return run_in_thread(trio.run, afn, *args)

    if lib.startswith("anyio-"):
        import anyio

        backend = lib.partition("-")[2]
        return run_in_thread(lambda: anyio.run(afn, *args, backend=backend))

    raise ValueError(lib)


def wait_until(predicate, timeout=DEADLINE):
    """Poll *predicate* (from a plain thread) until true, or fail."""
    deadline = time.monotonic() + timeout
    delay = 0.0001

    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{predicate!r} not reached within {timeout}s")

        time.sleep(delay)
        delay = min(delay * 2, 0.005)


def spin(iterations):
    """Busy-wait a little (a random short delay without sleeping)."""
    for _ in range(iterations):
        pass


def call_in_thread(fn, *args):
    """Start a daemon thread running ``fn(*args)``; return the thread."""
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread


class GreenOps:
    """Spawning, sleeping and interrupting in a green library."""

    def __init__(self, lib):
        self.lib = lib

    def spawn(self, fn, *args):
        if self.lib == "gevent":
            import gevent

            return gevent.spawn(fn, *args)

        if self.lib == "eventlet":
            return import_eventlet().spawn(fn, *args)

        raise ValueError(self.lib)

    def join(self, task):
        if self.lib == "gevent":
            return task.get()

        return task.wait()

    def sleep(self, seconds):
        if self.lib == "gevent":
            import gevent

            gevent.sleep(seconds)
        else:
            import_eventlet().sleep(seconds)

    def kill(self, task, exc):
        """Throw *exc* into *task*; delivered before the next yield."""
        if self.lib == "gevent":
            task.kill(exc, block=False)
        else:
            import_eventlet().greenthread.kill(task, exc)

    def timeout(self, seconds, exc):
        if self.lib == "gevent":
            import gevent

            return gevent.Timeout(seconds, exc)

        return import_eventlet().Timeout(seconds, exc)
