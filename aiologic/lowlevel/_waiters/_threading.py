# SPDX-License-Identifier: MIT

"""threading backend: a pre-acquired original `_thread` lock.

`set()` releases the lock, the waiter acquires it. The lock is the
unpatched one, so the wait blocks the OS thread even under gevent or
eventlet monkey-patching.
"""

from __future__ import annotations

import os
import sys
from threading import TIMEOUT_MAX
from time import monotonic
from typing import TYPE_CHECKING, Callable, Final

from .._events import _PENDING, _SET, _BaseGreenEvent
from .._thread_locks import _allocate_lock

if TYPE_CHECKING:
    from _thread import LockType

__all__ = ("GreenEvent",)

_TIMEOUT_MAX: Final[float] = TIMEOUT_MAX


def _gil_enabled() -> bool:
    return True


_is_gil_enabled: Callable[[], bool] = getattr(
    sys, "_is_gil_enabled", _gil_enabled
)

# Without the GIL, a hand-off usually arrives while the next waiter could
# still be running: yielding the CPU a few times before parking spares the
# wake-up of a sleeping thread (tens of microseconds on a busy machine).
# With the GIL, a spinning waiter only steals the GIL from the releaser.
_SPIN_ROUNDS: Final[range] = range(
    64 if hasattr(os, "sched_yield") and (os.cpu_count() or 1) > 1 else 0
)


def _spin(lock: LockType) -> bool:
    if _SPIN_ROUNDS and not _is_gil_enabled():
        sched_yield = os.sched_yield

        for _ in _SPIN_ROUNDS:
            if lock.acquire(False):
                return True

            sched_yield()

    return False


def _acquire(lock: LockType, timeout: float | None) -> bool:
    if (timeout is None or timeout > 0) and _spin(lock):
        return True

    if timeout is None:
        return lock.acquire()

    if timeout <= _TIMEOUT_MAX:
        if timeout > 0:
            return lock.acquire(True, timeout)

        # a poll (negative values would mean "forever" to the lock)
        return lock.acquire(False)

    # `acquire()` rejects timeouts above TIMEOUT_MAX: wait in chunks
    deadline = monotonic() + timeout

    while not lock.acquire(True, _TIMEOUT_MAX):
        remaining = deadline - monotonic()

        if remaining <= 0:
            return False

        if remaining <= _TIMEOUT_MAX:
            return lock.acquire(True, remaining)

    return True


class GreenEvent(_BaseGreenEvent):
    """A low-level event waited for by blocking the OS thread."""

    __slots__ = ("_lock",)

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        # the base initialiser inlined: one event per blocking wait
        self._flag = [None]
        self._state = _PENDING
        self._used = False
        self.shield = shield
        self.force = force

        self._lock = lock = _allocate_lock()
        lock.acquire()

    def _wake(self) -> bool:
        try:
            self._lock.release()
        except RuntimeError:  # already released
            pass

        return True

    def _wait(self, timeout: float | None) -> bool:
        lock = self._lock

        if not self.shield:
            try:
                acquired = _acquire(lock, timeout)
            except BaseException:
                # e.g. KeyboardInterrupt: give up unless already set
                if not self._try_cancel():
                    self._settle()
                raise

            if not acquired and self._try_cancel():
                return False

            self._settle()
            return self._state == _SET

        return self._wait_shielded(timeout)

    def _wait_shielded(self, timeout: float | None) -> bool:
        lock = self._lock
        deadline = None if timeout is None else monotonic() + timeout
        deferred = None

        try:
            while True:
                try:
                    acquired = _acquire(lock, timeout)
                except BaseException as exc:
                    if not self.shield:
                        if not self._try_cancel():
                            self._settle()
                        raise

                    deferred = exc

                    if deadline is not None:
                        timeout = max(0.0, deadline - monotonic())

                    continue

                if not acquired and self._try_cancel():
                    break

                self._settle()
                break

            if deferred is not None:
                raise deferred

            return self._state == _SET
        finally:
            deferred = None
