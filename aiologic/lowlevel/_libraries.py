# SPDX-License-Identifier: MIT

"""Which green library and which async library the caller runs in.

Detection never imports a library that the program has not imported
itself: a library can only be running if its module is in `sys.modules`.
Module objects are cached once seen, so a call costs a few attribute and
dict lookups.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable

__all__ = (
    "AsyncLibraryNotFoundError",
    "GreenLibraryNotFoundError",
    "current_async_library",
    "current_async_library_tlocal",
    "current_green_library",
    "current_green_library_tlocal",
)

try:
    # sniffio is tiny and has no dependencies; when it is installed, its
    # thread-local and exception type are the shared vocabulary that trio
    # and anyio speak, so we use them instead of our own
    import sniffio as _sniffio
except ImportError:  # pragma: no cover - sniffio is usually installed
    _sniffio = None  # type: ignore[assignment]


class _NamedLocal(threading.local):
    """A thread-local object whose ``name`` is ``None`` until set."""

    name: str | None = None


if _sniffio is not None:
    AsyncLibraryNotFoundError = (  # pyright: ignore[reportAssignmentType]
        _sniffio.AsyncLibraryNotFoundError
    )
    current_async_library_tlocal = _sniffio.thread_local
    _sniffio_cvar = _sniffio._impl.current_async_library_cvar
else:  # pragma: no cover

    class AsyncLibraryNotFoundError(RuntimeError):  # type: ignore[no-redef]
        """Raised when no supported async library is running."""

    AsyncLibraryNotFoundError.__module__ = "aiologic.lowlevel"

    current_async_library_tlocal = _NamedLocal()
    _sniffio_cvar = None


class GreenLibraryNotFoundError(RuntimeError):
    """Raised when the current green library cannot be determined."""


GreenLibraryNotFoundError.__module__ = "aiologic.lowlevel"


#: thread-local override of the green library: set ``.name`` to force it
current_green_library_tlocal = _NamedLocal()

_modules = sys.modules

# cached entry points of libraries, filled in once the program imports them
_gevent_hub_if_exists: Callable[[], object] | None = None
_eventlet_hubs_tlocal: threading.local | None = None
_trio_in_trio_run: Callable[[], bool] | None = None


def _gevent_hub_getter() -> Callable[[], object]:
    global _gevent_hub_if_exists

    from gevent._hub_local import get_hub_if_exists

    getter: Callable[[], object] = get_hub_if_exists
    _gevent_hub_if_exists = getter
    return getter


def _eventlet_tlocal() -> threading.local:
    global _eventlet_hubs_tlocal

    from eventlet.hubs import _threadlocal  # pyright: ignore[reportMissingImports]

    tlocal: threading.local = _threadlocal
    _eventlet_hubs_tlocal = tlocal
    return tlocal


def current_green_library(*, failsafe: bool = False) -> str:
    """Return the name of the green library of the calling thread.

    ``'gevent'`` or ``'eventlet'`` if a hub of that library exists in this
    thread, ``'threading'`` otherwise (an explicit
    ``current_green_library_tlocal.name`` wins). Never fails.
    """
    name = current_green_library_tlocal.name
    if name is not None:
        return name

    if "gevent" in _modules:
        get_hub = _gevent_hub_if_exists
        if get_hub is None:
            get_hub = _gevent_hub_getter()
        if get_hub() is not None:
            return "gevent"

    if "eventlet" in _modules:
        tlocal = _eventlet_hubs_tlocal
        if tlocal is None:
            tlocal = _eventlet_tlocal()
        if getattr(tlocal, "hub", None) is not None:
            return "eventlet"

    return "threading"


def _trio_running() -> bool:
    global _trio_in_trio_run

    in_trio_run = _trio_in_trio_run
    if in_trio_run is None:
        if "trio" not in _modules:
            return False
        try:
            from trio.lowlevel import in_trio_run as trio_in_trio_run
        except ImportError:  # pragma: no cover - trio < 0.22
            return False
        in_trio_run = _trio_in_trio_run = trio_in_trio_run
    return in_trio_run()


def current_async_library(*, failsafe: bool = False) -> str | None:
    """Return the name of the running async library.

    ``'trio'`` or ``'asyncio'`` (anyio reports its backend). Raises
    `AsyncLibraryNotFoundError` when not in an async context, unless
    *failsafe* is true (then returns ``None``).
    """
    name = current_async_library_tlocal.name
    if name is not None:
        return name

    if _sniffio_cvar is not None:
        # trio requires sniffio and reports itself through it; some
        # libraries (e.g. older anyio) use the context variable instead
        name = _sniffio_cvar.get()
        if name is not None:
            return name
    elif "trio" in _modules and _trio_running():  # pragma: no cover
        return "trio"

    # no need to import asyncio: without it, no loop of it can run
    events = _modules.get("asyncio.events")
    if events is not None and events._get_running_loop() is not None:
        return "asyncio"

    if failsafe:
        return None

    msg = "unknown async library, or not in async context"
    raise AsyncLibraryNotFoundError(msg)
