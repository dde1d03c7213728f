# SPDX-License-Identifier: MIT

"""Queues shared by threads, greenlets and async tasks of any event loop.

Simple queues (``SimpleQueue``, ``SimpleLifoQueue``) are unbounded: a
deque of items plus a permit counter whose value is the item count. A put
appends, then releases one permit, so a permit always stands for an item
already stored; a getter takes a permit (FIFO, handed over directly to
waiting getters), then pops. No lock is involved, which makes ``put()``
usable from signal handlers.

Complex queues (``Queue``, ``LifoQueue``, ``PriorityQueue``) may be
bounded and call overridable storage hooks, so each state transition runs
in a short critical section under an original (unpatched) thread lock. It
is held only for the transition itself: the storage hooks, a few
container operations and ``set()`` of waiter events, never for a wait.
Waiters queue as small lists that carry the payload:

* a getter ``[event, item]`` is handed an item (taken out of the storage
  with ``_get()``) before its event is set. If its event cannot be set
  (it timed out or was cancelled at that moment), the item goes on to the
  next getter, or back to the front of the storage.
* a putter ``[event, item, state]`` has its item stored with ``_put()``
  right after its event is set; ``state`` then tells it whether that
  worked. A putter that sees the state still pending waits for the lock
  once, so it never reads it before the storage hook returned.

Invariants, true whenever the lock is free: getters wait only while the
storage is empty, putters only while it is full (dead entries of waiters
that gave up aside, which the hand-off loops skip). So a non-blocking put
succeeds whenever there is room and no putter waits, and a non-blocking
get whenever an item is stored and no getter waits: a woken waiter that
has not run yet never blocks newcomers. A waiter whose event was set keeps
what it was handed even if its timeout expired at the same moment.

A blocking call that does not have to wait passes one checkpoint, and a
cancellation delivered there leaves the queue as it was: complex queues
pass it before they change anything, simple-queue getters return the
permit they took (the item was not popped yet).

Shutdown: a complex queue, under its lock, marks itself shut (it then has
no room, so every put reaches a slow path that refuses it) and hands each
waiting getter and putter a "shut down" marker instead of an item or
room. A simple queue has no lock to do that under: it floods its counter
with permits instead, so that every getter, waiting or to come, takes a
permit, pops an item while there are any, and is refused once there are
none. Joining: the core counts unfinished tasks without a lock (up with
each stored item, down with ``task_done()``); joiners queue an event and
look at the count again, so a count that reached zero is never missed.
"""

from __future__ import annotations

import warnings
from collections import deque
from heapq import heapify
from typing import Any, Generic, Iterable, TypeVar

from ._impl import (
    STORAGE_FIFO,
    STORAGE_HEAP,
    STORAGE_HOOKS,
    STORAGE_LIFO,
    QueueCore,
    SimpleQueueCore,
    heap_pop,
    heap_push,
)
from ._utils import check_timeout
from ._waiting import async_wait_permit, green_wait_permit
from .lowlevel import async_checkpoint, green_checkpoint
from .lowlevel._events import create_async_event, create_green_event
from .meta import MISSING, MissingType

__all__ = (
    "LifoQueue",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
    "SimpleLifoQueue",
    "SimpleQueue",
)

_T = TypeVar("_T")

# private markers: never visible to users, so never confused with items
_NO_ITEM: Any = QueueCore._NO_ITEM  # nothing could be taken
_PENDING: Any = object()  # a woken putter's item is being stored
_STORED: Any = object()  # a woken putter's item is stored
_SHUT_DOWN: Any = object()  # a waiter was woken by shutdown()


class QueueEmpty(Exception):
    """Raised by a get that found no item (non-blocking or timed out)."""


class QueueFull(Exception):
    """Raised by a put that found no room (non-blocking or timed out)."""


class QueueShutDown(Exception):
    """Raised by a put on a shut-down queue, and by a get on a shut-down
    queue that has no item left."""


class _JoinWaiters:
    """The tasks waiting in ``join()`` for the unfinished count to be 0.

    A joiner queues its event, then looks at the count once more: a
    ``task_done()`` that reached zero before the event was queued is not
    missed. Lock-free (deque appends and pops), as the simple queues are.
    """

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: deque[Any] = deque()

    def wake_all(self) -> None:
        # the count reached zero: everyone waiting so far may go
        events = self._events
        while events:
            try:
                event = events.popleft()
            except IndexError:  # emptied by another waker
                break
            event.set()

    def _leave(self, event: Any) -> None:
        try:
            self._events.remove(event)
        except ValueError:
            pass  # already taken by a waker

    def _queue(self, event: Any, queue: Any) -> None:
        self._events.append(event)
        if not queue.unfinished_tasks:
            # zero was reached meanwhile: no wait, and no entry left behind
            self._leave(event)
            event.set()

    def green_wait(self, queue: Any, timeout: float | None) -> bool:
        timeout = check_timeout(timeout)
        if not queue.unfinished_tasks:
            green_checkpoint()
            return True
        event = create_green_event()
        try:
            self._queue(event, queue)
            success = event.wait(timeout)
        except BaseException:
            if not event.is_set():
                self._leave(event)
            raise
        if not success:
            self._leave(event)
        return success  # type: ignore[no-any-return]

    async def async_wait(self, queue: Any, timeout: float | None) -> bool:
        timeout = check_timeout(timeout)
        if not queue.unfinished_tasks:
            await async_checkpoint()
            return True
        event = create_async_event()
        try:
            self._queue(event, queue)
            if timeout is None:
                success = await event
            else:
                success = await event.with_(timeout)
        except BaseException:
            if not event.is_set():
                self._leave(event)
            raise
        if not success:
            self._leave(event)
        return success  # type: ignore[no-any-return]


class _QueueCommon:
    """What both kinds of queues add to their core: ``task_done()``, the
    joins, and the error the core raises on a shut-down queue."""

    __slots__ = ()

    _joiners: _JoinWaiters

    def task_done(self) -> None:
        """Mark one item taken out of the queue as processed.

        When every item put has been marked so, the tasks waiting in a
        join are woken. Raises ``ValueError`` if called more times than
        items were put.
        """
        if not self._unfinished_down(True):  # type: ignore[attr-defined]
            self._joiners.wake_all()

    def green_join(self, /, *, timeout: float | None = None) -> bool:
        """Block this thread/greenlet until every item is marked done.

        Returns True then (at once, after a checkpoint, when nothing is
        unfinished), False on timeout.
        """
        return self._joiners.green_wait(self, timeout)

    async def async_join(self, /, *, timeout: float | None = None) -> bool:
        """Wait in the current task until every item is marked done.

        Returns True then (at once, after a checkpoint, when nothing is
        unfinished), False on timeout. Cancelled: the task stops waiting.
        """
        return await self._joiners.async_wait(self, timeout)

    def _raise_shut_down(self) -> None:
        raise QueueShutDown


def _snapshot(data: Any) -> list[Any]:
    # a copy for repr/pickle that never takes the queue's lock (hooks may
    # call repr); another thread mutating meanwhile just means a retry
    while True:
        try:
            return list(data)
        except RuntimeError:
            continue


def _items_args(data: Any, action: str) -> tuple[Any, ...]:
    # the constructor's items argument for a copy or a pickle: contents
    # are still preserved, with a warning that this will change
    items = tuple(_snapshot(data))
    if not items:
        return ()
    warnings.warn(
        f"{action} will no longer preserve the state in the future",
        DeprecationWarning,
        stacklevel=3,  # the caller of __copy__ / __getnewargs__
    )
    return (items,)


class SimpleQueue(SimpleQueueCore, _QueueCommon, Generic[_T]):
    """An unbounded FIFO queue with non-blocking, signal-safe puts.

    Getters are served in arrival order, each by direct hand-off of the
    next item. A getter that times out raises ``QueueEmpty``; one that is
    cancelled leaves the queue, and an item handed to it at that moment
    stays in the queue for the next getter. Thread-safe: every method may
    be called from any thread, task or greenlet.
    """

    __slots__ = ("__weakref__", "_joiners")

    _data: deque[_T]

    #: whether gets take the newest item (SimpleLifoQueue)
    _LIFO = False

    def __new__(cls, items: Iterable[_T] | MissingType = MISSING, /) -> Any:
        self = SimpleQueueCore.__new__(cls)
        data = deque() if items is MISSING else deque(items)  # type: ignore
        self._init_core(data, cls._LIFO)
        self._joiners = _JoinWaiters()
        return self

    def shutdown(self, /, immediate: bool = False) -> None:
        """Refuse puts from now on: they raise ``QueueShutDown``.

        Gets go on while items remain, then raise ``QueueShutDown``, and
        so do the getters waiting now. With ``immediate=True`` the items
        left are dropped (each counts as done for the joins). Idempotent.
        """
        self._shut_down(immediate)
        if immediate and not self.unfinished_tasks:
            self._joiners.wake_all()

    def __getnewargs__(self) -> tuple[Any, ...]:
        return _items_args(self._data, "Pickling")

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Any:
        return type(self)(*_items_args(self._data, "Copying"))

    def copy(self) -> Any:
        """Deprecated: use ``copy.copy(queue)``."""
        warnings.warn(
            "Use copy.copy(queue) instead", DeprecationWarning, stacklevel=2
        )
        return self.__copy__()

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        items = _snapshot(self._data)
        if items:
            state = f"length={len(items)}"
        else:
            state = f"length=0, getting={self._core.waiting}"
        return f"<{name}({items!r}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return bool(self._data)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def putting(self) -> int:
        """Always 0: puts never wait."""
        return 0

    # The slow paths: no item is there.

    async def _async_get_wait(
        self, blocking: bool, timeout: float | None
    ) -> _T:
        if not blocking or not await async_wait_permit(
            self._core, None, timeout
        ):
            raise QueueEmpty
        return self._pop()  # type: ignore[no-any-return]

    def _green_get_wait(self, blocking: bool, timeout: float | None) -> _T:
        if not blocking or not green_wait_permit(self._core, None, timeout):
            raise QueueEmpty
        return self._pop()  # type: ignore[no-any-return]


class SimpleLifoQueue(SimpleQueue[_T]):
    """An unbounded LIFO queue with non-blocking, signal-safe puts.

    Getters are still served in arrival order; each gets the newest item.
    """

    __slots__ = ()

    _LIFO = True


class Queue(QueueCore, _QueueCommon, Generic[_T]):
    """A FIFO queue, bounded by ``maxsize`` or unbounded.

    ``Queue(5)`` is ``Queue(maxsize=5)``. Waiting getters and putters are
    served in arrival order, by direct hand-off of items and of room. A
    timed-out get raises ``QueueEmpty``, a timed-out put ``QueueFull``.
    A cancelled getter leaves the queue, and an item handed to it at that
    moment goes to the next getter (or back to the front). A cancelled
    putter leaves the queue without storing its item, unless room had
    already been handed to it: then the item is stored and the
    cancellation still propagates.

    Subclasses may override ``_init(items, maxsize)``, ``_put(item)`` and
    ``_get()``; they run under the queue's internal lock, so they must not
    block or use the queue. Thread-safe: every method may be called from
    any thread, task or greenlet.
    """

    __slots__ = ("__weakref__", "_dropping", "_joiners")

    _data: Any

    def __new__(
        cls,
        items: Iterable[_T] | MissingType | int | None = MISSING,
        /,
        maxsize: int | None = None,
    ) -> Any:
        if maxsize is None and (items is None or isinstance(items, int)):
            # ``Queue(5)`` / ``Queue(None)``: the only argument is maxsize
            maxsize, items = items, MISSING
        if maxsize is None:
            maxsize = 0
        elif maxsize <= 0 or maxsize != maxsize:  # NaN is no size either
            msg = "maxsize must be >= 1 or None"
            raise ValueError(msg)
        self = QueueCore.__new__(cls)
        self._init_core(
            () if items is MISSING else items, maxsize, _storage_of(cls)
        )
        self._joiners = _JoinWaiters()
        # once shut down immediately, the queue keeps no item: one given
        # back by a getter that gave up is dropped too
        self._dropping = False
        return self

    def shutdown(self, /, immediate: bool = False) -> None:
        """Refuse puts from now on: they raise ``QueueShutDown``, and so
        do the putters waiting now (their items are not stored).

        Gets go on while items remain, then raise ``QueueShutDown``, and
        so do the getters waiting now. With ``immediate=True`` the items
        left are dropped (each counts as done for the joins). Idempotent.
        """
        with self._lock:
            self._mark_shut_down()
            if immediate:
                self._dropping = True
                data = self._data
                while len(data):
                    self._get()
                    self._unfinished_down(False)
            # getters wait only while the storage is empty, putters only
            # while it is full: every one of them is refused
            for waiters, slot in ((self._getters, 1), (self._putters, 2)):
                while waiters:
                    entry = waiters.popleft()
                    entry[slot] = _SHUT_DOWN
                    entry[0].set()  # fails for one that gave up: no matter
        if immediate and not self.unfinished_tasks:
            self._joiners.wake_all()

    def __getnewargs__(self) -> tuple[Any, ...]:
        return self._args(_items_args(self._data, "Pickling"))

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Any:
        return type(self)(*self._args(_items_args(self._data, "Copying")))

    def _args(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        maxsize = self._maxsize
        if not maxsize:
            return args
        if not args and not isinstance(maxsize, int):
            # only an int alone is taken as maxsize
            args = ((),)
        return (*args, maxsize)

    def copy(self) -> Any:
        """Deprecated: use ``copy.copy(queue)``."""
        warnings.warn(
            "Use copy.copy(queue) instead", DeprecationWarning, stacklevel=2
        )
        return self.__copy__()

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        items = _snapshot(self._data)
        maxsize = self._maxsize
        if maxsize:
            args = f"{items!r}, maxsize={maxsize!r}"
        else:
            args = repr(items)
        length = len(items)
        if not length:
            state = f"length=0, getting={len(self._getters)}"
        elif maxsize and length >= maxsize:
            state = f"length={length}, putting={len(self._putters)}"
        else:
            state = f"length={length}"
        return f"<{name}({args}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return len(self._data) > 0

    def __len__(self) -> int:
        return len(self._data)

    # -- storage hooks (called with the internal lock held) ----------------

    def _init(self, items: Iterable[_T], maxsize: int) -> None:
        """Create the storage from *items* (``maxsize`` 0: unbounded)."""
        self._data = deque(items)

    def _put(self, item: _T) -> None:
        """Store *item*."""
        self._data.append(item)

    def _get(self) -> _T:
        """Remove and return the next item."""
        return self._data.popleft()  # type: ignore[no-any-return]

    def _unget(self, item: _T) -> None:
        # Return an item that was taken but could not be delivered so that
        # it comes out next. Only the own deque storage allows that; with
        # custom hooks, ``_put`` is all there is.
        cls = type(self)
        if (
            cls._init is Queue._init
            and cls._put is Queue._put
            and cls._get is Queue._get
        ):
            self._data.appendleft(item)
        else:
            self._put(item)

    # -- state transitions (called with the internal lock held) ------------

    def _feed_getters(self) -> None:
        # items arrived while getters wait: hand them over in FIFO order
        data = self._data
        getters = self._getters
        while getters and len(data):
            item = self._get()
            if not self._hand_to_getter(item):
                self._unget(item)
                break

    def _hand_to_getter(self, item: Any) -> bool:
        getters = self._getters
        while getters:
            entry = getters.popleft()
            entry[1] = item  # stored before the event publishes it
            if entry[0].set():
                return True
            entry[1] = _NO_ITEM  # that getter already gave up
        return False

    def _give_back(self, item: Any) -> None:
        # an item taken for someone who will not have it after all
        if self._dropping:
            # dropped as the shutdown dropped the others: a finished task
            if not self._unfinished_down(False):
                self._joiners.wake_all()
        elif not self._hand_to_getter(item):
            self._unget(item)

    def _feed_putters(self) -> None:
        # room appeared while putters wait: store their items in FIFO order
        data = self._data
        putters = self._putters
        maxsize = self._maxsize
        while putters and len(data) < maxsize:
            entry = putters.popleft()
            if not entry[0].set():
                continue  # that putter already gave up
            # the putter is committed: store its item; a failing hook is
            # reported to that putter, not to the getter that made room
            try:
                self._put(entry[1])
            except BaseException as exc:
                entry[2] = exc
            else:
                self._unfinished_up()
                entry[2] = _STORED

    def _discard(self, waiters: deque[list[Any]], entry: list[Any]) -> None:
        with self._lock:
            try:
                waiters.remove(entry)
            except ValueError:
                pass  # already dequeued by a hand-off that skipped it

    def _settle_get(self, entry: list[Any], success: bool) -> Any:
        # after a getter's wait returned normally
        if not success:
            self._discard(self._getters, entry)
            raise QueueEmpty
        item = entry[1]
        entry[1] = _NO_ITEM
        if item is _SHUT_DOWN:
            raise QueueShutDown
        return item

    def _abort_get(self, entry: list[Any]) -> None:
        # after a getter's wait raised, or an exception came before the
        # wait began (then its event is still pending: cancelled here, so
        # that no hand-off reaches it once it leaves the queue)
        if not entry[0].cancel() and entry[0].is_set():
            if entry[1] is not _SHUT_DOWN:
                with self._lock:
                    self._give_back(entry[1])
            entry[1] = _NO_ITEM
        else:
            self._discard(self._getters, entry)

    def _settle_put(self, entry: list[Any], success: bool) -> None:
        # after a putter's wait returned normally
        if not success:
            self._discard(self._putters, entry)
            raise QueueFull
        state = entry[2]
        if state is _PENDING:
            # woken before the hand-off finished storing the item
            with self._lock:
                state = entry[2]
        entry[1] = entry[2] = None
        if state is _SHUT_DOWN:
            raise QueueShutDown
        if state is not _STORED:
            try:
                raise state
            finally:
                del state

    def _abort_put(self, entry: list[Any]) -> None:
        # after a putter's wait raised, or an exception came before it (as
        # for a getter): an item already accepted stays
        if entry[0].cancel() or not entry[0].is_set():
            self._discard(self._putters, entry)

    # -- the slow paths of the core's calls --------------------------------

    def _refuse_get(self) -> None:
        # a get that will not wait found no item it could take
        if self.is_shutdown and not len(self._data):
            raise QueueShutDown
        raise QueueEmpty

    async def _async_put_wait(
        self, item: _T, blocking: bool, timeout: float | None
    ) -> None:
        if not blocking:
            raise QueueShutDown if self.is_shutdown else QueueFull
        lock = self._lock
        event = create_async_event()
        entry = [event, item, _PENDING]
        try:
            while True:
                with lock:
                    if not self._has_room():
                        if self.is_shutdown:
                            raise QueueShutDown
                        self._putters.append(entry)
                        break
                # room appeared meanwhile: pass the checkpoint first
                await async_checkpoint()
                with lock:
                    if self._try_put(item):
                        return
            if timeout is None:
                success = await event
            else:
                success = await event.with_(timeout)
        except BaseException:
            self._abort_put(entry)
            raise
        self._settle_put(entry, success)

    def _green_put_wait(
        self, item: _T, blocking: bool, timeout: float | None
    ) -> None:
        if not blocking:
            raise QueueShutDown if self.is_shutdown else QueueFull
        lock = self._lock
        event = create_green_event()
        entry = [event, item, _PENDING]
        try:
            while True:
                with lock:
                    if not self._has_room():
                        if self.is_shutdown:
                            raise QueueShutDown
                        self._putters.append(entry)
                        break
                # room appeared meanwhile: pass the checkpoint first
                green_checkpoint()
                with lock:
                    if self._try_put(item):
                        return
            success = event.wait(timeout)
        except BaseException:
            self._abort_put(entry)
            raise
        self._settle_put(entry, success)

    async def _async_get_wait(
        self, blocking: bool, timeout: float | None
    ) -> _T:
        if not blocking:
            self._refuse_get()
        lock = self._lock
        event = create_async_event()
        entry = [event, _NO_ITEM]
        try:
            while True:
                with lock:
                    if not self._has_item():
                        if self.is_shutdown and not len(self._data):
                            raise QueueShutDown
                        self._getters.append(entry)
                        break
                # an item appeared meanwhile: pass the checkpoint first
                await async_checkpoint()
                with lock:
                    item = self._try_get()
                if item is not _NO_ITEM:
                    return item  # type: ignore[no-any-return]
            if timeout is None:
                success = await event
            else:
                success = await event.with_(timeout)
        except BaseException:
            self._abort_get(entry)
            raise
        return self._settle_get(entry, success)  # type: ignore[no-any-return]

    def _green_get_wait(self, blocking: bool, timeout: float | None) -> _T:
        if not blocking:
            self._refuse_get()
        lock = self._lock
        event = create_green_event()
        entry = [event, _NO_ITEM]
        try:
            while True:
                with lock:
                    if not self._has_item():
                        if self.is_shutdown and not len(self._data):
                            raise QueueShutDown
                        self._getters.append(entry)
                        break
                # an item appeared meanwhile: pass the checkpoint first
                green_checkpoint()
                with lock:
                    item = self._try_get()
                if item is not _NO_ITEM:
                    return item  # type: ignore[no-any-return]
            success = event.wait(timeout)
        except BaseException:
            self._abort_get(entry)
            raise
        return self._settle_get(entry, success)  # type: ignore[no-any-return]


class LifoQueue(Queue[_T]):
    """A LIFO queue (a stack), bounded by ``maxsize`` or unbounded."""

    __slots__ = ()

    def _init(self, items: Iterable[_T], maxsize: int) -> None:
        self._data = list(items)

    def _put(self, item: _T) -> None:
        self._data.append(item)

    def _get(self) -> _T:
        return self._data.pop()  # type: ignore[no-any-return]

    def _unget(self, item: _T) -> None:
        self._put(item)


class PriorityQueue(Queue[_T]):
    """A queue that returns the smallest item first (a binary heap).

    Items are compared with ``<`` under the queue's internal lock. If a
    comparison raises, the exception propagates and the heap is left as
    it was.
    """

    __slots__ = ()

    def _init(self, items: Iterable[_T], maxsize: int) -> None:
        self._data = list(items)
        heapify(self._data)

    def _put(self, item: _T) -> None:
        heap_push(self._data, item)

    def _get(self) -> _T:
        return heap_pop(self._data)  # type: ignore[no-any-return]

    def _unget(self, item: _T) -> None:
        self._put(item)


def _storage_of(cls: type) -> int:
    # the core stores and takes directly when the hooks are stock ones
    return _STOCK_STORAGE.get(
        (cls._init, cls._put, cls._get),  # type: ignore[attr-defined]
        STORAGE_HOOKS,
    )


_STOCK_STORAGE = {
    (kind._init, kind._put, kind._get): storage
    for kind, storage in (
        (Queue, STORAGE_FIFO),
        (LifoQueue, STORAGE_LIFO),
        (PriorityQueue, STORAGE_HEAP),
    )
}
