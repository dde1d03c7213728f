# SPDX-License-Identifier: MIT

"""Ownable locks: ``Lock`` and its reentrant subclass ``RLock``.

A lock is a one-permit counter of the core whose permit is handed, on
release, straight to the first live waiter (FIFO, no barging); the core
records the next owner before that waiter runs. The owner is a task, as
``(library, id)``: a thread, a greenlet, an asyncio or a trio task.

The acquire and release paths that need not wait live in the core
(``LockCore``, ``RLockCore``); waiting, reprs and the object protocol
live here.
"""

from __future__ import annotations

from typing import Any

from ._impl import LockCore, RLockCore
from ._waiting import async_wait_permit, green_wait_permit
from .lowlevel._thread_locks import _get_ident

# the libraries whose tasks run inside an event loop
_ASYNC_LIBRARIES = frozenset({"asyncio", "trio", "curio"})

__all__ = ("Lock", "RLock")


class Lock(LockCore):
    """A non-reentrant lock owned by the task that acquired it.

    Waiters are served in FIFO order across threads, greenlets and event
    loops; a release hands the lock directly to the first live waiter. A
    waiter that times out or is cancelled leaves the queue; if it had
    already been handed the lock, it passes the lock on.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__",)

    def __new__(cls) -> Lock:
        # the core's constructor, also for RLock (see RLock)
        return LockCore.__new__(cls)  # type: ignore[no-any-return]

    def __getnewargs__(self) -> tuple[Any, ...]:
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Lock:
        return type(self)()

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        if self.locked():
            state = f"locked, waiting={self._core.waiting}"
        else:
            state = "unlocked"
        return f"<{name}() at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return self.locked()

    # The slow paths: the lock is held by another task.

    async def _async_wait(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        self._check_mixed_deadlock(task)
        if not blocking:
            return False
        if not await async_wait_permit(self._core, task, timeout):
            return False
        self._acquired(count)
        return True

    def _green_wait(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        self._check_mixed_deadlock(task)
        if not blocking:
            return False
        if not green_wait_permit(self._core, task, timeout):
            return False
        self._acquired(count)
        return True

    def _check_mixed_deadlock(self, task: Any) -> None:
        # Waiting for a holder that runs in this very OS thread, but that
        # the wait itself keeps from running, would never end: a plain
        # thread blocking on a lock that a task or greenlet of its own
        # holds, or an async task waiting for the plain thread that runs
        # its event loop.
        owner: Any = self._core.owner
        if owner is None or self._owner_thread != _get_ident():
            return
        if task[0] == "threading" and owner[0] != "threading":
            msg = "the current thread is already holding this lock"
            raise RuntimeError(msg)
        if task[0] in _ASYNC_LIBRARIES and owner[0] == "threading":
            msg = (
                "the current thread is already holding this lock (acquired"
                " outside its event loop, which cannot run until it is"
                " released)"
            )
            raise RuntimeError(msg)


# ``Lock`` comes first among the bases so that its constructor makes
# RLock instances too: Python lets only the constructor of the first core
# base make them, and the compiled core's ``RLockCore`` has its own.
class RLock(Lock, RLockCore):  # type: ignore[misc]
    """A reentrant lock: its owner may acquire it again, counting depth.

    Released when the owner has released it as many times as it acquired
    it. Same fairness, cancellation and thread-safety as ``Lock``.
    """

    __slots__ = ()
