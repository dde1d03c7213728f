# SPDX-License-Identifier: MIT

"""Counting semaphores: plain, bounded, binary and bounded binary.

Semaphores have no owner: any task may release. Released permits go
straight to the first live waiters (FIFO), so a waiting task is never
overtaken by a newcomer.
"""

from __future__ import annotations

import sys
from typing import Any

from ._impl import SemaphoreCore
from ._utils import check_count
from ._waiting import async_wait_permit, green_wait_permit
from .meta import DEFAULT, DefaultType

__all__ = (
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "Semaphore",
)


def _check_value(value: object, name: str) -> int:
    value = check_count(value, name)
    if value < 0:
        msg = f"{name} must be >= 0"
        raise ValueError(msg)
    return value


class Semaphore(SemaphoreCore):
    """A counting semaphore with FIFO hand-off of released permits.

    ``Semaphore(n, max_value)`` builds a ``BoundedSemaphore`` instead.
    Waiters that time out or are cancelled leave the queue; a permit
    handed to a waiter that then gave up goes on to the next waiter.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__", "_initial_value")

    def __new__(
        cls,
        initial_value: int | DefaultType = DEFAULT,
        max_value: int | None = None,
    ) -> Semaphore:
        if max_value is not None:
            if cls is not Semaphore:
                msg = (
                    "max_value must be None for subclasses. Did you want"
                    " to inherit BoundedSemaphore instead?"
                )
                raise TypeError(msg)
            return BoundedSemaphore(initial_value, max_value)
        if initial_value is DEFAULT:
            initial_value = 1
        else:
            initial_value = _check_value(initial_value, "initial_value")
        return cls._create(initial_value, None)

    @classmethod
    def _create(cls, initial_value: int, max_value: int | None) -> Any:
        self = SemaphoreCore.__new__(cls)
        self._init_core(
            initial_value, max_value, issubclass(cls, BinarySemaphore)
        )
        self._initial_value = initial_value
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self._initial_value,)

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Semaphore:
        return type(self)(*self.__getnewargs__())

    def _repr_args(self) -> str:
        return repr(self._initial_value)

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        value = self._core.value
        if value:
            state = f"value={value}"
        else:
            state = f"value=0, waiting={self._core.waiting}"
        return f"<{name}({self._repr_args()}) at {id(self):#x} [{state}]>"

    # The slow paths: no permit is free.

    async def _async_wait(self, blocking: bool, timeout: float | None) -> bool:
        if not blocking:
            return False
        return await async_wait_permit(self._core, None, timeout)

    def _green_wait(self, blocking: bool, timeout: float | None) -> bool:
        if not blocking:
            return False
        return green_wait_permit(self._core, None, timeout)

    @property
    def initial_value(self) -> int:
        """The value the semaphore was created with."""
        return self._initial_value


class BoundedSemaphore(Semaphore):
    """A semaphore that refuses to hold more than ``max_value`` permits.

    A release that would exceed ``max_value`` raises RuntimeError and
    releases nothing.
    """

    __slots__ = ()

    def __new__(  # type: ignore[misc]
        cls,
        initial_value: int | DefaultType = DEFAULT,
        max_value: int | DefaultType = DEFAULT,
    ) -> BoundedSemaphore:
        if initial_value is DEFAULT:
            if max_value is DEFAULT:
                initial_value = max_value = 1
            else:
                initial_value = max_value = _check_value(
                    max_value, "max_value"
                )
        else:
            initial_value = _check_value(initial_value, "initial_value")
            if max_value is DEFAULT:
                max_value = initial_value
            else:
                max_value = _check_value(max_value, "max_value")
                if max_value < initial_value:
                    msg = "max_value must be >= initial_value"
                    raise ValueError(msg)
        if max_value > sys.maxsize:
            # as for initial_value: no counter holds more permits
            msg = "too many permits for one counter"
            raise OverflowError(msg)
        kind = cls
        if cls is BoundedSemaphore and max_value <= 1:
            kind = BoundedBinarySemaphore
        return kind._create(initial_value, max_value)  # type: ignore

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self._initial_value, self._max_value)

    def _repr_args(self) -> str:
        if self._initial_value == self._max_value:
            return repr(self._initial_value)
        return f"{self._initial_value!r}, max_value={self._max_value!r}"

    @property
    def max_value(self) -> int:
        """The most permits the semaphore may hold."""
        return self._max_value  # type: ignore[no-any-return]


class BinarySemaphore(Semaphore):
    """A semaphore of value 0 or 1, usable as a primitive lock.

    Unbounded: releasing it more than once raises the value above 1.
    ``BinarySemaphore(v, max_value)`` builds a ``BoundedBinarySemaphore``.
    """

    __slots__ = ()

    def __new__(
        cls,
        initial_value: int | DefaultType = DEFAULT,
        max_value: int | None = None,
    ) -> BinarySemaphore:
        if max_value is not None:
            if cls is not BinarySemaphore:
                msg = (
                    "max_value must be None for subclasses. Did you want"
                    " to inherit BoundedBinarySemaphore instead?"
                )
                raise TypeError(msg)
            return BoundedBinarySemaphore(initial_value, max_value)
        if initial_value is DEFAULT:
            initial_value = 1
        else:
            initial_value = _check_binary(initial_value, "initial_value")
        return cls._create(initial_value, None)  # type: ignore[no-any-return]


def _check_binary(value: object, name: str) -> int:
    value = check_count(value, name)
    if value not in (0, 1):
        msg = f"{name} must be 0 or 1"
        raise ValueError(msg)
    return value


class BoundedBinarySemaphore(BinarySemaphore, BoundedSemaphore):
    """A binary semaphore that refuses a release above 1."""

    __slots__ = ()

    def __new__(  # type: ignore[misc]
        cls,
        initial_value: int | DefaultType = DEFAULT,
        max_value: int | DefaultType = DEFAULT,
    ) -> BoundedBinarySemaphore:
        if initial_value is not DEFAULT:
            initial_value = _check_binary(initial_value, "initial_value")
        if max_value is not DEFAULT:
            max_value = _check_binary(max_value, "max_value")
        return BoundedSemaphore.__new__(  # type: ignore[return-value]
            cls, initial_value, max_value
        )
