# SPDX-License-Identifier: MIT

"""Events: one-shot, reusable and countdown.

Every event waits on an `EventCore`: waiters queue a low-level event on it
and setting the core wakes all of them in FIFO order. A core is never
unset again. A reusable event instead *replaces* a set core by a fresh one
when it is cleared, so each waiter belongs to the generation it queued on:
a `set()` wakes exactly the waiters queued before it, whatever `clear()`
does right after, and no waiter can be queued on a core that nobody will
set. Replacing the core, and changing the value of a countdown, run under
a short thread lock (never held while waiting or waking) so that two
`clear()` calls, or `up()` and `down()` of a countdown, cannot interleave.
`set()` of `Event` and `REvent` takes no lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._impl import EventBase, EventCore
from ._utils import check_count, check_timeout
from .lowlevel import async_checkpoint, green_checkpoint
from .lowlevel._events import create_async_event, create_green_event
from .lowlevel._thread_locks import create_thread_lock
from .meta import DEFAULT, DefaultType

if TYPE_CHECKING:
    from _thread import LockType

    from typing_extensions import Self

__all__ = ("CountdownEvent", "Event", "REvent")


def _green_wait(core: Any, timeout: float | None) -> bool:
    # Wait in the current thread or greenlet until *core* is set.
    if core.is_set():
        green_checkpoint()
        return True
    return _green_wait_unset(core, timeout)


def _green_wait_unset(core: Any, timeout: float | None) -> bool:
    event = create_green_event()
    handle: Any = event  # (until queued, the core finds it by its event)
    try:
        handle = core.add_waiter(event)
        success = event.wait(timeout)
    except BaseException:
        # (an event that never waited is still pending: cancel it first)
        if event.cancel() or not event.is_set():
            core.remove_waiter(handle)
        raise
    if not success:
        core.remove_waiter(handle)
    return success  # type: ignore[no-any-return]


async def _async_wait(core: Any, timeout: float | None) -> bool:
    # Wait in the current async task until *core* is set.
    if core.is_set():
        await async_checkpoint()
        return True
    return await _async_wait_unset(core, timeout)


async def _async_wait_unset(core: Any, timeout: float | None) -> bool:
    event = create_async_event()
    handle: Any = event  # (until queued, the core finds it by its event)
    try:
        handle = core.add_waiter(event)
        if timeout is None:
            success = await event
        else:
            success = await event.with_(timeout)
    except BaseException:
        # (an event that never waited is still pending: cancel it first)
        if event.cancel() or not event.is_set():
            core.remove_waiter(handle)
        raise
    if not success:
        core.remove_waiter(handle)
    return success  # type: ignore[no-any-return]


class Event(EventBase):
    """A one-shot event: once set, it stays set.

    Waits return True once the event is set and False on timeout; a
    cancelled waiter leaves the queue. Waiting on a set event only
    checkpoints. Thread-safe: every method may be called from any thread,
    task or loop; `set()` never blocks.
    """

    __slots__ = ("__weakref__",)

    def __new__(cls) -> Self:
        return EventBase.__new__(cls)  # type: ignore[no-any-return]

    def __getnewargs__(self) -> tuple[Any, ...]:
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Event:
        return type(self)()

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        core = self._core
        if core.is_set():
            state = "set"
        else:
            state = f"unset, waiting={core.waiting}"
        return f"<{name}() at {id(self):#x} [{state}]>"

    __await__ = EventBase._await

    # The slow paths: the event is not set.

    async def _async_wait(self, core: Any, timeout: float | None) -> bool:
        return await _async_wait_unset(core, timeout)

    def _green_wait(self, core: Any, timeout: float | None) -> bool:
        return _green_wait_unset(core, timeout)


class REvent(Event):
    """A reusable event: like `Event`, plus `clear()`.

    A waiter queued before a `set()` is woken by it even if `clear()`
    follows at once.
    """

    __slots__ = ("_clear_lock",)

    _clear_lock: LockType

    def __new__(cls) -> Self:
        self = super().__new__(cls)
        self._clear_lock = create_thread_lock()
        return self

    def clear(self, /) -> None:
        """Reset the event to unset; waiters already woken stay woken."""
        # the check and the swap must not interleave with another clear():
        # a waiter could queue on a core that a second swap then discards
        with self._clear_lock:
            if self._core.is_set():
                self._core = EventCore()


class CountdownEvent:
    """An event that is set while its value is zero.

    `up()` raises the value, `down()` lowers it by one; waiters block while
    the value is positive and are all woken when it reaches zero (a waiter
    queued before that moment is woken even if `up()` follows at once).
    Waits return False on timeout; a cancelled waiter leaves the queue.
    Thread-safe: every method may be called from any thread, task or loop.

    Args:
        initial_value: the starting value (default 0: the event is set).
    """

    __slots__ = ("__weakref__", "_core", "_initial_value", "_lock", "_value")

    _core: EventCore
    _initial_value: int
    _lock: LockType
    _value: int

    def __new__(
        cls, initial_value: int | DefaultType = DEFAULT
    ) -> CountdownEvent:
        if initial_value is DEFAULT:
            initial_value = 0
        else:
            initial_value = check_count(initial_value, "initial_value")
            if initial_value < 0:
                msg = "initial_value must be >= 0"
                raise ValueError(msg)
        self = object.__new__(cls)
        self._initial_value = initial_value
        self._value = initial_value
        self._lock = create_thread_lock()
        self._core = core = EventCore()
        if not initial_value:
            core.set()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        if self._initial_value:
            return (self._initial_value,)
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> CountdownEvent:
        return type(self)(*self.__getnewargs__())

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        args = ", ".join(map(repr, self.__getnewargs__()))
        value = self._value
        if value:
            state = f"value={value}, waiting={self._core.waiting}"
        else:
            state = "value=0"
        return f"<{name}({args}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return not self._value

    def __await__(self, /, timeout: float | None = None) -> Any:
        return self.with_(timeout).__await__()

    async def with_(self, /, timeout: float | None = None) -> bool:
        """Wait in the current async task until the value is zero.

        Returns False if *timeout* seconds pass first. When cancelled, the
        waiter leaves the queue and the cancellation propagates.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        timeout = check_timeout(timeout)
        return await _async_wait(self._core, timeout)

    def wait(self, /, timeout: float | None = None) -> bool:
        """Block the current thread or greenlet until the value is zero.

        Returns False if *timeout* seconds pass first.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        timeout = check_timeout(timeout)
        return _green_wait(self._core, timeout)

    def up(self, /, count: int = 1) -> None:
        """Add *count* to the value.

        Args:
            count: a non-negative integer; 0 does nothing, a negative
                count is a ValueError.
        """
        count = check_count(count)
        if count < 0:
            msg = "count must be >= 0"
            raise ValueError(msg)
        if count:
            with self._lock:
                if not self._value:
                    # the set core stays with the waiters it already woke
                    self._core = EventCore()
                self._value += count

    def down(self, /) -> None:
        """Subtract one from the value; wake every waiter at zero.

        Raises RuntimeError if the value is already zero.
        """
        with self._lock:
            value = self._value
            if value:
                self._value = value - 1
                core = self._core
        if not value:
            msg = "down() called too many times"
            raise RuntimeError(msg)
        if value == 1:
            core.set()  # pyright: ignore[reportPossiblyUnboundVariable]

    def clear(self, /) -> None:
        """Set the value to zero and wake every waiter."""
        with self._lock:
            self._value = 0
            core = self._core
        core.set()

    @property
    def initial_value(self) -> int:
        """The value the event was created with."""
        return self._initial_value

    @property
    def value(self) -> int:
        """The current value; waiters block while it is positive."""
        return self._value

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the value to reach zero."""
        return self._core.waiting
