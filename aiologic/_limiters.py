# SPDX-License-Identifier: MIT

"""Capacity limiters: at most ``total_tokens`` tasks at once.

A limiter is a semaphore that remembers who borrowed each token: a task
holds at most one token (``RCapacityLimiter`` counts reentrant borrows of
that one token), and only a borrower may give it back.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ._impl import PermitCounter
from ._utils import check_count, check_depth, check_timeout
from ._waiting import async_wait_permit, green_wait_permit
from .lowlevel import (
    async_checkpoint,
    current_async_task_ident,
    current_green_task_ident,
    green_checkpoint,
)
from .meta import DEFAULT, DefaultType

__all__ = ("CapacityLimiter", "RCapacityLimiter")


class CapacityLimiter:
    """Limits how many tasks may hold a token at once.

    Tokens are handed to waiters in FIFO order; a waiter that times out
    or is cancelled leaves the queue without taking or losing a token.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__", "_borrowers", "_core", "_total_tokens")

    def __new__(
        cls, total_tokens: int | DefaultType = DEFAULT
    ) -> CapacityLimiter:
        if total_tokens is DEFAULT:
            total_tokens = 1
        else:
            total_tokens = check_count(total_tokens, "total_tokens")
            if total_tokens < 0:
                msg = "total_tokens must be >= 0"
                raise ValueError(msg)
        self = object.__new__(cls)
        self._core = PermitCounter(total_tokens)
        self._total_tokens = total_tokens
        # each key is written and deleted only by the task it names
        self._borrowers: dict[tuple[str, int], int] = {}
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self._total_tokens,)

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> CapacityLimiter:
        return type(self)(self._total_tokens)

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        available = self._core.value
        if available:
            state = f"available_tokens={available}"
        else:
            state = f"available_tokens=0, waiting={self._core.waiting}"
        return f"<{name}({self._total_tokens}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return bool(self._borrowers)

    async def __aenter__(self) -> CapacityLimiter:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.async_release()

    def __enter__(self) -> CapacityLimiter:
        self.green_acquire()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.green_release()

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Borrow a token in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no token is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        task = current_async_task_ident()
        return await self._async_acquire(task, 1, blocking, timeout)

    def green_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Borrow a token in the current thread or greenlet.

        Returns False on timeout, or with ``blocking=False`` when none is
        free.
        """
        if blocking:
            timeout = check_timeout(timeout)
        task = current_green_task_ident()
        return self._green_acquire(task, 1, blocking, timeout)

    def async_release(self) -> None:
        """Return the token borrowed by the current async task."""
        self._release(current_async_task_ident(), 1)

    def green_release(self) -> None:
        """Return the token borrowed by the current thread or greenlet."""
        self._release(current_green_task_ident(), 1)

    def async_borrowed(self) -> bool:
        """Whether the current async task holds a token."""
        return current_async_task_ident() in self._borrowers

    def green_borrowed(self) -> bool:
        """Whether the current thread or greenlet holds a token."""
        return current_green_task_ident() in self._borrowers

    @property
    def total_tokens(self) -> int:
        """The number of tokens (read-only)."""
        return self._total_tokens

    @property
    def available_tokens(self) -> int:
        """The tokens free right now."""
        return self._core.value  # type: ignore[no-any-return]

    @property
    def borrowed_tokens(self) -> int:
        """The tokens held by tasks (or being handed to them)."""
        return self._total_tokens - self._core.value  # type: ignore

    @property
    def borrowers(self) -> MappingProxyType[tuple[str, int], int]:
        """A live read-only view: task ident -> borrow depth."""
        return MappingProxyType(self._borrowers)

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a token."""
        return self._core.waiting  # type: ignore[no-any-return]

    # Shared with RCapacityLimiter; ``count`` is the borrow depth.

    def _reborrow(self, task: Any, count: int) -> None:
        msg = (
            "the current task is already holding one of this capacity"
            " limiter's tokens"
        )
        raise RuntimeError(msg)

    async def _async_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core.try_acquire():
            self._borrowers[task] = count
        elif not blocking:
            return False
        else:
            if not await async_wait_permit(self._core, None, timeout):
                return False
            self._borrowers[task] = count
            return True
        if blocking:
            try:
                await async_checkpoint()
            except BaseException:
                self._release(task, count)
                raise
        return True

    def _green_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core.try_acquire():
            self._borrowers[task] = count
        elif not blocking:
            return False
        else:
            if not green_wait_permit(self._core, None, timeout):
                return False
            self._borrowers[task] = count
            return True
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                self._release(task, count)
                raise
        return True

    def _release(self, task: Any, count: int) -> None:
        depth = self._borrowers.get(task, 0)
        if not depth:
            msg = (
                "the current task is not holding any of this capacity"
                " limiter's tokens"
            )
            raise RuntimeError(msg)
        if count > depth:
            msg = "capacity limiter released too many times"
            raise RuntimeError(msg)
        if count < depth:
            self._borrowers[task] = depth - count
        else:
            del self._borrowers[task]
            self._core.release(1)


class RCapacityLimiter(CapacityLimiter):
    """A capacity limiter whose borrowers may borrow again (reentrant).

    One token per task whatever the depth; released when the task has
    released as many times as it acquired.
    """

    __slots__ = ()

    async def async_acquire(  # type: ignore[override]
        self,
        /,
        count: int = 1,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> bool:
        """Borrow a token *count* levels deep in the current async task."""
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
        """Borrow a token *count* levels deep in this thread/greenlet."""
        count = check_depth(count)
        if blocking:
            timeout = check_timeout(timeout)
        task = current_green_task_ident()
        return self._green_acquire(task, count, blocking, timeout)

    def async_release(self, /, count: int = 1) -> None:  # type: ignore[override]
        """Release *count* levels borrowed by the current async task."""
        self._release(current_async_task_ident(), check_depth(count))

    def green_release(self, /, count: int = 1) -> None:  # type: ignore[override]
        """Release *count* levels borrowed by the current thread/greenlet."""
        self._release(current_green_task_ident(), check_depth(count))

    def async_count(self) -> int:
        """The borrow depth of the current async task (0 if none)."""
        return self._borrowers.get(current_async_task_ident(), 0)

    def green_count(self) -> int:
        """The borrow depth of the current thread/greenlet (0 if none)."""
        return self._borrowers.get(current_green_task_ident(), 0)

    def _reborrow(self, task: Any, count: int) -> None:
        self._borrowers[task] += count
