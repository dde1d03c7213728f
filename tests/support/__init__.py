# SPDX-License-Identifier: MIT

"""Shared test infrastructure: worlds, tasks, portable task bodies, polling.

A *world* is one concurrency library running in its own OS thread, so that a
test (running in the main thread) can drive several of them at once and share
one primitive between them.

Library names::

    GREEN_LIBS = ("threading", "gevent", "eventlet")
    ASYNC_LIBS = ("asyncio", "trio", "anyio-asyncio", "anyio-trio")
    ALL_LIBS = GREEN_LIBS + ASYNC_LIBS
    CANCELLABLE_LIBS = ALL_LIBS without "threading"

``World(lib)``
    Context manager. ``__enter__`` starts the world (a loop in a daemon
    thread; gevent and eventlet get their own hub in that thread, never any
    monkey-patching; "threading" needs no thread of its own), ``__exit__``
    cancels what is still running and joins the thread (bounded).
    Attributes: ``lib`` (the name above), ``backend`` (the library aiologic
    detects in it: "asyncio", "trio", "threading", "gevent", "eventlet"),
    ``is_async``, ``cancelled_exc`` (asyncio.CancelledError, trio.Cancelled,
    greenlet.GreenletExit; ``None`` for threading), ``ops`` (see below),
    ``thread_ident`` (ident of the world's thread; ``None`` for threading).

``world.spawn(fn, *args) -> Task``
    Async worlds: ``fn`` is a coroutine function run as a new task of the
    loop. Green worlds: a plain function run in a new greenlet (gevent,
    eventlet) or a new daemon thread (threading). In green worlds ``fn`` may
    also be a *portable* coroutine function (below). Callable from any thread
    except the world's own.
    Tasks spawned back to back may start in any order (trio shuffles its
    run queue, threads race): to queue waiters in a known order, spawn one
    and ``wait_until(lambda: prim.waiting == n)`` before the next.
``world.call(fn, *args, timeout=10.0)``
    ``spawn(fn, *args).result(timeout)``.
``world.spawn_hold(prim, *args, log=None, name=None, **kwargs) -> Holder``
    A task that acquires ``prim`` (``green_acquire``/``async_acquire`` with
    ``*args, **kwargs``), appends ``name`` to ``log`` on success, waits until
    ``holder.release()`` is called and then releases with ``*args``
    (``green_release``/``async_release``). Its result is acquire's result.
``world.cancel_now(task)``
    Inside a task of this world: cancel another ``task`` of this world at
    once (``task.cancel()`` goes through the world's queue instead).
``world.current_ident()``
    Called inside a task of this world: ``(backend, id)`` identifying that
    task the way aiologic names owners (thread ident for threading, ``id``
    of the asyncio task / trio task / greenlet otherwise).
``world.gate() -> Gate``
    A one-shot signal: ``gate.open()`` from any thread; ``await gate.wait()``
    inside any task of this world (portable).

``Task``: ``world``; ``result(timeout=10.0)`` returns the result or
re-raises the exception (fails the test on timeout); ``cancel()`` (asyncio
``task.cancel()``, trio/anyio: cancels the task's own cancel scope, gevent
``kill(block=False)``, eventlet ``kill``, threading:
``NotImplementedError``); ``done()``;
``wait(timeout=10.0) -> bool`` (done within timeout, never raises);
``exception(timeout=10.0)`` (the exception or ``None``).

``Holder``: ``wait_acquired(timeout=10.0) -> bool`` (acquire's result;
re-raises if the task failed before), ``acquired`` (``None`` until then),
``release()``, ``result(timeout)``, ``cancel()``, ``done()``, ``task``.

Portable task bodies: ``async def body(): ...`` that only awaits
``world.ops`` awaitables (and ``gate.wait()``) runs unchanged in every world;
in green worlds those awaitables complete synchronously::

    ops = world.ops
    async def body():
        assert await ops.acquire(lock, timeout=1)
        await ops.sleep(0.01)
        await ops.release(lock)
    world.call(body)

``world.ops`` (all awaitable): ``acquire(prim, *a, **kw)``,
``release(prim, *a, **kw)``, ``call(obj, name, *a, **kw)`` (``green_<name>``
or ``async_<name>``; the result is awaited if awaitable), ``wait(obj,
timeout=MISSING)`` (``obj.wait([timeout])`` or ``await obj`` /
``await obj.with_(timeout)``), ``using(prim)`` (``async with`` adaptor for
``with prim``/``async with prim``, yields what ``__enter__``/``__aenter__``
return), ``sleep(seconds)``, ``checkpoint()`` (one native yield).

Other helpers:

``DEFAULT_TIMEOUT`` (10.0 s)
    Default bound of every wait in this module.

``wait_until(predicate, timeout=10.0, message=...)``
    Polls ``predicate()`` with tiny sleeps until it is true; fails the test
    with ``message`` (a string or a zero-argument callable) on timeout.
``wait_waiting(obj, count, timeout=10.0)``
    ``wait_until(lambda: obj.waiting == count)`` with a useful message.
``open_worlds(*libs)``
    Context manager starting several worlds, yielding a list of them.
``require(lib)``
    ``pytest.skip`` with the reason if the library cannot be imported
    (gevent/eventlet on some interpreters); otherwise returns nothing.
``YieldCounter(awaitable)``
    ``c = YieldCounter(aw); res = await c; c.yields``: the number of times
    the awaitable suspended the task (works for asyncio and trio).
``TrioStepCounter()``
    ``async with TrioStepCounter() as c: ...; c.steps``: scheduling steps of
    the current trio task inside the block, counted by a trio Instrument.
``stress(n)``
    ``n`` times ``AIOLOGIC_STRESS`` (an int, default 1; any non-int true
    value means 10).
``seeds(n)``
    ``range`` of seeds for seeded iterations (``stress(n)`` many).

``green_script.py`` (not imported here) is the subprocess scenario of
``test_cross_world.py``: gevent/eventlet greenlets with and without
monkey-patching.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import queue
import sys
import threading
import time
import warnings

import pytest

__all__ = [
    "ALL_LIBS",
    "ASYNC_LIBS",
    "CANCELLABLE_LIBS",
    "DEFAULT_TIMEOUT",
    "GREEN_LIBS",
    "Gate",
    "Holder",
    "Task",
    "TrioStepCounter",
    "World",
    "YieldCounter",
    "open_worlds",
    "require",
    "seeds",
    "stress",
    "wait_until",
    "wait_waiting",
]

GREEN_LIBS = ("threading", "gevent", "eventlet")
ASYNC_LIBS = ("asyncio", "trio", "anyio-asyncio", "anyio-trio")
ALL_LIBS = GREEN_LIBS + ASYNC_LIBS
CANCELLABLE_LIBS = tuple(lib for lib in ALL_LIBS if lib != "threading")

DEFAULT_TIMEOUT = 10.0

_MISSING = object()


# ---------------------------------------------------------------------------
# small helpers


def stress(n):
    """Return ``n`` scaled by the ``AIOLOGIC_STRESS`` environment variable."""
    value = os.environ.get("AIOLOGIC_STRESS", "")
    if not value:
        return n
    try:
        factor = int(value)
    except ValueError:
        factor = 10
    return n * max(factor, 1)


def seeds(n):
    """Return the seeds for ``stress(n)`` seeded iterations."""
    return range(stress(n))


#: working directory for Python subprocesses: holds no ``aiologic/``, so
#: ``python -c`` cannot pick up the source tree instead of the package
SUBPROCESS_CWD = os.path.dirname(os.path.abspath(__file__))


def subprocess_env(environ=None):
    """An environment in which a Python subprocess imports the very
    ``aiologic`` these tests import (the installed one under ``make test``),
    with the same core selected (the one the ``impl`` fixture loaded last).
    """
    import aiologic

    implementation = sys.modules["aiologic._impl"].IMPLEMENTATION
    env = dict(os.environ if environ is None else environ)
    if implementation == "python":
        env["AIOLOGIC_NO_EXTENSIONS"] = "1"
        env.pop("AIOLOGIC_REQUIRE_EXTENSIONS", None)
    else:
        # a subprocess that cannot load the compiled core must fail, not
        # quietly test the pure one
        env.pop("AIOLOGIC_NO_EXTENSIONS", None)
        env["AIOLOGIC_REQUIRE_EXTENSIONS"] = "1"
    parent = os.path.dirname(
        os.path.dirname(os.path.abspath(aiologic.__file__))
    )
    # an installed package is on the default path already; putting
    # site-packages first would also shadow PyPy's own greenlet module
    if parent not in map(os.path.abspath, sys.path):
        path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = parent + (os.pathsep + path if path else "")
    return env


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, message=None):
    """Poll ``predicate`` until it returns true; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.0001
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.005)
    if callable(message):
        message = message()
    if message is None:
        message = f"condition {predicate!r} not reached"
    pytest.fail(f"{message} (waited {timeout}s)", pytrace=True)


def wait_waiting(obj, count, timeout=DEFAULT_TIMEOUT):
    """Wait until ``obj.waiting == count``; fail the test on timeout."""
    wait_until(
        lambda: obj.waiting == count,
        timeout,
        message=lambda: f"expected waiting == {count}: {obj!r}",
    )


def _import_eventlet():
    # eventlet warns about its own deprecation on import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eventlet
        import eventlet.event
        import eventlet.hubs
    return eventlet


def _import(lib):
    if lib == "eventlet":
        return _import_eventlet()
    if lib.startswith("anyio-"):
        importlib.import_module(lib.partition("-")[2])
        return importlib.import_module("anyio")
    return importlib.import_module(lib)


def require(lib):
    """Skip the test, with the reason, if ``lib`` cannot be imported."""
    if lib not in ALL_LIBS:
        raise ValueError(f"unknown library {lib!r}")
    try:
        _import(lib)
    except ImportError as exc:
        pytest.skip(f"{lib} is not installed: {exc}")


# ---------------------------------------------------------------------------
# tasks


class Task:
    """Handle of a function running in a world."""

    def __init__(self, world, fn):
        self.world = world
        self._world = world
        self._fn = fn
        self._done = threading.Event()
        self._outcome = None  # (ok, value)
        self._cancel_requested = False
        self._native = None  # task / greenlet / thread / cancel scope
        self._lock = threading.Lock()

    def __repr__(self):
        state = "done" if self._done.is_set() else "running"
        name = getattr(self._fn, "__qualname__", repr(self._fn))
        return f"<Task {name} in {self._world.lib} {state}>"

    def _set(self, ok, value):
        with self._lock:
            if self._outcome is not None:
                return
            self._outcome = (ok, value)
        self._done.set()

    def done(self):
        return self._done.is_set()

    def wait(self, timeout=DEFAULT_TIMEOUT):
        return self._done.wait(timeout)

    def result(self, timeout=DEFAULT_TIMEOUT):
        if not self._done.wait(timeout):
            pytest.fail(f"{self!r} did not finish within {timeout}s")
        ok, value = self._outcome
        if ok:
            return value
        raise value

    def exception(self, timeout=DEFAULT_TIMEOUT):
        if not self._done.wait(timeout):
            pytest.fail(f"{self!r} did not finish within {timeout}s")
        ok, value = self._outcome
        return None if ok else value

    def cancel(self):
        self._world._cancel(self)


class Holder:
    """A task that holds a primitive until told to release it."""

    def __init__(self, world, prim, args, kwargs, log, name):
        self._world = world
        self._prim = prim
        self._args = args
        self._kwargs = kwargs
        self._log = log
        self._name = name
        self._gate = world.gate()
        self._returned = threading.Event()
        self.acquired = None
        self.task = world.spawn(self._body)

    async def _body(self):
        ops = self._world.ops
        try:
            ok = await ops.acquire(self._prim, *self._args, **self._kwargs)
            if ok and self._log is not None:
                self._log.append(self._name)
            self.acquired = ok
        finally:
            self._returned.set()
        if ok:
            await self._gate.wait()
            await ops.release(self._prim, *self._args)
        return ok

    def wait_acquired(self, timeout=DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self._returned.wait(0.01):
            if self.task.done():
                self.task.result(0)  # re-raises
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{self!r} did not acquire within {timeout}s")
        if self.acquired is None:
            self.task.result(timeout)  # acquire raised: re-raise it
        return self.acquired

    def release(self):
        self._gate.open()

    def result(self, timeout=DEFAULT_TIMEOUT):
        return self.task.result(timeout)

    def cancel(self):
        self.task.cancel()

    def done(self):
        return self.task.done()

    def __repr__(self):
        return (
            f"<Holder {self._name!r} of {self._prim!r} in {self._world.lib}>"
        )


class Gate:
    """One-shot signal: opened from any thread, awaited in a world's task."""

    def __init__(self, world):
        self._world = world
        self._lock = threading.Lock()
        self._opened = False
        self._wakers = []

    def is_open(self):
        return self._opened

    def open(self):
        with self._lock:
            self._opened = True
            wakers, self._wakers = self._wakers, []
        for waker in wakers:
            waker()

    def _register(self, waker):
        """Register ``waker``; return False if the gate is already open."""
        with self._lock:
            if self._opened:
                return False
            self._wakers.append(waker)
            return True

    def wait(self):
        return self._world.ops._wait_gate(self)


# ---------------------------------------------------------------------------
# portable operations


class _Ready:
    """An awaitable that completes at once with a value (never suspends)."""

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value

    def __await__(self):
        return self._value
        yield  # pragma: no cover - makes this a generator


class _SyncContext:
    """``async with`` adaptor over a synchronous context manager."""

    def __init__(self, cm):
        self._cm = cm

    async def __aenter__(self):
        return self._cm.__enter__()

    async def __aexit__(self, *exc_info):
        return self._cm.__exit__(*exc_info)


class _GreenOps:
    """Operations of green worlds: every call completes synchronously."""

    is_async = False

    def __init__(self, world):
        self._world = world
        self.lib = world.lib

    def acquire(self, prim, *args, **kwargs):
        return _Ready(prim.green_acquire(*args, **kwargs))

    def release(self, prim, *args, **kwargs):
        return _Ready(prim.green_release(*args, **kwargs))

    def call(self, obj, name, *args, **kwargs):
        return _Ready(getattr(obj, "green_" + name)(*args, **kwargs))

    def wait(self, obj, timeout=_MISSING):
        if timeout is _MISSING:
            return _Ready(obj.wait())
        return _Ready(obj.wait(timeout))

    def using(self, prim):
        return _SyncContext(prim)

    def sleep(self, seconds):
        return _Ready(self._world._green_sleep(seconds))

    def checkpoint(self):
        return _Ready(self._world._green_sleep(0))

    def _wait_gate(self, gate):
        return _Ready(self._world._green_wait_gate(gate))


class _AsyncOps:
    """Operations of async worlds: coroutines of the running library."""

    is_async = True

    def __init__(self, world):
        self._world = world
        self.lib = world.lib

    async def acquire(self, prim, *args, **kwargs):
        return await prim.async_acquire(*args, **kwargs)

    async def release(self, prim, *args, **kwargs):
        result = prim.async_release(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def call(self, obj, name, *args, **kwargs):
        result = getattr(obj, "async_" + name)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def wait(self, obj, timeout=_MISSING):
        if timeout is _MISSING:
            return await obj
        return await obj.with_(timeout)

    def using(self, prim):
        return prim

    async def sleep(self, seconds):
        await self._world._async_sleep(seconds)

    async def checkpoint(self):
        await self._world._async_sleep(0)

    async def _wait_gate(self, gate):
        await self._world._async_wait_gate(gate)


def _drive_portable(coro):
    """Run a portable coroutine in a green world, where it never suspends."""
    try:
        yielded = coro.send(None)
    except StopIteration as exc:
        return exc.value
    coro.close()
    raise RuntimeError(
        "a portable coroutine suspended in a green world: it awaited"
        f" {yielded!r}, which is not a world.ops awaitable"
    )


# ---------------------------------------------------------------------------
# worlds


class World:
    """One concurrency library running in its own OS thread."""

    def __init__(self, lib):
        if lib not in ALL_LIBS:
            raise ValueError(f"unknown library {lib!r}")
        self.lib = lib
        self.backend = lib.rpartition("-")[2]
        self.is_async = lib in ASYNC_LIBS
        self.ops = _AsyncOps(self) if self.is_async else _GreenOps(self)
        self.cancelled_exc = None
        self.thread_ident = None
        self._thread = None
        self._ready = threading.Event()
        self._startup_error = None
        self._crash = None
        self._tasks = []
        self._tasks_lock = threading.Lock()
        self._started = False
        self._stopped = False
        # per-library state
        self._loop = None  # asyncio loop
        self._token = None  # trio token
        self._nursery = None  # trio nursery / anyio task group
        self._stop = None  # callable run in the world to stop it
        self._requests = None  # gevent/eventlet request queue
        self._notify = None  # gevent/eventlet/anyio: wakes the world thread
        self._wake = None  # anyio: event the main task waits on

    def __repr__(self):
        return f"<World {self.lib}>"

    # -- lifecycle --------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(raise_on_failure=exc_type is None)

    def start(self):
        if self._started:
            raise RuntimeError("world already started")
        self._started = True
        require(self.lib)
        if self.lib == "threading":
            self._ready.set()
            return self
        target = getattr(self, "_run_" + self.lib.replace("-", "_"))
        self._thread = threading.Thread(
            target=self._thread_main,
            args=(target,),
            name=f"world-{self.lib}",
            daemon=True,
        )
        self._thread.start()
        if not self._ready.wait(DEFAULT_TIMEOUT):
            pytest.fail(f"{self!r} did not start")
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def _thread_main(self, target):
        self.thread_ident = threading.get_ident()
        try:
            target()
        except BaseException as exc:
            if not self._ready.is_set():
                self._startup_error = exc
            self._crash = exc
        finally:
            self._ready.set()

    def stop(self, timeout=DEFAULT_TIMEOUT, raise_on_failure=True):
        """Cancel remaining tasks and stop the world (idempotent)."""
        if self._stopped or not self._started:
            return
        self._stopped = True
        if self.lib == "threading":
            with self._tasks_lock:
                threads = [t._native for t in self._tasks]
            deadline = time.monotonic() + 1.0
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            return
        if self._thread is None or not self._thread.is_alive():
            return
        try:
            self._submit(self._stop)
        except RuntimeError:
            pass  # the loop has already gone
        self._thread.join(timeout)
        if not raise_on_failure:
            return
        if self._thread.is_alive():
            pytest.fail(f"{self!r} did not stop within {timeout}s")
        if self._crash is not None:
            raise self._crash

    # -- spawning ---------------------------------------------------------

    def spawn(self, fn, *args):
        if not self._started or self._stopped:
            raise RuntimeError(f"{self!r} is not running")
        if self.is_async and not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn!r} is not a coroutine function")
        task = Task(self, fn)
        with self._tasks_lock:
            self._tasks.append(task)
        if self.lib == "threading":
            thread = threading.Thread(
                target=self._green_body,
                args=(task, fn, args),
                name=f"task-{getattr(fn, '__name__', 'fn')}",
                daemon=True,
            )
            task._native = thread
            thread.start()
        else:
            self._submit(self._start_task, task, fn, args)
        return task

    def call(self, fn, *args, timeout=DEFAULT_TIMEOUT):
        return self.spawn(fn, *args).result(timeout)

    def spawn_hold(self, prim, *args, log=None, name=None, **kwargs):
        return Holder(self, prim, args, kwargs, log, name)

    def gate(self):
        return Gate(self)

    def current_ident(self):
        """Inside a task of this world: ``(backend, id)`` of that task."""
        if self.backend == "threading":
            return ("threading", threading.get_ident())
        if self.backend == "asyncio":
            import asyncio

            return ("asyncio", id(asyncio.current_task()))
        if self.backend == "trio":
            import trio

            return ("trio", id(trio.lowlevel.current_task()))
        import greenlet

        return (self.backend, id(greenlet.getcurrent()))

    def _green_body(self, task, fn, args):
        try:
            if inspect.iscoroutinefunction(fn):
                result = _drive_portable(fn(*args))
            else:
                result = fn(*args)
        except BaseException as exc:
            task._set(False, exc)
        else:
            task._set(True, result)

    def cancel_now(self, task):
        """Inside a task of this world: cancel ``task`` (of this world) now.

        Unlike ``task.cancel()`` there is no hop through the world's queue,
        so the caller controls exactly what happens before the cancellation
        (for example: release a lock, then cancel the woken waiter).
        """
        if self.lib == "threading":
            raise NotImplementedError("threads cannot be cancelled")
        self._cancel_task(task)

    def _cancel(self, task):
        if self.lib == "threading":
            raise NotImplementedError("threads cannot be cancelled")
        self._submit(self._cancel_task, task)

    # -- per-library plumbing ---------------------------------------------
    # _submit(fn, *args) runs fn(*args) soon in the world's thread (from any
    # thread, FIFO); _start_task/_cancel_task run there.

    def _submit(self, fn, *args):
        if self.lib == "asyncio":
            self._loop.call_soon_threadsafe(fn, *args)
        elif self.lib == "trio":
            self._token.run_sync_soon(fn, *args)
        else:
            self._requests.put((fn, args))
            self._notify()

    def _drain(self):
        while True:
            try:
                fn, args = self._requests.get_nowait()
            except queue.Empty:
                return
            fn(*args)

    # asyncio ---------------------------------------------------------------

    def _run_asyncio(self):
        import asyncio

        self.cancelled_exc = asyncio.CancelledError

        async def main():
            self._loop = asyncio.get_running_loop()
            stopped = self._loop.create_future()

            def stop():
                for task in self._pending():
                    if task._native is not None:
                        task._native.cancel()
                if not stopped.done():
                    stopped.set_result(None)

            self._stop = stop
            self._ready.set()
            await stopped

        asyncio.run(main())

    def _asyncio_start_task(self, task, fn, args):
        native = self._loop.create_task(fn(*args))
        task._native = native

        def done(native):
            if native.cancelled():
                import asyncio

                task._set(False, asyncio.CancelledError())
            elif native.exception() is not None:
                task._set(False, native.exception())
            else:
                task._set(True, native.result())

        native.add_done_callback(done)
        if task._cancel_requested:
            native.cancel()

    # trio and anyio ----------------------------------------------------------

    def _run_trio(self):
        import trio

        self.cancelled_exc = trio.Cancelled

        async def main():
            self._token = trio.lowlevel.current_trio_token()
            stopped = trio.Event()
            async with trio.open_nursery() as nursery:
                self._nursery = nursery

                def stop():
                    nursery.cancel_scope.cancel()
                    stopped.set()

                self._stop = stop
                self._ready.set()
                await stopped.wait()

        trio.run(main)

    def _run_anyio_trio(self):
        self._run_anyio("trio")

    def _run_anyio_asyncio(self):
        self._run_anyio("asyncio")

    def _run_anyio(self, backend):
        import anyio

        if backend == "trio":
            import trio

            self.cancelled_exc = trio.Cancelled
        else:
            import asyncio

            self.cancelled_exc = asyncio.CancelledError

        # Tasks must be started from inside a task of the run (anyio needs
        # to detect the library), so the main task drains the requests.
        async def main():
            self._wake = anyio.Event()

            def kick():
                self._wake.set()

            if backend == "trio":
                import trio

                token = trio.lowlevel.current_trio_token()
                self._notify = lambda: token.run_sync_soon(kick)
            else:
                import asyncio

                loop = asyncio.get_running_loop()
                self._notify = lambda: loop.call_soon_threadsafe(kick)
            self._requests = queue.SimpleQueue()
            stopping = []
            async with anyio.create_task_group() as tg:
                self._nursery = tg

                def stop():
                    stopping.append(True)
                    tg.cancel_scope.cancel()

                self._stop = stop
                self._ready.set()
                while not stopping:
                    self._wake = anyio.Event()
                    self._drain()
                    if not stopping:
                        await self._wake.wait()

        anyio.run(main, backend=backend)

    async def _scoped_body(self, task, fn, args):
        if self.lib == "trio":
            import trio

            scope_type = trio.CancelScope
        else:
            import anyio

            scope_type = anyio.CancelScope
        with scope_type() as scope:
            task._native = scope
            if task._cancel_requested:
                scope.cancel()
            try:
                result = await fn(*args)
            except self.cancelled_exc as exc:
                task._set(False, exc)
                raise  # absorbed by our scope (or by the world's on stop)
            except BaseException as exc:
                task._set(False, exc)
            else:
                task._set(True, result)
        # cancelled before the body ran at all
        if not task.done():
            task._set(False, self.cancelled_exc())

    # gevent ------------------------------------------------------------------

    def _run_gevent(self):
        import gevent
        import gevent.event
        from greenlet import GreenletExit

        self.cancelled_exc = GreenletExit
        hub = gevent.get_hub()
        self._requests = queue.SimpleQueue()
        watcher = hub.loop.async_()
        watcher.start(self._drain)
        self._notify = watcher.send
        stopped = gevent.event.Event()

        def stop():
            for task in self._pending():
                if task._native is not None:
                    task._native.kill(block=False)
            stopped.set()

        self._stop = stop
        self._ready.set()
        try:
            stopped.wait()
            # let the killed greenlets run their cleanup
            gevent.sleep(0)
        finally:
            watcher.stop()
            watcher.close()
            hub.destroy(destroy_loop=True)

    def _gevent_start_task(self, task, fn, args):
        import gevent

        glet = gevent.spawn(self._green_body, task, fn, args)
        task._native = glet

        def finished(glet):
            if not task.done():  # killed before it started
                task._set(False, self.cancelled_exc())

        glet.rawlink(finished)
        if task._cancel_requested:
            glet.kill(block=False)

    # eventlet ----------------------------------------------------------------

    def _run_eventlet(self):
        eventlet = _import_eventlet()
        from greenlet import GreenletExit

        self.cancelled_exc = GreenletExit
        eventlet.hubs.get_hub()
        self._requests = queue.SimpleQueue()
        rfd, wfd = os.pipe()
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        closed = [False]
        notify_lock = threading.Lock()

        def notify():
            with notify_lock:
                if closed[0]:
                    raise RuntimeError("the eventlet world has stopped")
                try:
                    os.write(wfd, b"x")
                except BlockingIOError:
                    pass  # already has pending wake-ups

        self._notify = notify
        stopping = [False]

        def stop():
            for task in self._pending():
                if task._native is not None:
                    task._native.kill()
            stopping[0] = True

        self._stop = stop
        self._ready.set()
        try:
            while not stopping[0]:
                eventlet.hubs.trampoline(rfd, read=True)
                try:
                    os.read(rfd, 4096)
                except BlockingIOError:
                    pass
                self._drain()
        finally:
            with notify_lock:
                closed[0] = True
                os.close(rfd)
                os.close(wfd)

    def _eventlet_start_task(self, task, fn, args):
        eventlet = _import_eventlet()

        gthread = eventlet.spawn(self._green_body, task, fn, args)
        task._native = gthread

        def finished(gthread):
            if not task.done():  # killed before it started
                task._set(False, self.cancelled_exc())

        gthread.link(finished)
        if task._cancel_requested:
            gthread.kill()

    # dispatch -----------------------------------------------------------

    def _start_task(self, task, fn, args):
        if self.lib == "asyncio":
            self._asyncio_start_task(task, fn, args)
        elif self.lib in ("trio", "anyio-trio", "anyio-asyncio"):
            self._nursery.start_soon(self._scoped_body, task, fn, args)
        elif self.lib == "gevent":
            self._gevent_start_task(task, fn, args)
        else:
            self._eventlet_start_task(task, fn, args)

    def _cancel_task(self, task):
        task._cancel_requested = True
        native = task._native
        if native is None or task.done():
            return  # not started yet: cancelled when it starts
        if self.lib == "gevent":
            native.kill(block=False)
        else:
            # asyncio task, trio/anyio cancel scope, eventlet greenthread
            native.cancel() if self.lib != "eventlet" else native.kill()

    def _pending(self):
        with self._tasks_lock:
            return [task for task in self._tasks if not task.done()]

    # sleeping and gates -------------------------------------------------

    def _green_sleep(self, seconds):
        if self.lib == "threading":
            time.sleep(seconds)
        elif self.lib == "gevent":
            import gevent

            gevent.sleep(seconds)
        else:
            _import_eventlet().sleep(seconds)

    async def _async_sleep(self, seconds):
        if self.backend == "asyncio":
            import asyncio

            await asyncio.sleep(seconds)
        else:
            import trio

            await trio.sleep(seconds)

    def _green_wait_gate(self, gate):
        if self.lib == "threading":
            event = threading.Event()
            if gate._register(event.set):
                event.wait()
            return
        if self.lib == "gevent":
            import gevent.event

            event = gevent.event.Event()
        else:
            event = _import_eventlet().event.Event()

        def wake():
            try:
                self._submit(_set_green_event, event)
            except RuntimeError:
                pass  # world stopped

        if gate._register(wake):
            event.wait()

    async def _async_wait_gate(self, gate):
        if self.backend == "asyncio":
            import asyncio

            loop = asyncio.get_running_loop()
            future = loop.create_future()

            def resolve():
                if not future.done():
                    future.set_result(None)

            def wake():
                try:
                    loop.call_soon_threadsafe(resolve)
                except RuntimeError:
                    pass  # loop closed

            if gate._register(wake):
                await future
        else:
            import trio

            event = trio.Event()
            token = trio.lowlevel.current_trio_token()

            def wake():
                try:
                    token.run_sync_soon(event.set)
                except trio.RunFinishedError:
                    pass

            if gate._register(wake):
                await event.wait()


def _set_green_event(event):
    # eventlet's Event.send raises if sent twice; gates are one-shot anyway
    if hasattr(event, "send"):
        if not event.ready():
            event.send(None)
    else:
        event.set()


@contextlib.contextmanager
def open_worlds(*libs):
    """Start a world per library name; stop them all on exit."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(World(lib)) for lib in libs]


# ---------------------------------------------------------------------------
# checkpoint counting


class YieldCounter:
    """Await an awaitable, counting how many times it suspended the task."""

    def __init__(self, awaitable):
        self._awaitable = awaitable
        self.yields = 0

    def __await__(self):
        iterator = self._awaitable.__await__()
        send, value = iterator.send, None
        while True:
            try:
                yielded = send(value)
            except StopIteration as exc:
                return exc.value
            self.yields += 1
            try:
                value = yield yielded
            except BaseException:
                send, value = iterator.throw, sys.exc_info()[1]
            else:
                send = iterator.send


class TrioStepCounter:
    """Count the current trio task's scheduling steps inside a block."""

    def __init__(self):
        self.steps = 0
        self._instrument = None

    async def __aenter__(self):
        import trio

        task = trio.lowlevel.current_task()
        counter = self

        class _Instrument(trio.abc.Instrument):
            def before_task_step(self, stepping):
                if stepping is task:
                    counter.steps += 1

        self._instrument = _Instrument()
        trio.lowlevel.add_instrument(self._instrument)
        return self

    async def __aexit__(self, *exc_info):
        import trio

        trio.lowlevel.remove_instrument(self._instrument)
        return False
