# SPDX-License-Identifier: MIT

"""Counting semaphores: plain, bounded, binary and bounded binary.

Semaphores have no owner: any task may release. Released permits go
straight to the first live waiters (FIFO), so a waiting task is never
overtaken by a newcomer.
"""

from __future__ import annotations

from typing import Any

from ._impl import PermitCounter
from ._utils import check_count, check_timeout
from ._waiting import async_wait_permit, green_wait_permit
from .lowlevel import async_checkpoint, green_checkpoint
from .lowlevel._thread_locks import create_thread_lock
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


class Semaphore:
    """A counting semaphore with FIFO hand-off of released permits.

    ``Semaphore(n, max_value)`` builds a ``BoundedSemaphore`` instead.
    Waiters that time out or are cancelled leave the queue; a permit
    handed to a waiter that then gave up goes on to the next waiter.
    Thread-safe: every method may be called from any thread.
    """

    __slots__ = ("__weakref__", "_core", "_initial_value")

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
        self = object.__new__(cls)
        self._core = PermitCounter(initial_value, max_value is not None)
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

    async def __aenter__(self) -> Semaphore:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.async_release()

    def __enter__(self) -> Semaphore:
        self.green_acquire()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.green_release()

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Take a permit in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no permit is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        core = self._core
        if core.try_acquire():
            if blocking:
                try:
                    await async_checkpoint()
                except BaseException:
                    self._release(1)
                    raise
            return True
        if not blocking:
            return False
        return await async_wait_permit(core, None, timeout)

    def green_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Take a permit in the current thread or greenlet.

        Returns False on timeout, or with ``blocking=False`` when none is
        free.
        """
        if blocking:
            timeout = check_timeout(timeout)
        core = self._core
        if core.try_acquire():
            if blocking:
                try:
                    green_checkpoint()
                except BaseException:
                    self._release(1)
                    raise
            return True
        if not blocking:
            return False
        return green_wait_permit(core, None, timeout)

    def release(self, /, count: int = 1) -> None:
        """Release *count* permits, waking up to *count* waiters.

        ``count == 0`` does nothing; a negative count is a ValueError.
        """
        count = check_count(count)
        if count < 0:
            msg = "count must be >= 0"
            raise ValueError(msg)
        if count:
            self._release(count)

    def async_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)

    def green_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)

    def _release(self, count: int) -> None:
        self._core.release(count)

    @property
    def initial_value(self) -> int:
        """The value the semaphore was created with."""
        return self._initial_value

    @property
    def value(self) -> int:
        """The permits available right now."""
        return self._core.value  # type: ignore[no-any-return]

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a permit."""
        return self._core.waiting  # type: ignore[no-any-return]


class BoundedSemaphore(Semaphore):
    """A semaphore that refuses to hold more than ``max_value`` permits.

    A release that would exceed ``max_value`` raises RuntimeError and
    releases nothing.
    """

    __slots__ = ("_max_value", "_release_lock")

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
        if cls is BoundedSemaphore and max_value <= 1:
            cls = BoundedBinarySemaphore
        return cls._create(initial_value, max_value)  # type: ignore

    @classmethod
    def _create(cls, initial_value: int, max_value: int | None) -> Any:
        self = super()._create(initial_value, max_value)
        self._max_value = max_value
        self._release_lock = create_thread_lock()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self._initial_value, self._max_value)

    def _repr_args(self) -> str:
        if self._initial_value == self._max_value:
            return repr(self._initial_value)
        return f"{self._initial_value!r}, max_value={self._max_value!r}"

    def _release(self, count: int) -> None:
        # the check and the release must not interleave with another
        # release, or two of them could both pass the bound
        with self._release_lock:
            if self._core.value + count > self._max_value:
                msg = "semaphore released too many times"
                raise RuntimeError(msg)
            self._core.release(count)

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

    def release(self, /, count: int = 1) -> None:
        """Release one permit; *count* must be 1."""
        count = check_count(count)
        if count != 1:
            msg = "count must be 1"
            raise ValueError(msg)
        self._release(1)

    def async_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)

    def green_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)


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
