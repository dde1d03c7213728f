# SPDX-License-Identifier: MIT

"""Ownable locks: ``Lock`` and its reentrant subclass ``RLock``.

A lock is a one-permit counter of the core whose permit is handed, on
release, straight to the first live waiter (FIFO, no barging); the core
records the next owner before that waiter runs. The owner is a task, as
``(library, id)``: a thread, a greenlet, an asyncio or a trio task.
"""

from __future__ import annotations

from threading import get_ident
from typing import Any

from ._impl import PermitCounter
from ._utils import check_depth, check_timeout
from ._waiting import async_wait_permit, green_wait_permit
from .lowlevel import (
    async_checkpoint,
    current_async_task_ident,
    current_green_task_ident,
    green_checkpoint,
)

__all__ = ("Lock", "RLock")


class Lock:
    """A non-reentrant lock owned by the task that acquired it.

    Waiters are served in FIFO order across threads, greenlets and event
    loops; a release hands the lock directly to the first live waiter. A
    waiter that times out or is cancelled leaves the queue; if it had
    already been handed the lock, it passes the lock on.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__", "_core", "_owner_thread")

    def __new__(cls) -> Lock:
        self = object.__new__(cls)
        self._core = PermitCounter(1)
        self._owner_thread = None
        return self

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

    async def __aenter__(self) -> Lock:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.async_release()

    def __enter__(self) -> Lock:
        self.green_acquire()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.green_release()

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Acquire the lock in the current async task.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock is not free. Cancelled while
        waiting: the task leaves the queue and the lock is not taken.
        """
        if blocking:
            timeout = check_timeout(timeout)
        task = current_async_task_ident()
        return await self._async_acquire(task, 1, blocking, timeout)

    def green_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Acquire the lock in the current thread or greenlet.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock is not free.
        """
        if blocking:
            timeout = check_timeout(timeout)
        task = current_green_task_ident()
        return self._green_acquire(task, 1, blocking, timeout)

    def async_release(self) -> None:
        """Release the lock held by the current async task."""
        self._release(current_async_task_ident(), 1)

    def green_release(self) -> None:
        """Release the lock held by the current thread or greenlet."""
        self._release(current_green_task_ident(), 1)

    def async_owned(self) -> bool:
        """Whether the current async task holds the lock."""
        return self._core.owner == current_async_task_ident()

    def green_owned(self) -> bool:
        """Whether the current thread or greenlet holds the lock."""
        return self._core.owner == current_green_task_ident()

    def locked(self) -> bool:
        """Whether any task holds the lock (or is being handed it)."""
        return not self._core.available()

    @property
    def owner(self) -> tuple[str, int] | None:
        """The ``(library, id)`` of the holder, None when unlocked."""
        return self._core.owner  # type: ignore[no-any-return]

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock."""
        return self._core.waiting  # type: ignore[no-any-return]

    # The acquire logic, shared with RLock; ``count`` is the recursion
    # depth the caller will hold (always 1 for Lock).

    def _reacquire(self, count: int) -> None:
        msg = "the current task is already holding this lock"
        raise RuntimeError(msg)

    def _acquired(self, count: int) -> None:
        self._owner_thread = get_ident()

    async def _async_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        core = self._core
        if core.owner == task:
            self._reacquire(count)
        elif core.try_acquire(task):
            self._acquired(count)
        elif not blocking:
            return False
        else:
            if not await async_wait_permit(core, task, timeout):
                return False
            self._acquired(count)
            return True
        if blocking:
            try:
                await async_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, count)
                raise
        return True

    def _green_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        core = self._core
        if core.owner == task:
            self._reacquire(count)
        elif core.try_acquire(task):
            self._acquired(count)
        else:
            self._check_mixed_deadlock(task)
            if not blocking:
                return False
            if not green_wait_permit(core, task, timeout):
                return False
            self._acquired(count)
            return True
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, count)
                raise
        return True

    def _check_mixed_deadlock(self, task: Any) -> None:
        # A plain thread blocking on a lock that an async task or greenlet
        # of this very thread holds would never be woken.
        owner = self._core.owner
        if (
            task[0] == "threading"
            and owner is not None
            and owner[0] != "threading"
            and self._owner_thread == task[1]
        ):
            msg = "the current thread is already holding this lock"
            raise RuntimeError(msg)

    def _check_owner(self, task: Any) -> None:
        core = self._core
        owner = core.owner
        if owner != task:
            if owner is None and core.available():
                msg = "release unlocked lock"
            else:
                msg = "the current task is not holding this lock"
            raise RuntimeError(msg)

    def _release(self, task: Any, count: int) -> None:
        self._check_owner(task)
        self._owner_thread = None
        self._core.release(1)


class RLock(Lock):
    """A reentrant lock: its owner may acquire it again, counting depth.

    Released when the owner has released it as many times as it acquired
    it. Same fairness, cancellation and thread-safety as ``Lock``.
    """

    __slots__ = ("_count",)

    def __new__(cls) -> RLock:
        self = super().__new__(cls)
        self._count = 0
        return self

    async def __aenter__(self) -> RLock:
        await self.async_acquire()
        return self

    def __enter__(self) -> RLock:
        self.green_acquire()
        return self

    async def async_acquire(  # type: ignore[override]
        self,
        /,
        count: int = 1,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> bool:
        """Acquire the lock *count* levels deep in the current async task.

        Reentrant: the owner adds *count* at once (and still checkpoints
        when ``blocking``). Returns False on timeout or when not free
        with ``blocking=False``.
        """
        count = check_depth(count)
        if blocking:
            timeout = check_timeout(timeout)
        task = current_async_task_ident()
        return await self._async_acquire(task, count, blocking, timeout)

    def green_acquire(  # type: ignore[override]
        self,
        /,
        count: int = 1,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> bool:
        """Acquire the lock *count* levels deep in this thread/greenlet.

        Reentrant: the owner adds *count* at once. Returns False on
        timeout or when not free with ``blocking=False``.
        """
        count = check_depth(count)
        if blocking:
            timeout = check_timeout(timeout)
        task = current_green_task_ident()
        return self._green_acquire(task, count, blocking, timeout)

    def async_release(self, /, count: int = 1) -> None:  # type: ignore[override]
        """Release *count* levels held by the current async task."""
        self._release(current_async_task_ident(), check_depth(count))

    def green_release(self, /, count: int = 1) -> None:  # type: ignore[override]
        """Release *count* levels held by the current thread/greenlet."""
        self._release(current_green_task_ident(), check_depth(count))

    def async_count(self) -> int:
        """The recursion depth of the current async task (0 if none)."""
        if self._core.owner == current_async_task_ident():
            return self._count
        return 0

    def green_count(self) -> int:
        """The recursion depth of the current thread/greenlet (0 if none)."""
        if self._core.owner == current_green_task_ident():
            return self._count
        return 0

    @property
    def count(self) -> int:
        """The recursion depth of the owner (0 when unlocked)."""
        if self._core.owner is None:
            return 0
        return self._count

    def _reacquire(self, count: int) -> None:
        self._count += count

    def _acquired(self, count: int) -> None:
        self._count = count
        self._owner_thread = get_ident()

    def _release(self, task: Any, count: int) -> None:
        self._check_owner(task)
        remaining = self._count - count
        if remaining < 0:
            msg = "lock released too many times"
            raise RuntimeError(msg)
        self._count = remaining
        if not remaining:
            self._owner_thread = None
            self._core.release(1)
