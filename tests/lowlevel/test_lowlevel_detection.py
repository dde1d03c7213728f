# SPDX-License-Identifier: MIT

"""Library detection and task/thread identity."""

from __future__ import annotations

import _thread
import asyncio
import subprocess
import sys
import threading

import pytest
import support
from _lowlevel_harness import (
    import_eventlet,
    run_async,
    run_green,
    run_in_thread,
)

from aiologic.lowlevel import (
    AsyncLibraryNotFoundError,
    GreenLibraryNotFoundError,
    create_green_event,
    current_async_library,
    current_async_library_tlocal,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    current_async_token_ident,
    current_green_library,
    current_green_library_tlocal,
    current_green_task,
    current_green_task_ident,
    current_green_token,
    current_green_token_ident,
    current_thread,
    current_thread_ident,
)

pytestmark = pytest.mark.timeout(30)


def test_sniffio_identity():
    sniffio = pytest.importorskip("sniffio")
    assert AsyncLibraryNotFoundError is sniffio.AsyncLibraryNotFoundError
    assert current_async_library_tlocal is sniffio.thread_local
    assert issubclass(AsyncLibraryNotFoundError, RuntimeError)
    assert issubclass(GreenLibraryNotFoundError, RuntimeError)


def test_outside_async_context():
    with pytest.raises(
        AsyncLibraryNotFoundError,
        match=r"unknown async library, or not in async context",
    ):
        current_async_library()
    assert current_async_library(failsafe=True) is None
    with pytest.raises(AsyncLibraryNotFoundError):
        current_async_task_ident()


def test_threading():
    assert current_green_library() == "threading"
    assert current_green_library(failsafe=True) == "threading"
    ident = threading.get_ident()
    assert current_thread_ident() == ident
    assert current_green_task_ident() == ("threading", ident)
    assert current_green_token_ident() == ("threading", ident)
    assert current_thread() is threading.current_thread()
    assert current_green_task() is threading.current_thread()
    assert current_green_token() is threading.current_thread()


def test_current_thread_of_foreign_thread():
    outcome = []
    done = threading.Event()

    def target():
        try:
            current_thread()
        except RuntimeError as exc:
            outcome.append(str(exc))
        outcome.append(current_green_task_ident()[0])
        done.set()

    _thread.start_new_thread(target, ())
    assert done.wait(10)
    assert outcome == ["no current thread", "threading"]


def test_green_override():
    def scenario():
        current_green_library_tlocal.name = "gevent"
        try:
            return current_green_library()
        finally:
            current_green_library_tlocal.name = None

    assert run_in_thread(scenario) == "gevent"
    assert current_green_library() == "threading"


def test_unknown_green_library_event():
    def scenario():
        current_green_library_tlocal.name = "nonexistent"
        try:
            create_green_event()
        except GreenLibraryNotFoundError as exc:
            return str(exc)
        finally:
            current_green_library_tlocal.name = None

    assert "nonexistent" in run_in_thread(scenario)


def test_async_override():
    def scenario():
        current_async_library_tlocal.name = "curio"
        try:
            return current_async_library()
        finally:
            current_async_library_tlocal.name = None

    assert run_in_thread(scenario) == "curio"


def test_gevent():
    gevent = pytest.importorskip("gevent")

    def scenario():
        import greenlet

        current = greenlet.getcurrent()
        return (
            current_green_library(),
            current_green_task_ident() == ("gevent", id(current)),
            current_green_task() is current,
            current_green_token() is gevent.get_hub(),
            current_green_token_ident() == ("gevent", id(gevent.get_hub())),
        )

    assert run_green("gevent", scenario) == ("gevent", True, True, True, True)


def test_gevent_imported_but_no_hub_is_threading():
    pytest.importorskip("gevent")
    assert run_in_thread(current_green_library) == "threading"


def test_eventlet():
    eventlet = import_eventlet()

    def scenario():
        import greenlet

        current = greenlet.getcurrent()
        hub = eventlet.hubs.get_hub()
        return (
            current_green_library(),
            current_green_task_ident() == ("eventlet", id(current)),
            current_green_task() is current,
            current_green_token() is hub,
            current_green_token_ident() == ("eventlet", id(hub)),
        )

    assert run_green("eventlet", scenario) == (
        "eventlet",
        True,
        True,
        True,
        True,
    )


def test_eventlet_imported_but_no_hub_is_threading():
    import_eventlet()
    assert run_in_thread(current_green_library) == "threading"


def test_asyncio():
    async def scenario():
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        return (
            current_async_library(),
            current_async_task() is task,
            current_async_task_ident() == ("asyncio", id(task)),
            current_async_token() is loop,
            current_async_token_ident() == ("asyncio", id(loop)),
            current_green_library(),
        )

    assert run_async("asyncio", scenario) == (
        "asyncio",
        True,
        True,
        True,
        True,
        "threading",
    )


def test_trio():
    trio = pytest.importorskip("trio")

    async def scenario():
        task = trio.lowlevel.current_task()
        token = trio.lowlevel.current_trio_token()
        return (
            current_async_library(),
            current_async_task() is task,
            current_async_task_ident() == ("trio", id(task)),
            current_async_token() is token,
            current_async_token_ident() == ("trio", id(token)),
        )

    assert run_async("trio", scenario) == ("trio", True, True, True, True)


def test_distinct_task_idents():
    async def scenario():
        async def ident():
            return current_async_task_ident()

        a, b = await asyncio.gather(ident(), ident())
        return a != b

    assert run_async("asyncio", scenario)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio(backend):
    pytest.importorskip("anyio")
    if backend == "trio":
        pytest.importorskip("trio")

    async def scenario():
        import anyio

        results = [current_async_library()]

        async def child():
            results.append(current_async_library())

        async with anyio.create_task_group() as tg:
            tg.start_soon(child)

        results.append(
            await anyio.to_thread.run_sync(
                lambda: current_async_library(failsafe=True)
            )
        )
        return results

    assert run_async(f"anyio-{backend}", scenario) == [backend, backend, None]


def test_nothing_imported_that_the_program_did_not_import():
    code = """
import sys
import asyncio
import aiologic
import aiologic.lowlevel as lowlevel

lowlevel.current_green_library()
lowlevel.current_green_task_ident()
lowlevel.green_checkpoint()
ev = lowlevel.create_green_event()
assert ev.wait(0.001) is False
ev = lowlevel.create_green_event()
ev.set()
assert ev.wait() is True

async def main():
    lowlevel.current_async_library()
    lowlevel.current_async_task_ident()
    await lowlevel.async_checkpoint()
    await lowlevel.async_checkpoint_if_cancelled()
    ev = lowlevel.create_async_event()
    assert await ev.with_(0.001) is False
    await lowlevel.shield(asyncio.sleep(0))

asyncio.run(main())
loaded = sorted(
    name
    for name in ("trio", "gevent", "eventlet", "anyio", "greenlet", "curio")
    if name in sys.modules
)
print(loaded)
"""
    env = support.subprocess_env()
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert output.strip() == "[]"


def test_gevent_monkey_patched_process_uses_original_locks():
    pytest.importorskip("gevent")
    code = """
from gevent import monkey
monkey.patch_all()
import _thread, threading
from aiologic.lowlevel import (
    ThreadLock, ThreadRLock, create_thread_lock, create_thread_rlock,
    create_green_event, current_green_library,
)
patched = type(_thread.allocate_lock())
lock = create_thread_lock()
assert type(lock) is ThreadLock
assert ThreadLock is not patched, (ThreadLock, patched)
assert ThreadLock.__module__ == "_thread", ThreadLock
assert type(create_thread_rlock()).__module__ == "_thread"
# the main thread has a hub once gevent was used through the patch
import gevent
gevent.sleep(0)
assert current_green_library() == "gevent"
ev = create_green_event()
t = threading.Thread(target=ev.set)
t.start()
assert ev.wait(5) is True
t.join()
print("ok")
"""
    env = support.subprocess_env()
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert output.strip() == "ok"


def test_eventlet_monkey_patched_process_uses_original_locks():
    import_eventlet()
    code = """
import warnings
warnings.simplefilter("ignore")
import eventlet
eventlet.monkey_patch()
import _thread, threading
from aiologic.lowlevel import (
    ThreadLock, create_thread_lock, create_green_event,
    current_green_library,
)
patched = type(_thread.allocate_lock())
assert type(create_thread_lock()) is ThreadLock
assert ThreadLock is not patched, (ThreadLock, patched)
assert ThreadLock.__module__ == "_thread", ThreadLock
eventlet.sleep(0)
assert current_green_library() == "eventlet"
ev = create_green_event()
t = threading.Thread(target=ev.set)
t.start()
assert ev.wait(5) is True
t.join()
print("ok")
"""
    env = support.subprocess_env()
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert output.strip() == "ok"
