# SPDX-License-Identifier: MIT

"""gevent backend: switch to the hub, get switched back by a callback.

A `set()` in the hub's thread schedules the resume with
`loop.run_callback()`, from another thread with
`loop.run_callback_threadsafe()`. The waiter keeps an async watcher
started while it waits, so that the loop does not exit with `LoopExit`
while nothing else is pending. The
resume callback only switches into the greenlet while it is still
waiting in this event, so a late wake never lands in unrelated code.
"""

from __future__ import annotations

from typing import Any

from gevent import get_hub
from gevent.exceptions import BlockingSwitchOutError
from greenlet import getcurrent

from .._events import _SET, _BaseGreenEvent
from .._thread_locks import _get_ident

__all__ = ("GreenEvent",)

# libuv takes timeouts in milliseconds as 64-bit integers
_TIMEOUT_MAX = 2.0**31


class GreenEvent(_BaseGreenEvent):
    """A low-level event waited for in a gevent greenlet."""

    __slots__ = (
        "_greenlet",
        "_hub",
        "_thread",
        "_waiting",
    )

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)

        self._hub = get_hub()
        self._greenlet: Any = None
        self._thread = _get_ident()
        self._waiting = False

    def _wake(self) -> bool:
        loop = self._hub.loop

        if loop is None:  # the hub was destroyed: nobody is left to wake
            return False

        try:
            if _get_ident() == self._thread:
                loop.run_callback(self._resume)
            else:
                # one callback list for the whole hub keeps wake-ups from
                # other threads in FIFO order (separate watchers fire in
                # any order)
                loop.run_callback_threadsafe(self._resume)
        except ValueError:  # the loop was destroyed meanwhile
            return False

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

        if current is hub:
            msg = (
                "Impossible to call blocking function"
                " in the event loop callback"
            )
            raise BlockingSwitchOutError(msg)

        self._greenlet = current

        loop = hub.loop
        # only keeps the loop alive; wake-ups come as callbacks
        watcher = loop.async_()
        watcher.start(_ignore)
        timer = None
        deferred = None

        try:
            # set() may have come before the wait
            if self._flag:
                if timeout is not None and timeout < _TIMEOUT_MAX:
                    timer = loop.timer(timeout)
                    timer.start(self._on_timeout)

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

            watcher.stop()
            watcher.close()

            if timer is not None:
                timer.stop()
                timer.close()


def _ignore() -> None:
    pass
