# SPDX-License-Identifier: MIT

"""Low-level one-shot events: the wait object every primitive uses.

An event is resolved exactly once, either *set* (by any thread, task or
greenlet) or *cancelled* (by its waiter on timeout or interruption, or by
`cancel()`). The decision is one `list.pop()` on a one-element list, which
is atomic on CPython with and without the GIL and on PyPy: the caller
that gets the element wins, every other caller gets `IndexError`. The
winner then records the outcome in `_state` and, for `set()`, wakes the
waiter through the backend captured when the event was created.

A waiter that loses its own cancellation knows that the other side won;
it waits (at most a few bytecodes of another thread) until the winner has
recorded the outcome, so that `is_set()`/`cancelled()` are reliable once
its wait has returned or raised.

Backends live in `aiologic.lowlevel._waiters`, one module per library,
imported on first use.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, Generator

from ._checkpoints import async_checkpoint, green_checkpoint
from ._libraries import (
    GreenLibraryNotFoundError,
    current_async_library,
    current_green_library,
)
from ._thread_locks import _original_sleep, create_thread_lock
from ._time import check_timeout

if TYPE_CHECKING:
    from ._protocols import AsyncEvent, GreenEvent

__all__ = (
    "CANCELLED_EVENT",
    "DUMMY_EVENT",
    "SET_EVENT",
    "CancelledEvent",
    "DummyEvent",
    "SetEvent",
    "create_async_event",
    "create_async_waiter",
    "create_green_event",
    "create_green_waiter",
)

_PENDING: Final = 0
_SET: Final = 1
_CANCELLED: Final = 2

_STATE_NAMES: Final = ("unset", "set", "cancelled")


class _BaseEvent:
    """State shared by all pending-capable events (no backend)."""

    __slots__ = (
        "_flag",
        "_state",
        "_used",
        "force",
        "shield",
    )

    _kind: str = "Event"

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        self._flag = [None]
        self._state = _PENDING
        self._used = False
        self.shield = shield
        self.force = force

    def __repr__(self) -> str:
        state = _STATE_NAMES[self._state]
        return (
            f"<aiologic.lowlevel.{self._kind} object"
            f" at {id(self):#x}: {state}>"
        )

    def __reduce__(self) -> Any:
        msg = f"cannot reduce {self!r}"
        raise TypeError(msg)

    def __bool__(self) -> bool:
        return self._state == _SET

    def is_set(self) -> bool:
        """Return whether the event has been set."""
        return self._state == _SET

    def cancelled(self) -> bool:
        """Return whether the event has been cancelled."""
        return self._state == _CANCELLED

    def set(self) -> bool:
        """Set the event and wake its waiter.

        Return ``True`` iff this call resolved the pending event; ``False``
        if it was already set or cancelled, or if its waiter can never run
        again (its event loop is closed, its trio run has finished, its
        gevent hub was destroyed): the event is then cancelled, so that
        what the caller hands over goes to another waiter. Never blocks;
        callable from any thread, task or greenlet.
        """
        flag = self._flag

        # the emptiness check only saves raising for a resolved event
        if flag:
            try:
                flag.pop()
            except IndexError:
                return False

            self._state = _SET

            if self._wake():
                return True

            # its loop or run is gone: the waiter can never run again,
            # so the caller must hand what it gives to someone else
            self._state = _CANCELLED

        return False

    def _claim(self) -> bool:
        # The first half of `set()`: resolve the event as set, but do not
        # record it or wake the waiter yet. From here on the waiter can no
        # longer give up, so the caller may publish what it hands over
        # (the new owner of a lock) before `_publish()` lets it run.
        flag = self._flag

        if flag:
            try:
                flag.pop()
            except IndexError:
                return False

            return True

        return False

    def _publish(self) -> bool:
        # The second half of `set()`, after a successful `_claim()`. False
        # if the waiter can never run again (as for `set()`): the caller
        # takes back what it handed over.
        self._state = _SET

        if self._wake():
            return True

        self._state = _CANCELLED
        return False

    def cancel(self) -> bool:
        """Cancel the pending event (a waiter then gets ``False``).

        Return ``True`` iff this call resolved the pending event. When it
        returns ``False``, `is_set()` and `cancelled()` already tell who
        won: a waiter that gives up before its wait began decides with
        them whether it was handed something.
        """
        flag = self._flag

        if flag:
            try:
                flag.pop()
            except IndexError:
                pass
            else:
                self._state = _CANCELLED
                self._wake()
                return True

        # a set() in another thread may have won the pop and not yet
        # recorded it
        self._settle()
        return False

    def _try_cancel(self) -> bool:
        # the waiter's own cancellation: no need to wake itself
        try:
            self._flag.pop()
        except IndexError:
            return False

        self._state = _CANCELLED
        return True

    def _settle(self) -> None:
        # the pop was lost: wait until its winner has recorded the outcome
        while self._state == _PENDING:
            _original_sleep(0)

    def _begin_wait(self) -> None:
        if self._used:
            msg = "this event is already in use"
            raise RuntimeError(msg)

        self._used = True

    def _wake(self) -> bool:
        # Wake the waiter; False if it can never run again (its event
        # loop is closed, its trio run finished, its gevent hub
        # destroyed). Only then does the caller turn "set" into
        # "cancelled", and nobody can have seen the short-lived "set".
        return True


class _BaseGreenEvent(_BaseEvent):
    """A low-level event waited for by a blocking call."""

    __slots__ = ()

    _kind = "GreenEvent"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the event is set; return whether it was set.

        *timeout* is ``None`` or a non-negative number of seconds. On
        timeout the event is cancelled and ``False`` returned, unless a
        concurrent `set()` won (then ``True``). An exception raised while
        waiting (`KeyboardInterrupt`, gevent/eventlet `Timeout`, ...)
        cancels the event unless it was already set, and propagates; with
        `shield`, it is re-raised only once the event is set. A second
        concurrent wait raises `RuntimeError`. A bad *timeout* raises
        (`ValueError`, `TypeError`) and leaves the event pending.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        if not self._flag:
            self._settle()
            green_checkpoint(force=self.force)
            return self._state == _SET

        self._begin_wait()
        return self._wait(timeout)

    def _wait(self, timeout: float | None) -> bool:
        raise NotImplementedError


class _BaseAsyncEvent(_BaseEvent):
    """A low-level event waited for by ``await``."""

    __slots__ = ()

    _kind = "AsyncEvent"

    def __await__(self) -> Generator[Any, Any, bool]:
        return self._wait(None)

    def with_(self, timeout: float | None = None) -> _WaitFor:
        """Return an awaitable that waits at most *timeout* seconds.

        Its result says whether the event was set. On timeout the event is
        cancelled and ``False`` returned, unless a concurrent `set()` won.
        Cancellation of the waiting task cancels the event unless it was
        already set, and propagates; with `shield`, the cancellation is
        deferred until the event is set (trio: delivered at the next
        checkpoint). A second concurrent wait raises `RuntimeError`. A bad
        *timeout* raises here (`ValueError`, `TypeError`) and leaves the
        event pending.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        return _WaitFor(self, timeout)

    def _resolved(self) -> Generator[Any, Any, bool]:
        self._settle()
        yield from async_checkpoint(force=self.force).__await__()
        return self._state == _SET

    def _wait(self, timeout: float | None) -> Generator[Any, Any, bool]:
        raise NotImplementedError


class _WaitFor:
    """The awaitable returned by ``with_()``."""

    __slots__ = ("_event", "_timeout")

    def __init__(self, event: _BaseAsyncEvent, timeout: float | None) -> None:
        self._event = event
        self._timeout = timeout

    def __await__(self) -> Generator[Any, Any, bool]:
        return self._event._wait(self._timeout)


# --- static events -------------------------------------------------------


def _static_event_class(name: str, is_set: bool, cancelled: bool) -> Any:
    singleton = name.upper().replace("EVENT", "_EVENT")

    def __new__(cls: type) -> Any:
        return globals()[singleton]

    def __init_subclass__(cls: type, /, **kwargs: Any) -> None:
        msg = f"type 'aiologic.lowlevel.{name}' is not an acceptable base type"
        raise TypeError(msg)

    def __repr__(self: Any) -> str:
        return f"aiologic.lowlevel.{singleton}"

    def __reduce__(self: Any) -> str:
        return singleton

    def __copy__(self: Any) -> Any:
        return self

    def __deepcopy__(self: Any, memo: Any) -> Any:
        return self

    def __bool__(self: Any) -> bool:
        return is_set

    def _is_set(self: Any) -> bool:
        return is_set

    def _cancelled(self: Any) -> bool:
        return cancelled

    def _set(self: Any) -> bool:
        return False

    def _cancel(self: Any) -> bool:
        return False

    def wait(self: Any, timeout: float | None = None) -> bool:
        green_checkpoint()
        return is_set

    def _wait(self: Any, timeout: float | None) -> Generator[Any, Any, bool]:
        yield from async_checkpoint().__await__()
        return is_set

    def __await__(self: Any) -> Generator[Any, Any, bool]:
        return _wait(self, None)

    def with_(self: Any, timeout: float | None = None) -> _WaitFor:
        return _WaitFor(self, timeout)

    namespace = {
        "__slots__": (),
        "__module__": "aiologic.lowlevel",
        "__doc__": f"The type of `{singleton}`: a forever "
        + ("cancelled" if cancelled else "set")
        + " event.",
        "__new__": __new__,
        "__init_subclass__": classmethod(__init_subclass__),
        "__repr__": __repr__,
        "__reduce__": __reduce__,
        "__copy__": __copy__,
        "__deepcopy__": __deepcopy__,
        "__bool__": __bool__,
        "__await__": __await__,
        "shield": False,
        "force": False,
        "is_set": _is_set,
        "cancelled": _cancelled,
        "set": _set,
        "cancel": _cancel,
        "wait": wait,
        "with_": with_,
        "_wait": _wait,
    }
    return type(name, (), namespace)


SetEvent = _static_event_class("SetEvent", True, False)
DummyEvent = _static_event_class("DummyEvent", True, False)
CancelledEvent = _static_event_class("CancelledEvent", False, True)

#: an event that is always set
SET_EVENT: Final = object.__new__(SetEvent)
#: an event that is always set (for "no wait needed" placeholders)
DUMMY_EVENT: Final = object.__new__(DummyEvent)
#: an event that is always cancelled
CANCELLED_EVENT: Final = object.__new__(CancelledEvent)


# --- backend selection ---------------------------------------------------

_modules = sys.modules
_green_classes: dict[str, type[_BaseGreenEvent]] = {}
_async_classes: dict[str, type[_BaseAsyncEvent]] = {}

_GREEN_BACKENDS: Final = frozenset({"threading", "gevent", "eventlet"})
_ASYNC_BACKENDS: Final = frozenset({"asyncio", "trio"})


# Under gevent's monkey-patching, the import system's module locks are
# gevent locks: a thread that finds one taken would start a gevent hub of
# its own and from then on count as a greenlet. So backends are loaded
# one at a time under an original lock, and only ever by the first user.
_backend_import_lock = create_thread_lock()


def _import_backend(library: str) -> ModuleType:
    name = f"aiologic.lowlevel._waiters._{library}"

    with _backend_import_lock:
        module = _modules.get(name)

        if module is None:
            module = import_module(name)

    return module


def _load_green_class(library: str) -> type[_BaseGreenEvent]:
    if library not in _GREEN_BACKENDS:
        msg = f"unsupported green library {library!r}"
        raise GreenLibraryNotFoundError(msg)

    module = _import_backend(library)
    cls: type[_BaseGreenEvent] = module.GreenEvent
    _green_classes[library] = cls
    return cls


def _load_async_class(library: str) -> type[_BaseAsyncEvent]:
    if library not in _ASYNC_BACKENDS:
        from ._libraries import AsyncLibraryNotFoundError

        msg = f"unsupported async library {library!r}"
        raise AsyncLibraryNotFoundError(msg)

    module = _import_backend(library)
    cls: type[_BaseAsyncEvent] = module.AsyncEvent
    _async_classes[library] = cls
    return cls


# plain threads need no library, so their backend is there from the start
_load_green_class("threading")


def create_green_event(
    *,
    locking: bool = False,
    shield: bool = False,
    force: bool = False,
) -> GreenEvent:
    """Create a pending green event bound to the calling thread's library.

    Create it in the thread (and greenlet) that is going to wait. *shield*
    defers exceptions raised while waiting until the event is set; *force*
    makes a wait on an already resolved event checkpoint regardless of the
    settings; *locking* is accepted for compatibility and has no effect.
    """
    library = current_green_library()

    try:
        cls = _green_classes[library]
    except KeyError:
        cls = _load_green_class(library)

    return cls(shield, force)


def create_async_event(
    *,
    locking: bool = False,
    shield: bool = False,
    force: bool = False,
) -> AsyncEvent:
    """Create a pending async event bound to the running event loop.

    Create it in the task that is going to wait. Outside any event loop,
    the event binds to the loop of its first waiter instead. *shield*
    defers cancellation until the event is set; *force* makes an await on
    an already resolved event checkpoint regardless of the settings;
    *locking* is accepted for compatibility and has no effect.
    """
    library = current_async_library(failsafe=True)

    if library is None:
        unbound: type[_BaseAsyncEvent] = _import_backend("unbound").AsyncEvent
        return unbound(shield, force)

    try:
        cls = _async_classes[library]
    except KeyError:
        cls = _load_async_class(library)

    return cls(shield, force)


# --- waiters -------------------------------------------------------------


class _GreenWaiter:
    """A green waiter: `wait()` at most once, `wake()` any number of times."""

    __slots__ = ("_event",)

    def __init__(self, event: GreenEvent) -> None:
        self._event = event

    def __repr__(self) -> str:
        return f"<aiologic.lowlevel.GreenWaiter object at {id(self):#x}>"

    def __reduce__(self) -> Any:
        msg = f"cannot reduce {self!r}"
        raise TypeError(msg)

    @property
    def shield(self) -> bool:
        return self._event.shield

    @shield.setter
    def shield(self, value: bool) -> None:
        self._event.shield = value

    def wake(self) -> None:
        """Wake the waiter (no effect after the first wake or a timeout)."""
        self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until woken; ``False`` on timeout."""
        return self._event.wait(timeout)


class _AsyncWaiter:
    """An async waiter: awaited at most once, woken any number of times."""

    __slots__ = ("_event",)

    def __init__(self, event: _BaseAsyncEvent) -> None:
        self._event = event

    def __repr__(self) -> str:
        return f"<aiologic.lowlevel.AsyncWaiter object at {id(self):#x}>"

    def __reduce__(self) -> Any:
        msg = f"cannot reduce {self!r}"
        raise TypeError(msg)

    @property
    def shield(self) -> bool:
        return self._event.shield

    @shield.setter
    def shield(self, value: bool) -> None:
        self._event.shield = value

    def wake(self) -> None:
        """Wake the waiter (no effect after the first wake or a timeout)."""
        self._event.set()

    def __await__(self) -> Generator[Any, Any, bool]:
        return self._event._wait(None)

    def with_(self, timeout: float | None = None) -> _WaitFor:
        """Wait until woken, at most *timeout* seconds (``False`` then)."""
        return _WaitFor(self._event, timeout)


def create_green_waiter(*, shield: bool = False) -> _GreenWaiter:
    """Create a green waiter bound to the calling thread's green library."""
    return _GreenWaiter(create_green_event(shield=shield))


def create_async_waiter(*, shield: bool = False) -> _AsyncWaiter:
    """Create an async waiter bound to the running event loop.

    Raises `AsyncLibraryNotFoundError` outside an async context.
    """
    library = current_async_library()

    try:
        cls = _async_classes[library]  # type: ignore[index]
    except KeyError:
        cls = _load_async_class(library)  # type: ignore[arg-type]

    return _AsyncWaiter(cls(shield, False))
