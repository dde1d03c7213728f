# SPDX-License-Identifier: MIT

"""Identity of the current thread, task and event loop (token).

Task identities are ``(library, id(object))`` tuples; they are computed
on every lock acquire, so the common cases take a few lookups only.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from ._libraries import current_async_library, current_green_library
from ._thread_locks import _get_ident

__all__ = (
    "current_async_task",
    "current_async_task_ident",
    "current_async_token",
    "current_async_token_ident",
    "current_green_task",
    "current_green_task_ident",
    "current_green_token",
    "current_green_token_ident",
    "current_thread",
    "current_thread_ident",
)

#: the identifier of the calling OS thread (`threading.get_ident`)
current_thread_ident = _get_ident

_threading_active: dict[int, threading.Thread] = threading._active  # type: ignore[attr-defined]
_modules = sys.modules


def current_thread() -> threading.Thread:
    """Return the `threading.Thread` object of the calling OS thread.

    Raises `RuntimeError` for threads not started through `threading`.
    """
    try:
        return _threading_active[_get_ident()]
    except KeyError:
        msg = "no current thread"
        raise RuntimeError(msg) from None


# entry points of libraries, cached on first use (the library is
# imported by then: it is running)
_greenlet_getcurrent: Any = None
_trio_current_task: Any = None


def _getcurrent() -> Any:
    global _greenlet_getcurrent

    getcurrent = _greenlet_getcurrent

    if getcurrent is None:
        # both gevent and eventlet run on greenlet
        from greenlet import getcurrent as _getcurrent_impl

        getcurrent = _greenlet_getcurrent = _getcurrent_impl

    return getcurrent()


def _trio_task() -> Any:
    global _trio_current_task

    current_task = _trio_current_task

    if current_task is None:
        from trio.lowlevel import current_task

        _trio_current_task = current_task

    return current_task()


def _unsupported(kind: str, library: str | None) -> RuntimeError:
    return RuntimeError(f"unsupported {kind} library {library!r}")


def current_green_task() -> Any:
    """Return the current green task: a thread or a greenlet."""
    library = current_green_library()

    if library == "threading":
        return current_thread()

    if library == "gevent" or library == "eventlet":
        return _getcurrent()

    raise _unsupported("green", library)


def current_green_task_ident() -> tuple[str, int]:
    """Return ``(library, id)`` of the current green task.

    ``('threading', thread_ident)``, ``('gevent', id(greenlet))`` or
    ``('eventlet', id(greenlet))``.
    """
    library = current_green_library()

    if library == "threading":
        return ("threading", _get_ident())

    if library == "gevent" or library == "eventlet":
        return (library, id(_getcurrent()))

    raise _unsupported("green", library)


def current_green_token() -> Any:
    """Return the current green token: the thread, or the hub."""
    library = current_green_library()

    if library == "threading":
        return current_thread()

    if library == "gevent":
        from gevent import get_hub

        return get_hub()

    if library == "eventlet":
        from eventlet.hubs import get_hub  # pyright: ignore[reportMissingImports]

        return get_hub()

    raise _unsupported("green", library)


def current_green_token_ident() -> tuple[str, int]:
    """Return ``(library, id)`` of the current green token."""
    library = current_green_library()

    if library == "threading":
        return ("threading", _get_ident())

    return (library, id(current_green_token()))


def current_async_task() -> Any:
    """Return the current async task (asyncio `Task`, trio `Task`).

    Raises `AsyncLibraryNotFoundError` outside an async context.
    """
    library = current_async_library()

    if library == "asyncio":
        return _modules["asyncio"].current_task()

    if library == "trio":
        return _trio_task()

    raise _unsupported("async", library)


def current_async_task_ident() -> tuple[str, int]:
    """Return ``(library, id(task))`` of the current async task."""
    library = current_async_library()

    if library == "asyncio":
        # asyncio is imported: a loop of it is running
        return ("asyncio", id(_modules["asyncio"].current_task()))

    if library == "trio":
        return ("trio", id(_trio_task()))

    raise _unsupported("async", library)


def current_async_token() -> Any:
    """Return the current async token: the asyncio loop or the trio token."""
    library = current_async_library()

    if library == "asyncio":
        return _modules["asyncio"].get_running_loop()

    if library == "trio":
        from trio.lowlevel import current_trio_token

        return current_trio_token()

    raise _unsupported("async", library)


def current_async_token_ident() -> tuple[str, int]:
    """Return ``(library, id(token))`` of the current async token."""
    library = current_async_library()
    return (library, id(current_async_token()))  # type: ignore[return-value]
