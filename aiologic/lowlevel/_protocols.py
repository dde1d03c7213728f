# SPDX-License-Identifier: MIT

"""Static protocols of low-level events and waiters (for type checkers)."""

from __future__ import annotations

from typing import Any, Awaitable, Generator, Protocol

__all__ = (
    "AsyncEvent",
    "AsyncWaiter",
    "Event",
    "GreenEvent",
    "GreenWaiter",
    "Waiter",
)


class Event(Protocol):
    """A one-shot event: pending, then set or cancelled exactly once."""

    shield: bool
    force: bool

    def set(self) -> bool: ...

    def cancel(self) -> bool: ...

    def is_set(self) -> bool: ...

    def cancelled(self) -> bool: ...


class GreenEvent(Event, Protocol):
    """An event waited for by a blocking call."""

    def wait(self, timeout: float | None = None) -> bool: ...


class AsyncEvent(Event, Protocol):
    """An event waited for by ``await``."""

    def __await__(self) -> Generator[Any, Any, bool]: ...

    def with_(self, timeout: float | None = None) -> Awaitable[bool]: ...


class Waiter(Protocol):
    """A waiter: waited for at most once, woken any number of times."""

    shield: bool

    def wake(self) -> None: ...


class GreenWaiter(Waiter, Protocol):
    """A waiter waited for by a blocking call."""

    def wait(self, timeout: float | None = None) -> bool: ...


class AsyncWaiter(Waiter, Protocol):
    """A waiter waited for by ``await``."""

    def __await__(self) -> Generator[Any, Any, bool]: ...

    def with_(self, timeout: float | None = None) -> Awaitable[bool]: ...


for _cls in (Event, GreenEvent, AsyncEvent, Waiter, GreenWaiter, AsyncWaiter):
    _cls.__module__ = "aiologic.lowlevel"

del _cls
