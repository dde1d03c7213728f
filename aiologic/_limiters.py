# SPDX-License-Identifier: MIT

"""Capacity limiters: at most ``total_tokens`` tasks at once.

A limiter is a semaphore that remembers who borrowed each token: a task
holds at most one token (``RCapacityLimiter`` counts reentrant borrows of
that one token), and only a borrower may give it back.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ._impl import LimiterCore, RLimiterCore
from ._utils import check_count
from ._waiting import async_wait_permit, green_wait_permit
from .meta import DEFAULT, DefaultType

__all__ = ("CapacityLimiter", "RCapacityLimiter")


class CapacityLimiter(LimiterCore):
    """Limits how many tasks may hold a token at once.

    Tokens are handed to waiters in FIFO order; a waiter that times out
    or is cancelled leaves the queue without taking or losing a token.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__", "_total_tokens")

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
        self = LimiterCore.__new__(cls)
        self._init_core(total_tokens)
        self._total_tokens = total_tokens
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

    @property
    def total_tokens(self) -> int:
        """The number of tokens (read-only)."""
        return self._total_tokens

    @property
    def borrowed_tokens(self) -> int:
        """The tokens held by tasks (or being handed to them)."""
        return self._total_tokens - self._core.value  # type: ignore

    @property
    def borrowers(self) -> MappingProxyType[tuple[str, int], int]:
        """A live read-only view: task ident -> borrow depth."""
        return MappingProxyType(self._borrowers)

    # The slow paths: no token is free.

    async def _async_wait(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        if not blocking:
            return False
        if not await async_wait_permit(self._core, None, timeout):
            return False
        self._borrowers[task] = count
        return True

    def _green_wait(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        if not blocking:
            return False
        if not green_wait_permit(self._core, None, timeout):
            return False
        self._borrowers[task] = count
        return True


# ``CapacityLimiter`` comes first among the bases so that its constructor
# makes RCapacityLimiter instances too (see RLock in _locks.py).
class RCapacityLimiter(CapacityLimiter, RLimiterCore):  # type: ignore[misc]
    """A capacity limiter whose borrowers may borrow again (reentrant).

    One token per task whatever the depth; released when the task has
    released as many times as it acquired.
    """

    __slots__ = ()
