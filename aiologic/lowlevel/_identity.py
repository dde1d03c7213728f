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

_threading_active = threading._active  # type: ignore[attr-defined]
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


def _getcurrent() -> Any:
    # both gevent and eventlet run on greenlet
    from greenlet import getcurrent

    return getcurrent()


def current_green_task() -> Any:
    """Return the current green task: a thread or a greenlet."""
    library = current_green_library()

    if library == "threading":
        return current_thread()

    if library in {"gevent", "eventlet"}:
        return _getcurrent()

    msg = f"unsupported green library {library!r}"
    raise RuntimeError(msg)


def current_green_task_ident() -> tuple[str, int]:
    """Return ``(library, id)`` of the current green task.

    ``('threading', thread_ident)``, ``('gevent', id(greenlet))`` or
    ``('eventlet', id(greenlet))``.
    """
    library = current_green_library()

    if library == "threading":
        return ("threading", _get_ident())

    return (library, id(_getcurrent()))


def current_green_token() -> Any:
    """Return the current green token: the thread, or the hub."""
    library = current_green_library()

    if library == "threading":
        return current_thread()

    if library == "gevent":
        from gevent import get_hub

        return get_hub()

    if library == "eventlet":
        from eventlet.hubs import get_hub

        return get_hub()

    msg = f"unsupported green library {library!r}"
    raise RuntimeError(msg)


def current_green_token_ident() -> tuple[str, int]:
    """Return ``(library, id)`` of the current green token."""
    library = current_green_library()

    if library == "threading":
        return ("threading", _get_ident())

    return (library, id(current_green_token()))


_asyncio_current_task = None


def _asyncio_task() -> Any:
    global _asyncio_current_task

    if _asyncio_current_task is None:
        from asyncio import current_task

        _asyncio_current_task = current_task

    return _asyncio_current_task()


def current_async_task() -> Any:
    """Return the current async task (asyncio `Task`, trio `Task`).

    Raises `AsyncLibraryNotFoundError` outside an async context.
    """
    library = current_async_library()

    if library == "asyncio":
        return _asyncio_task()

    if library == "trio":
        from trio.lowlevel import current_task

        return current_task()

    msg = f"unsupported async library {library!r}"
    raise RuntimeError(msg)


def current_async_task_ident() -> tuple[str, int]:
    """Return ``(library, id(task))`` of the current async task."""
    library = current_async_library()

    if library == "asyncio":
        return ("asyncio", id(_asyncio_task()))

    return (library, id(current_async_task()))  # type: ignore[return-value]


def current_async_token() -> Any:
    """Return the current async token: the asyncio loop or the trio token."""
    library = current_async_library()

    if library == "asyncio":
        from asyncio import get_running_loop

        return get_running_loop()

    if library == "trio":
        from trio.lowlevel import current_trio_token

        return current_trio_token()

    msg = f"unsupported async library {library!r}"
    raise RuntimeError(msg)


def current_async_token_ident() -> tuple[str, int]:
    """Return ``(library, id(token))`` of the current async token."""
    library = current_async_library()
    return (library, id(current_async_token()))  # type: ignore[return-value]
