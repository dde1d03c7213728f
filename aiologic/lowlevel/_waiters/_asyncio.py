# SPDX-License-Identifier: MIT

"""asyncio backend: a future of the loop that was running at creation.

A `set()` from inside that loop resolves the future directly; from any
other thread it goes through `loop.call_soon_threadsafe()`. A closed loop
never runs its tasks again: a wake-up that finds it closed reports the
waiter as gone, and the event ends up cancelled. A loop that is only
stopped may run again, so its waiters are woken as usual.
"""

from __future__ import annotations

from asyncio import CancelledError, get_running_loop
from asyncio.events import _get_running_loop
from typing import Any, Generator

from .._events import _PENDING, _SET, _BaseAsyncEvent

__all__ = ("AsyncEvent",)


class AsyncEvent(_BaseAsyncEvent):
    """A low-level event awaited in an asyncio loop."""

    __slots__ = ("_future", "_loop")

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        # the base initialiser inlined: one event per wait
        self._flag = [None]
        self._state = _PENDING
        self._used = False
        self.shield = shield
        self.force = force

        self._loop = loop = get_running_loop()
        self._future = loop.create_future()

    def _wake(self) -> bool:
        loop = self._loop

        if _get_running_loop() is loop:
            future = self._future

            if not future.done():
                future.set_result(None)
        else:
            try:
                loop.call_soon_threadsafe(self._wake_in_loop)
            except RuntimeError:  # the loop is closed: its tasks never run
                return False

        # (a stopped loop may run again: its waiter is woken then)
        return True

    def _wake_in_loop(self) -> None:
        future = self._future

        if not future.done():
            future.set_result(None)

    def _on_timeout(self) -> None:
        if self._try_cancel():
            self._wake_in_loop()

    def _wait(self, timeout: float | None) -> Generator[Any, Any, bool]:
        if not self._flag:
            return (yield from self._resolved())

        self._begin_wait()

        if timeout is None:
            handle = None
        else:
            handle = self._loop.call_later(timeout, self._on_timeout)

        deferred = None

        try:
            while True:
                try:
                    yield from self._future
                except CancelledError as exc:
                    if self.shield and self._flag:
                        # keep waiting on a fresh future (the old one was
                        # cancelled with the task), then re-raise
                        deferred = exc
                        self._future = self._loop.create_future()

                        if self._flag:  # a set() may have read the old one
                            continue
                    elif not self._try_cancel():
                        self._settle()

                        if deferred is None:
                            raise
                    else:
                        raise

                if not self._flag:
                    break

            self._settle()

            if deferred is not None:
                raise deferred

            return self._state == _SET
        finally:
            deferred = None

            if handle is not None:
                handle.cancel()
