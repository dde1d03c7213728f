# SPDX-License-Identifier: MIT

"""eventlet backend: switch to the hub, get switched back by a callback.

eventlet hubs are not thread-safe, so each hub that has a waiter gets a
wake-up channel of ours: a non-blocking socket pair whose one end the hub
watches, and a deque of callbacks that other threads fill (append and
popleft are atomic). A `set()` in the hub's thread schedules the resume
with `hub.schedule_call_global(0, ...)`. The resume callback only
switches into the greenlet while it is still waiting in this event, so a
late wake never lands in unrelated code.
"""

from __future__ import annotations

import socket
import sys
import weakref
from collections import deque
from typing import Any, Callable

from eventlet.hubs import get_hub  # pyright: ignore[reportMissingImports]
from greenlet import getcurrent

from .._events import _SET, _BaseGreenEvent
from .._thread_locks import _allocate_lock, _get_ident

__all__ = ("GreenEvent",)

# timers of eventlet hubs are floats, but keep far from their limits
_TIMEOUT_MAX = 2.0**31


def _original_socketpair() -> Any:
    from eventlet.patcher import is_monkey_patched, original  # pyright: ignore[reportMissingImports]

    # a green socket would trampoline in the hub: use the OS-level one
    if is_monkey_patched("socket"):
        return original("socket").socketpair

    return socket.socketpair


_socketpair = _original_socketpair()


def _original_thread_local() -> Any:
    # a monkey-patched local is per greenthread: its values would go away
    # with the greenthread instead of the OS thread
    if "gevent.monkey" in sys.modules:
        from gevent.monkey import get_original

        try:
            return get_original("_thread", "_local")
        except (AttributeError, ImportError):  # pragma: no cover
            pass

    from eventlet.patcher import is_monkey_patched, original  # pyright: ignore[reportMissingImports]

    if is_monkey_patched("thread"):
        return original("_thread")._local

    import _thread

    return _thread._local


# Values stored here are dropped when their OS thread exits.
_thread_state = _original_thread_local()()


def _noop(*args: Any) -> None:
    pass


def _close_sockets(*sockets: socket.socket) -> None:
    for sock in sockets:
        sock.close()


class _ThreadExitMarker:
    """Kept in a thread-local slot: collected when its thread exits."""

    __slots__ = ("__weakref__",)


class _Wakeup:
    """A thread-safe entry into one eventlet hub."""

    __slots__ = ("__weakref__", "_callbacks", "_reader", "_writer")

    def __init__(self, hub: Any) -> None:
        self._callbacks: deque[Callable[[], Any]] = deque()
        # the original socket module: this is an OS-level channel
        self._reader, self._writer = _socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

        fileno = self._reader.fileno()
        hub.add(hub.READ, fileno, self._on_readable, _noop, _noop)
        sockets = (self._reader, self._writer)
        weakref.finalize(hub, _close_sockets, *sockets)
        # eventlet never frees the hub of a thread that has exited (its
        # greenlet cannot be collected from another thread), and a hub only
        # runs in its own thread: the thread's exit ends the channel too
        marker = _ThreadExitMarker()
        try:
            _thread_state.markers.append(marker)
        except AttributeError:  # the first channel of this thread
            _thread_state.markers = [marker]
        weakref.finalize(marker, _close_sockets, *sockets)

    def call_soon_threadsafe(self, callback: Callable[[], Any]) -> None:
        self._callbacks.append(callback)

        try:
            self._writer.send(b"\0")
        except OSError:  # full (a wake-up is pending anyway) or closed
            pass

    def _on_readable(self, fileno: int) -> None:
        try:
            while self._reader.recv(4096):
                pass
        except OSError:  # drained
            pass

        callbacks = self._callbacks

        while callbacks:
            callbacks.popleft()()


_wakeups: weakref.WeakKeyDictionary[Any, _Wakeup] = weakref.WeakKeyDictionary()
_wakeups_lock = _allocate_lock()


def _get_wakeup(hub: Any) -> _Wakeup:
    try:
        return _wakeups[hub]
    except KeyError:
        pass

    with _wakeups_lock:
        wakeup = _wakeups.get(hub)

        if wakeup is None:
            wakeup = _wakeups[hub] = _Wakeup(hub)

    return wakeup


class GreenEvent(_BaseGreenEvent):
    """A low-level event waited for in an eventlet greenthread."""

    __slots__ = (
        "_greenlet",
        "_hub",
        "_thread",
        "_waiting",
        "_wakeup",
    )

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)

        self._hub = hub = get_hub()
        self._greenlet: Any = None
        self._thread = _get_ident()
        self._waiting = False
        self._wakeup = _get_wakeup(hub)

    def _wake(self) -> bool:
        if _get_ident() == self._thread:
            self._hub.schedule_call_global(0, self._resume)
        else:
            self._wakeup.call_soon_threadsafe(self._resume)

        return True

    def _resume(self) -> None:
        if self._waiting:
            self._waiting = False
            self._greenlet.switch()

    def _on_timeout(self) -> None:
        if self._try_cancel():
            self._resume()

    def _wait(self, timeout: float | None) -> bool:
        hub = self._hub
        current = getcurrent()

        if current is hub.greenlet:
            msg = "do not call blocking functions from the mainloop"
            raise RuntimeError(msg)

        self._greenlet = current

        timer = None
        deferred = None

        try:
            if timeout is not None and timeout < _TIMEOUT_MAX:
                timer = hub.schedule_call_global(timeout, self._on_timeout)

            while self._flag:
                self._waiting = True

                try:
                    hub.switch()
                except BaseException as exc:
                    self._waiting = False

                    if self.shield and self._flag:
                        deferred = exc
                        continue

                    if not self._try_cancel():
                        self._settle()

                    raise

            self._settle()

            if deferred is not None:
                raise deferred

            return self._state == _SET
        finally:
            deferred = None
            self._waiting = False

            if timer is not None:
                timer.cancel()
