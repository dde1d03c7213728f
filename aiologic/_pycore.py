# SPDX-License-Identifier: MIT

"""The pure-Python core: the hot state machines under every primitive.

Why this is safe with the GIL, without it (CPython 3.13t) and on PyPy:
every shared mutation is one call of a container method that those
runtimes execute atomically (``list.append``, ``list.pop``,
``deque.append``, ``deque.popleft``, ``deque.remove``), or, off the fast
paths, a few statements under a short thread lock that is never held
while waiting; the waiter events resolve "woken or cancelled" with one
such call too.

Permits and waiters live in two containers, so a release and a new waiter
can pass each other: the releaser finds no waiter, the waiter found no
permit. Both sides therefore *settle* after their own change: whoever
changes state last sees both the permit and the waiter and completes the
hand-off. A permit is only ever handed to the first live waiter (FIFO);
a waiter that was cancelled makes the claim of its event fail, so the
permit moves on to the next one. The new ``owner`` is recorded between
the claim and the wake-up of the waiter.

Free permits are single list items, so a fast acquire is one ``pop()``
that takes exactly one permit and never hides the others. Beyond a batch,
free permits wait in a reserve (an int), so a large value costs no
memory; the reserve changes only under a short thread lock, which a
taker that finds no single item takes too before it gives up.

On top of these, the base classes of the hot primitives (``LockCore``,
``RLockCore``, ``SemaphoreCore``, ``LimiterCore``, ``RLimiterCore``,
``EventBase``, ``SimpleQueueCore``, ``QueueCore``) hold the calls that
need not wait: taking a free permit, giving permits back, testing and
setting events, passing a set event, queue puts and gets. The public classes
subclass them and add the slow paths (waiting), reprs and the object
protocol, written once for both cores.

The compiled core (``_aiologic_core``) implements the same names with the
same contract; ``aiologic._impl`` picks one of the two at import.
"""

from __future__ import annotations

import sys
from collections import deque
from math import ceil
from typing import TYPE_CHECKING, Any, Final, Generator, NoReturn, Tuple

from ._utils import check_count, check_depth, check_timeout
from .lowlevel._checkpoints import async_checkpoint, green_checkpoint
from .lowlevel._identity import (
    current_async_task_ident,
    current_green_task_ident,
)
from .lowlevel._thread_locks import _get_ident, create_thread_lock

if TYPE_CHECKING:
    from _thread import LockType

__all__ = (
    "STORAGE_FIFO",
    "STORAGE_HEAP",
    "STORAGE_HOOKS",
    "STORAGE_LIFO",
    "EventBase",
    "EventCore",
    "LimiterCore",
    "LockCore",
    "PermitCounter",
    "QueueCore",
    "RLimiterCore",
    "RLockCore",
    "SemaphoreCore",
    "SimpleQueueCore",
    "WaitQueue",
    "heap_pop",
    "heap_push",
)

#: Free permits kept as single list items; more wait in the reserve.
_BATCH: Final = 64

#: Unfinished tasks counted one entry each before they go into an int.
_FOLD: Final = 64

#: A queued waiter: the low-level event to set and the token that the
#: waiter is given with the permit (its task ident for ownable locks).
#: ``add_waiter`` returns it as the handle that ``remove_waiter`` takes.
Entry = Tuple[Any, Any]


class WaitQueue(deque):  # type: ignore[type-arg]
    """FIFO of waiters with removal of a cancelled waiter."""

    __slots__ = ()

    def discard(self, entry: object) -> bool:
        """Remove *entry* if it is still queued; tell whether it was."""
        try:
            self.remove(entry)
        except ValueError:
            return False
        return True


class PermitCounter:
    """Permits handed directly to FIFO waiters, never barged.

    ``owner`` is the token of the waiter that was last handed a permit
    (``None`` when the permit went back to the counter); ownable locks use
    it so that the owner is known before the woken waiter runs.
    """

    __slots__ = (
        "_lock",
        "_permits",
        "_reserve",
        "_single",
        "_waiters",
        "owner",
    )

    def __init__(self, value: int, single: bool = False) -> None:
        # single: every permit in the list, so that ``value`` is exact
        # (bounded semaphores compare it); else beyond a batch, permits
        # wait in the reserve
        if value > sys.maxsize:
            msg = "too many permits for one counter"
            raise OverflowError(msg)
        self._single = single
        value = max(value, 0)
        free = value if single else min(value, _BATCH)
        self._permits = [1] * free
        self._reserve = value - free
        self._lock = create_thread_lock()
        self._waiters = WaitQueue()
        self.owner: object = None

    @property
    def value(self) -> int:
        """The permits available right now."""
        return len(self._permits) + self._reserve

    @property
    def waiting(self) -> int:
        """The number of queued waiters."""
        return len(self._waiters)

    def available(self) -> bool:
        """Whether a permit is free right now."""
        return bool(self._permits) or bool(self._reserve)

    def try_acquire(self, token: Any = None) -> bool:
        """Take one permit if one is free and nobody waits for it.

        On success *token* becomes the ``owner``.
        """
        if self._waiters:
            return False
        try:
            self._permits.pop()
        except IndexError:
            if not self._take_reserved():
                return False
            self.owner = token
            if self._waiters:
                # a waiter queued while the batch was out of sight
                self._settle()
            return True
        self.owner = token
        return True

    def add_waiter(self, event: Any, token: Any = None) -> Entry:
        """Queue *event*, then hand it a permit if one became free.

        Whoever is handed the permit becomes ``owner`` as *token*. Returns
        the handle for `remove_waiter`.
        """
        entry = (event, token)
        self._waiters.append(entry)
        if self._permits or self._reserve:
            self._settle()
        return entry

    def remove_waiter(self, handle: Any) -> bool:
        """Dequeue a waiter that gave up; tell whether it was queued.

        *handle* is what `add_waiter` returned, or the queued event itself
        (for a waiter interrupted before it got its handle).
        """
        if type(handle) is not tuple:
            for entry in self._waiters.copy():
                if entry[0] is handle:
                    handle = entry
                    break
            else:
                return False
        return self._waiters.discard(handle)

    def release(self, count: int = 1) -> None:
        """Add *count* permits, handing them to waiters first.

        Permits go straight to live waiters, so while anyone waits a
        released permit is never seen free (no barging, ``owner`` names
        the next holder before it runs).
        """
        # the compiled core counts in one machine word; only a large
        # reserve or a large count can get near its limit
        if (count != 1 or self._reserve) and count > sys.maxsize - self.value:
            msg = "too many permits for one counter"
            raise OverflowError(msg)
        while count and self._hand_over():
            count -= 1
        if count:
            self.owner = None
            self._put_back(count)
            if self._waiters:
                self._settle()

    def _hand_over(self) -> bool:
        # Give one permit to the first live waiter; False if none is left.
        waiters = self._waiters
        while True:
            try:
                event, token = waiters.popleft()
            except IndexError:
                return False
            if event._claim():
                # named once the waiter can no longer give up (a waiter
                # that timed out must never see itself as the owner), and
                # before it can run
                self.owner = token
                if event._publish():
                    return True
                # its event loop is gone: on to the next waiter

    def _take_reserved(self) -> bool:
        # No single permit left: take one from the reserve and turn a
        # batch of it into singles. Under the lock, so that a taker that
        # finds no single while a batch is on its way waits for it rather
        # than failing; the singles come first, so the permits never look
        # fewer than they are.
        with self._lock:
            try:
                self._permits.pop()
            except IndexError:
                reserve = self._reserve
                if not reserve:
                    return False
                batch = min(reserve, _BATCH)
                self._permits.extend([1] * (batch - 1))
                self._reserve = reserve - batch
        return True

    def _put_back(self, count: int) -> None:
        if count == 1:
            self._permits.append(1)
        elif self._single or count < _BATCH:
            self._permits.extend([1] * count)
        else:
            with self._lock:
                self._reserve += count

    def _settle(self) -> None:
        # Hand free permits to live waiters until one of the two runs out.
        permits = self._permits
        waiters = self._waiters
        while waiters:
            try:
                permits.pop()
            except IndexError:
                if not self._take_reserved():
                    return
            if not self._hand_over():
                self.owner = None
                permits.append(1)


class EventCore:
    """A flag that, once set, wakes every waiter queued before or after."""

    __slots__ = ("_unset", "_waiters")

    def __init__(self) -> None:
        self._unset = [True]
        self._waiters = WaitQueue()

    @property
    def waiting(self) -> int:
        """The number of queued waiters."""
        return len(self._waiters)

    def is_set(self) -> bool:
        """Whether the flag is set."""
        return not self._unset

    def set(self) -> bool:
        """Set the flag; True if this call did it."""
        try:
            self._unset.pop()
        except IndexError:
            return False
        self.wake_all()
        return True

    def add_waiter(self, event: Any) -> Any:
        """Queue *event*; set it at once if the flag is already set.

        Returns the handle for `remove_waiter`.
        """
        self._waiters.append(event)
        if not self._unset:
            self.wake_all()
        return event

    def remove_waiter(self, handle: Any) -> bool:
        """Dequeue a waiter that gave up; tell whether it was queued.

        *handle* is what `add_waiter` returned: the queued event itself.
        """
        return self._waiters.discard(handle)

    def wake_all(self) -> None:
        """Set every queued event."""
        waiters = self._waiters
        while waiters:
            try:
                event = waiters.popleft()
            except IndexError:
                return
            event.set()


class _Ready:
    """An awaitable that completes at once with a value, never yielding."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __await__(self) -> Generator[Any, Any, Any]:
        return self._value
        yield  # a generator that returns at once


#: what ``__aexit__`` returns: its work is done by the time it returns
_DONE: Final = _Ready(None)

# What _async_take() returns when no permit is free: wait, or fail
# without blocking. Else it returns None (taken, nothing left to do) or
# the checkpoint to await (taken; given back if the checkpoint raises).
_MUST_WAIT: Final = object()


class LockCore:
    """The hot paths of ``Lock``: taking a free lock and giving it back.

    The owner is a task ident ``(library, id)`` kept by the permit
    counter; ``_owner_thread`` is the OS thread of the owner, for the
    mixed-deadlock check. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue and wait, or fail without
    blocking). Reentrant subclasses (``RLockCore``) count the depth.
    """

    __slots__ = ("_core", "_count", "_owner_thread")

    _core: PermitCounter
    _count: int
    _owner_thread: int | None

    if TYPE_CHECKING:
        # the slow paths, provided by the subclasses

        def _green_wait(
            self, task: Any, count: int, blocking: bool, timeout: float | None
        ) -> bool: ...

        async def _async_wait(
            self, task: Any, count: int, blocking: bool, timeout: float | None
        ) -> bool: ...

    #: whether the owner may acquire again (counting the depth)
    _reentrant = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = object.__new__(cls)
        self._core = PermitCounter(1)
        self._count = 0
        self._owner_thread = None
        return self

    def __enter__(self) -> Any:
        self._green_acquire(current_green_task_ident(), 1, True, None)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._release(current_green_task_ident(), 1)

    def __aenter__(self) -> Any:
        # `async with` awaits the result at once: a lock taken here needs
        # no coroutine
        found = self._async_take(1, True)
        if found is None:
            return _Ready(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type: object, exc: object, tb: object) -> Any:
        self._release(current_async_task_ident(), 1)
        return _DONE

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
        found = self._async_take(1, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, 1, blocking, timeout)

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
    def owner(self) -> Any:
        """The ``(library, id)`` of the holder, None when unlocked."""
        return self._core.owner

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock."""
        return self._core.waiting

    # ``count`` is the depth the caller will hold (always 1 for Lock)

    def _green_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        core = self._core
        if core.owner == task:
            self._reacquire(count)
        elif core.try_acquire(task):
            self._acquired(count)
        else:
            return self._green_wait(task, count, blocking, timeout)
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, count)
                raise
        return True

    def _async_take(self, count: int, blocking: bool) -> Any:
        # The part of an async acquire that runs before any await.
        task = current_async_task_ident()
        core = self._core
        if core.owner == task:
            self._reacquire(count)
        elif core.try_acquire(task):
            self._acquired(count)
        else:
            return _MUST_WAIT
        return async_checkpoint() if blocking else None

    async def _async_enter_rest(self, found: Any) -> Any:
        await self._async_acquire_rest(found, 1, True, None)
        return self

    async def _async_acquire_rest(
        self, found: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        # What _async_take left: a checkpoint, or the wait for the lock.
        task = current_async_task_ident()
        if found is _MUST_WAIT:
            return await self._async_wait(task, count, blocking, timeout)
        try:
            await found
        except BaseException:
            # cancelled at the checkpoint: give back what was taken
            self._release(task, count)
            raise
        return True

    def _reacquire(self, count: int) -> None:
        if not self._reentrant:
            msg = "the current task is already holding this lock"
            raise RuntimeError(msg)
        if self._count > sys.maxsize - count:
            # the compiled core counts the depth in one machine word
            msg = "lock acquired too many times"
            raise OverflowError(msg)
        self._count += count

    def _acquired(self, count: int) -> None:
        # the lock was just taken, or handed over to this task
        self._count = count
        self._owner_thread = _get_ident()

    def _release(self, task: Any, count: int) -> None:
        core = self._core
        owner = core.owner
        if owner != task:
            if owner is None and core.available():
                msg = "release unlocked lock"
            else:
                msg = "the current task is not holding this lock"
            raise RuntimeError(msg)
        remaining = self._count - count
        if remaining < 0:
            msg = "lock released too many times"
            raise RuntimeError(msg)
        self._count = remaining
        if not remaining:
            self._owner_thread = None
            core.release(1)

    def _release_save(self) -> int:
        """Release the lock whatever its depth; return the depth."""
        depth = self._count
        self._count = 0
        self._owner_thread = None
        self._core.release(1)
        return depth

    def _took_over(self, depth: int) -> None:
        """Record a hand-over to the current task at *depth*."""
        self._acquired(depth)


class RLockCore(LockCore):
    """The hot paths of ``RLock``: ``LockCore`` counting the depth."""

    __slots__ = ()

    _reentrant = True

    async def async_acquire(
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
        found = self._async_take(count, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, count, blocking, timeout)

    def green_acquire(
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

    def async_release(self, /, count: int = 1) -> None:
        """Release *count* levels held by the current async task."""
        count = check_depth(count)  # before the task lookup
        self._release(current_async_task_ident(), count)

    def green_release(self, /, count: int = 1) -> None:
        """Release *count* levels held by the current thread/greenlet."""
        count = check_depth(count)  # before the task lookup
        self._release(current_green_task_ident(), count)

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


class SemaphoreCore:
    """The hot paths of the semaphores: taking and giving back permits.

    ``_init_core()`` sets the counter up; bounded semaphores
    (``max_value`` not None) refuse a release above it, binary ones a
    count other than 1. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue and wait, or fail without
    blocking).
    """

    __slots__ = ("_binary", "_core", "_max_value", "_release_lock")

    _core: PermitCounter
    _max_value: int | None
    _binary: bool
    # set exactly when ``_max_value`` is
    _release_lock: LockType

    if TYPE_CHECKING:
        # the slow paths, provided by the subclasses

        def _green_wait(
            self, blocking: bool, timeout: float | None
        ) -> bool: ...

        async def _async_wait(
            self, blocking: bool, timeout: float | None
        ) -> bool: ...

    def _init_core(
        self, initial_value: int, max_value: int | None, binary: bool
    ) -> None:
        self._core = PermitCounter(initial_value, max_value is not None)
        self._max_value = max_value
        self._binary = binary
        # the check and the release of a bounded semaphore must not
        # interleave with another release, or two could pass the bound
        if max_value is not None:
            self._release_lock = create_thread_lock()
        else:
            self._release_lock = None  # type: ignore[assignment]

    def __enter__(self) -> Any:
        self._green_acquire(True, None)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._release(1)

    def __aenter__(self) -> Any:
        # `async with` awaits the result at once: a permit taken here
        # needs no coroutine
        found = self._async_take(True)
        if found is None:
            return _Ready(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type: object, exc: object, tb: object) -> Any:
        self._release(1)
        return _DONE

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Take a permit in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no permit is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        found = self._async_take(blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, blocking, timeout)

    def green_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Take a permit in the current thread or greenlet.

        Returns False on timeout, or with ``blocking=False`` when none is
        free.
        """
        if blocking:
            timeout = check_timeout(timeout)
        return self._green_acquire(blocking, timeout)

    def release(self, /, count: int = 1) -> None:
        """Release *count* permits, waking up to *count* waiters.

        ``count == 0`` does nothing; a negative count is a ValueError.
        """
        count = self._count_argument(count)
        if count:
            self._release(count)

    def async_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)

    def green_release(self, /, count: int = 1) -> None:
        """Same as ``release()``."""
        self.release(count)

    @property
    def value(self) -> int:
        """The permits available right now."""
        return self._core.value

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a permit."""
        return self._core.waiting

    def _count_argument(self, count: object) -> int:
        count = check_count(count)
        if self._binary:
            if count != 1:
                msg = "count must be 1"
                raise ValueError(msg)
        elif count < 0:
            msg = "count must be >= 0"
            raise ValueError(msg)
        return count

    def _green_acquire(self, blocking: bool, timeout: float | None) -> bool:
        if not self._core.try_acquire():
            return self._green_wait(blocking, timeout)
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(1)
                raise
        return True

    def _async_take(self, blocking: bool) -> Any:
        # The part of an async acquire that runs before any await.
        if not self._core.try_acquire():
            return _MUST_WAIT
        return async_checkpoint() if blocking else None

    async def _async_enter_rest(self, found: Any) -> Any:
        await self._async_acquire_rest(found, True, None)
        return self

    async def _async_acquire_rest(
        self, found: Any, blocking: bool, timeout: float | None
    ) -> bool:
        # What _async_take left: a checkpoint, or the wait for a permit.
        if found is _MUST_WAIT:
            return await self._async_wait(blocking, timeout)
        try:
            await found
        except BaseException:
            # cancelled at the checkpoint: give back what was taken
            self._release(1)
            raise
        return True

    def _release(self, count: int) -> None:
        max_value = self._max_value
        if max_value is None:
            self._core.release(count)
            return
        with self._release_lock:
            if self._core.value + count > max_value:
                msg = "semaphore released too many times"
                raise RuntimeError(msg)
            self._core.release(count)


class LimiterCore:
    """The hot paths of the capacity limiters: borrowing a free token.

    ``_init_core()`` sets the counter up. ``_borrowers`` maps each
    borrowing task to its depth; each key is written and deleted only by
    the task it names. Reentrant subclasses (``RLimiterCore``) count the
    depth. Subclasses provide the slow paths: ``_green_wait``/
    ``_async_wait`` (queue and wait, or fail without blocking).
    """

    __slots__ = ("_borrowers", "_core")

    _core: PermitCounter

    if TYPE_CHECKING:
        # the slow paths, provided by the subclasses

        def _green_wait(
            self, task: Any, count: int, blocking: bool, timeout: float | None
        ) -> bool: ...

        async def _async_wait(
            self, task: Any, count: int, blocking: bool, timeout: float | None
        ) -> bool: ...

    #: whether a borrower may borrow again (counting the depth)
    _reentrant = False

    def _init_core(self, total_tokens: int) -> None:
        self._core = PermitCounter(total_tokens)
        self._borrowers: dict[Any, int] = {}

    def __enter__(self) -> Any:
        self._green_acquire(current_green_task_ident(), 1, True, None)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._release(current_green_task_ident(), 1)

    def __aenter__(self) -> Any:
        # `async with` awaits the result at once: a token borrowed here
        # needs no coroutine
        found = self._async_take(1, True)
        if found is None:
            return _Ready(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type: object, exc: object, tb: object) -> Any:
        self._release(current_async_task_ident(), 1)
        return _DONE

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Borrow a token in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no token is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        found = self._async_take(1, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, 1, blocking, timeout)

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
    def available_tokens(self) -> int:
        """The tokens free right now."""
        return self._core.value

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a token."""
        return self._core.waiting

    # ``count`` is the borrow depth the caller will hold

    def _green_acquire(
        self, task: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core.try_acquire():
            self._borrowers[task] = count
        else:
            return self._green_wait(task, count, blocking, timeout)
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, count)
                raise
        return True

    def _async_take(self, count: int, blocking: bool) -> Any:
        # The part of an async acquire that runs before any await.
        task = current_async_task_ident()
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core.try_acquire():
            self._borrowers[task] = count
        else:
            return _MUST_WAIT
        return async_checkpoint() if blocking else None

    async def _async_enter_rest(self, found: Any) -> Any:
        await self._async_acquire_rest(found, 1, True, None)
        return self

    async def _async_acquire_rest(
        self, found: Any, count: int, blocking: bool, timeout: float | None
    ) -> bool:
        # What _async_take left: a checkpoint, or the wait for a token.
        task = current_async_task_ident()
        if found is _MUST_WAIT:
            return await self._async_wait(task, count, blocking, timeout)
        try:
            await found
        except BaseException:
            # cancelled at the checkpoint: give back what was taken
            self._release(task, count)
            raise
        return True

    def _reborrow(self, task: Any, count: int) -> None:
        if not self._reentrant:
            msg = (
                "the current task is already holding one of this capacity"
                " limiter's tokens"
            )
            raise RuntimeError(msg)
        if self._borrowers[task] > sys.maxsize - count:
            msg = "capacity limiter acquired too many times"
            raise OverflowError(msg)
        self._borrowers[task] += count

    def _release(self, task: Any, count: int) -> None:
        borrowers = self._borrowers
        depth = borrowers.get(task, 0)
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
            borrowers[task] = depth - count
        else:
            del borrowers[task]
            self._core.release(1)


class RLimiterCore(LimiterCore):
    """The hot paths of ``RCapacityLimiter``: counting the depth."""

    __slots__ = ()

    _reentrant = True

    async def async_acquire(
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
        found = self._async_take(count, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, count, blocking, timeout)

    def green_acquire(
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

    def async_release(self, /, count: int = 1) -> None:
        """Release *count* levels borrowed by the current async task."""
        count = check_depth(count)  # before the task lookup
        self._release(current_async_task_ident(), count)

    def green_release(self, /, count: int = 1) -> None:
        """Release *count* levels borrowed by the current thread/greenlet."""
        count = check_depth(count)  # before the task lookup
        self._release(current_green_task_ident(), count)

    def async_count(self) -> int:
        """The borrow depth of the current async task (0 if none)."""
        return self._borrowers.get(current_async_task_ident(), 0)

    def green_count(self) -> int:
        """The borrow depth of the current thread/greenlet (0 if none)."""
        return self._borrowers.get(current_green_task_ident(), 0)


class EventBase:
    """The hot paths of ``Event`` and ``REvent``: set, test, a set event.

    ``_core`` is the `EventCore` of the current round; ``REvent.clear()``
    replaces it. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue on the core and wait).
    ``_await`` is the implementation of ``__await__`` (the public classes
    alias it).
    """

    __slots__ = ("_core",)

    _core: EventCore

    if TYPE_CHECKING:
        # the slow paths, provided by the subclasses

        def _green_wait(
            self, core: EventCore, timeout: float | None
        ) -> bool: ...

        async def _async_wait(
            self, core: EventCore, timeout: float | None
        ) -> bool: ...

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = object.__new__(cls)
        self._core = EventCore()
        return self

    def __bool__(self) -> bool:
        return self._core.is_set()

    def _await(self, /, timeout: float | None = None) -> Any:
        return self.with_(timeout).__await__()

    async def with_(self, /, timeout: float | None = None) -> bool:
        """Wait in the current async task until the event is set.

        Returns False if *timeout* seconds pass first. When cancelled, the
        waiter leaves the queue and the cancellation propagates.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        timeout = check_timeout(timeout)
        core = self._core
        if core.is_set():
            await async_checkpoint()
            return True
        return await self._async_wait(core, timeout)

    def wait(self, /, timeout: float | None = None) -> bool:
        """Block the current thread or greenlet until the event is set.

        Returns False if *timeout* seconds pass first.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        timeout = check_timeout(timeout)
        core = self._core
        if core.is_set():
            green_checkpoint()
            return True
        return self._green_wait(core, timeout)

    def set(self, /) -> None:
        """Set the event and wake every waiter (FIFO); idempotent."""
        self._core.set()

    def is_set(self, /) -> bool:
        """Whether the event is set."""
        return self._core.is_set()

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the event."""
        return self._core.waiting


class _QueueBase:
    """What both kinds of queues keep: the shutdown flag and the count of
    unfinished tasks.

    The count has two parts: a deque with an entry per task put lately
    (an append is atomic, so a put needs no lock and simple queue puts
    stay safe in signal handlers) and an int into which the deque is
    folded once it holds ``_FOLD`` entries, so that a queue whose tasks
    are never marked done does not grow. Folding and ``task_done()`` take
    a thread lock; a put only tries it and folds later if it is taken, so
    a put in a signal handler never waits for it.
    """

    __slots__ = ("_folded", "_shut", "_tally", "_tally_lock")

    def _init_tasks(self, count: int) -> None:
        self._shut = False
        self._tally: deque[None] = deque()
        self._folded = count
        self._tally_lock = create_thread_lock()

    def _unfinished_up(self) -> None:
        # one item more was stored
        tally = self._tally
        tally.append(None)
        if len(tally) >= _FOLD and self._tally_lock.acquire(False):
            try:
                count = len(tally)
                # the int first: meanwhile a reader sees too many tasks,
                # never too few (a join must not pass early); only the
                # holder of the lock pops
                self._folded += count
                for _ in range(count):
                    tally.pop()
            finally:
                self._tally_lock.release()

    def _unfinished_down(self, strict: bool) -> int:
        # One task less; below zero is an error if *strict*, else ignored.
        with self._tally_lock:
            try:
                self._tally.pop()
            except IndexError:
                if self._folded:
                    self._folded -= 1
                elif strict:
                    msg = "task_done() called too many times"
                    raise ValueError(msg) from None
            return len(self._tally) + self._folded

    @property
    def unfinished_tasks(self) -> int:
        """The number of items put and not yet marked done."""
        # the deque first: a fold moves entries from it to the int
        return len(self._tally) + self._folded

    @property
    def is_shutdown(self) -> bool:
        """Whether ``shutdown()`` was called."""
        return self._shut


class SimpleQueueCore(_QueueBase):
    """The hot paths of the simple queues: puts, and gets that need not wait.

    ``_init_core()`` takes the storage (a deque) and the order of gets.
    Each stored item is one permit of the counter, released after the
    item is stored. Once shut down, the counter is flooded with permits:
    every getter, waiting or to come, takes an item while there are any,
    and then finds none and is refused. Every stored item is also an
    unfinished task until ``_unfinished_down()`` (task_done) counts it.
    Subclasses provide the slow paths: ``_green_get_wait``/
    ``_async_get_wait`` (fail at once, or queue and wait for an item, then
    take it with ``_pop``), and ``_raise_shut_down()``.
    """

    __slots__ = ("_core", "_data", "_lifo")

    if TYPE_CHECKING:
        # the slow paths, provided by the subclasses

        def _raise_shut_down(self) -> NoReturn: ...

        def _green_get_wait(
            self, blocking: bool, timeout: float | None
        ) -> Any: ...

        async def _async_get_wait(
            self, blocking: bool, timeout: float | None
        ) -> Any: ...

    def _init_core(self, data: deque[Any], lifo: bool) -> None:
        self._data = data
        self._lifo = lifo
        self._core = PermitCounter(len(data))
        self._init_tasks(len(data))

    def put(self, /, item: Any) -> None:
        """Append *item*; never blocks, never yields.

        Safe in signal handlers: it never waits for a lock. Raises
        ``QueueShutDown`` once the queue is shut down.
        """
        if self._shut:
            self._raise_shut_down()
        self._unfinished_up()
        self._data.append(item)
        # the item is stored before its permit is visible
        self._core.release(1)

    async def async_put(
        self,
        /,
        item: Any,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> None:
        """Append *item*; never waits.

        With ``blocking=True`` (``timeout`` is only validated) one
        checkpoint comes first: cancelled there, nothing is put.
        """
        if blocking:
            check_timeout(timeout)
            await async_checkpoint()
        self.put(item)

    def green_put(
        self,
        /,
        item: Any,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> None:
        """Append *item*; never waits.

        With ``blocking=True`` (``timeout`` is only validated) one
        checkpoint comes first: interrupted there, nothing is put.
        """
        if blocking:
            check_timeout(timeout)
            green_checkpoint()
        self.put(item)

    async def async_get(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> Any:
        """Remove and return the next item, waiting in the current task.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Cancelled while waiting: no item is
        taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        core = self._core
        if not core.try_acquire():
            return await self._async_get_wait(blocking, timeout)
        if blocking:
            try:
                await async_checkpoint()
            except BaseException:
                # the item was not popped yet: its permit is enough
                core.release(1)
                raise
        return self._pop()

    def green_get(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> Any:
        """Remove and return the next item, blocking this thread/greenlet.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Interrupted while waiting: no item
        is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
        core = self._core
        if not core.try_acquire():
            return self._green_get_wait(blocking, timeout)
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # the item was not popped yet: its permit is enough
                core.release(1)
                raise
        return self._pop()

    def _pop(self) -> Any:
        # a permit was taken: an item is there, unless the queue was shut
        # down (its flood of permits outnumbers the items)
        try:
            if self._lifo:
                return self._data.pop()
            return self._data.popleft()
        except IndexError:
            if not self._shut:
                raise
        self._raise_shut_down()

    def _shut_down(self, immediate: bool) -> None:
        # Refuse puts from now on; hand every getter a permit; with
        # *immediate*, drop the items (each counts as a finished task).
        with _SHUT_DOWN_LOCK:
            first = not self._shut
            self._shut = True
        if immediate:
            data = self._data
            while data:
                try:
                    data.pop()
                except IndexError:  # taken by a getter meanwhile
                    break
                self._unfinished_down(False)
        if first:
            self._core.release(_FLOOD)

    @property
    def getting(self) -> int:
        """The number of tasks waiting for an item."""
        return self._core.waiting

    @property
    def waiting(self) -> int:
        """The number of waiting tasks (getters only)."""
        return self._core.waiting


#: The permits a shut-down simple queue adds: more than its getters can
#: ever take, far fewer than a counter can hold.
_FLOOD: Final = sys.maxsize // 4

#: Makes the first ``shutdown()`` of a queue known (shutdowns are rare).
_SHUT_DOWN_LOCK: Final = create_thread_lock()


#: How ``QueueCore`` stores and takes items: through the subclass's
#: ``_put``/``_get`` hooks, or, when those are the stock ones, directly.
STORAGE_HOOKS: Final = 0
STORAGE_FIFO: Final = 1  # a deque: append, popleft
STORAGE_LIFO: Final = 2  # a list: append, pop
STORAGE_HEAP: Final = 3  # a list kept as a binary heap


class QueueCore(_QueueBase):
    """The hot paths of the complex queues: puts and gets that need not wait.

    Every state change happens under ``_lock`` (an original thread lock,
    held only for the change itself). ``_init_core()`` sets the capacity,
    runs the ``_init`` hook that makes ``_data`` and records the storage
    kind. A shut-down queue has no room (puts go to the slow paths, which
    refuse them). Every stored item is also an unfinished task until
    ``_unfinished_down()`` (task_done) counts it. Subclasses provide the
    slow paths: ``_green_put_wait``/``_async_put_wait`` (item, blocking,
    timeout) and ``_green_get_wait``/``_async_get_wait`` (blocking,
    timeout), which fail at once when not blocking and else queue and
    wait; ``_feed_getters()``, which hands stored items to waiting
    getters, and ``_feed_putters()``, which stores the items of waiting
    putters.
    """

    __slots__ = (
        "_bound",
        "_data",
        "_getters",
        "_lock",
        "_maxsize",
        "_putters",
        "_storage",
    )

    #: what ``_try_get()`` returns when no item could be taken
    _NO_ITEM: Final[Any] = object()

    # made by the ``_init`` hook
    _data: Any

    if TYPE_CHECKING:
        # the storage hooks and the slow paths, provided by the subclasses

        def _init(self, items: Any, maxsize: int) -> None: ...

        def _put(self, item: Any) -> None: ...

        def _get(self) -> Any: ...

        def _feed_getters(self) -> None: ...

        def _feed_putters(self) -> None: ...

        def _raise_shut_down(self) -> NoReturn: ...

        def _green_put_wait(
            self, item: Any, blocking: bool, timeout: float | None
        ) -> None: ...

        async def _async_put_wait(
            self, item: Any, blocking: bool, timeout: float | None
        ) -> None: ...

        def _green_get_wait(
            self, blocking: bool, timeout: float | None
        ) -> Any: ...

        async def _async_get_wait(
            self, blocking: bool, timeout: float | None
        ) -> Any: ...

    def _init_core(self, items: Any, maxsize: Any, storage: int) -> None:
        self._maxsize = maxsize
        # room while len(data) < bound; 0: unbounded
        if not maxsize or maxsize >= sys.maxsize:
            self._bound = 0
        else:
            self._bound = ceil(maxsize)
        self._getters: deque[Any] = deque()
        self._putters: deque[Any] = deque()
        self._lock = create_thread_lock()
        self._init(items, maxsize)
        self._storage = storage
        self._init_tasks(len(self._data))

    # -- storage (with the lock held) ----------------------------------------

    def _store(self, item: Any) -> None:
        storage = self._storage
        if storage == STORAGE_HEAP:
            heap_push(self._data, item)
        elif storage:
            self._data.append(item)
        else:
            self._put(item)

    def _take(self) -> Any:
        storage = self._storage
        if storage == STORAGE_FIFO:
            return self._data.popleft()
        if storage == STORAGE_LIFO:
            return self._data.pop()
        if storage == STORAGE_HEAP:
            return heap_pop(self._data)
        return self._get()

    def _has_room(self) -> bool:
        if self._putters or self._shut:
            return False
        bound = self._bound
        return not bound or len(self._data) < bound

    def _has_item(self) -> bool:
        return not self._getters and len(self._data) > 0

    def _try_put(self, item: Any) -> bool:
        if not self._has_room():
            return False
        self._store(item)
        self._unfinished_up()
        if self._getters:
            self._feed_getters()
        return True

    def _try_get(self) -> Any:
        if not self._has_item():
            return self._NO_ITEM
        item = self._take()
        if self._putters:
            self._feed_putters()
        return item

    # -- the calls ------------------------------------------------------------

    async def async_put(
        self,
        /,
        item: Any,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> None:
        """Store *item*, waiting in the current task while the queue is full.

        Raises ``QueueFull`` on timeout or, with ``blocking=False``, when
        there is no room at once. Cancelled while waiting: the item is not
        stored, unless room had already been handed over.
        """
        if blocking:
            timeout = check_timeout(timeout)
            if not self._has_room():  # a guess without the lock
                return await self._async_put_wait(item, True, timeout)
            await async_checkpoint()
        with self._lock:
            if self._try_put(item):
                return None
        return await self._async_put_wait(item, blocking, timeout)

    def green_put(
        self,
        /,
        item: Any,
        *,
        blocking: bool = True,
        timeout: float | None = None,
    ) -> None:
        """Store *item*, blocking this thread/greenlet while it is full.

        Raises ``QueueFull`` on timeout or, with ``blocking=False``, when
        there is no room at once. Interrupted while waiting: the item is
        not stored, unless room had already been handed over.
        """
        if blocking:
            timeout = check_timeout(timeout)
            if not self._has_room():  # a guess without the lock
                return self._green_put_wait(item, True, timeout)
            green_checkpoint()
        with self._lock:
            if self._try_put(item):
                return None
        return self._green_put_wait(item, blocking, timeout)

    async def async_get(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> Any:
        """Remove and return the next item, waiting in the current task.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Cancelled while waiting: no item is
        taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
            if not self._has_item():  # a guess without the lock
                return await self._async_get_wait(True, timeout)
            await async_checkpoint()
        with self._lock:
            item = self._try_get()
        if item is not self._NO_ITEM:
            return item
        return await self._async_get_wait(blocking, timeout)

    def green_get(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> Any:
        """Remove and return the next item, blocking this thread/greenlet.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Interrupted while waiting: no item
        is taken or lost.
        """
        if blocking:
            timeout = check_timeout(timeout)
            if not self._has_item():  # a guess without the lock
                return self._green_get_wait(True, timeout)
            green_checkpoint()
        with self._lock:
            item = self._try_get()
        if item is not self._NO_ITEM:
            return item
        return self._green_get_wait(blocking, timeout)

    def _mark_shut_down(self) -> None:
        # from now on there is no room (with the lock held)
        self._shut = True

    @property
    def maxsize(self) -> Any:
        """The capacity; 0 when the queue is unbounded."""
        return self._maxsize

    @property
    def putting(self) -> int:
        """The number of tasks waiting for room."""
        return len(self._putters)

    @property
    def getting(self) -> int:
        """The number of tasks waiting for an item."""
        return len(self._getters)

    @property
    def waiting(self) -> int:
        """The number of waiting tasks, putters and getters."""
        return len(self._putters) + len(self._getters)


# The heap operations lay items out exactly as heapq does (so reprs
# match), but first do every comparison and only then move items: a
# raising ``__lt__`` leaves the heap untouched. heapq moves items while it
# compares, and its pure-Python version (PyPy) can then lose an item.


def heap_push(heap: list[Any], item: Any) -> None:
    """Add *item* to the binary heap *heap* (a list)."""
    pos = len(heap)
    while pos:
        parent = (pos - 1) >> 1
        if item < heap[parent]:
            pos = parent
        else:
            break
    heap.append(item)
    hole = len(heap) - 1
    while hole > pos:
        parent = (hole - 1) >> 1
        heap[hole] = heap[parent]
        hole = parent
    heap[pos] = item


def heap_pop(heap: list[Any]) -> Any:
    """Remove and return the smallest item of the binary heap *heap*."""
    size = len(heap) - 1  # the size after the pop
    if size <= 0:
        return heap.pop()
    last = heap[size]
    # the path of smaller children from the root down to a leaf, as if the
    # root were empty (it is compared with nothing in that phase)
    path = [0]
    child = 1
    while child < size:
        right = child + 1
        if right < size and not heap[child] < heap[right]:
            child = right
        path.append(child)
        child = 2 * child + 1
    # where ``last`` settles on that path, sifting up from the leaf
    index = len(path) - 1
    while index and last < heap[path[index]]:
        index -= 1
    # every comparison is done: move the items
    result = heap[0]
    for i in range(index):
        heap[path[i]] = heap[path[i + 1]]
    heap[path[index]] = last
    heap.pop()
    return result
