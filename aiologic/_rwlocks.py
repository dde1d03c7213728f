# SPDX-License-Identifier: MIT

"""A readers-writer lock: many readers together, or one writer alone.

Fairness policy: one FIFO queue of waiters, readers and writers in
arrival order. A writer is admitted when nobody holds the lock and it is
first in the queue; readers are admitted when no writer holds the lock
and no writer waits ahead of them, so a release admits the whole run of
readers at the head of the queue at once. A newcomer never overtakes a
queued waiter: a reader arriving while a writer waits queues behind it
(a stream of readers cannot keep a writer out), and a writer arriving
while readers wait queues behind them (a stream of writers cannot keep
the readers out).

Every state transition (take, release, queue, leave the queue) runs in
a short critical section under an original thread lock, held for a few
statements and the ``set()`` of waiter events, never for a wait. That is
what makes the lock safe without the GIL: the holders, the queue and the
admission are one state, changed only under that lock.

Hand-off is direct: the state is changed for a waiter (it becomes the
writer, or one of the readers) before its event is set. If the event
cannot be set (its waiter timed out or was cancelled at that moment),
the change is undone and the admission goes on with the next waiter. A
waiter whose event was set keeps what it was handed even if its timeout
expired at the same moment; one that is cancelled after that releases
it again. A waiter that gives up leaves the queue and re-runs the
admission, since the waiters behind it may be admissible now.

Invariant, true whenever the thread lock is free and every queued waiter
is live: the head of the queue cannot be admitted (a writer at the head
waits for the holders, a reader at the head for the writer). A blocking
call that does not have to wait passes one checkpoint, and a
cancellation delivered there gives the lock back.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ._utils import check_timeout
from .lowlevel import (
    async_checkpoint,
    current_async_task_ident,
    current_green_task_ident,
    green_checkpoint,
)
from .lowlevel._events import create_async_event, create_green_event
from .lowlevel._thread_locks import create_thread_lock

if TYPE_CHECKING:
    from _thread import LockType

__all__ = ("RWLock",)

# which side a waiter or a call is on
_READ = False
_WRITE = True


class RWLock:
    """A readers-writer lock: many readers together, or one writer alone.

    Use it through its two views, ``rwlock.reader`` and
    ``rwlock.writer``; each has ``green_acquire``/``async_acquire``,
    ``green_release``/``async_release``, ``locked()`` and works with
    ``with`` and ``async with``.

    Fairness: waiters form one FIFO queue, readers and writers in arrival
    order, served by direct hand-off (no barging). A writer enters when
    the lock is free and it is first in the queue; the readers at the
    head of the queue enter together once no writer holds the lock. A
    reader never overtakes a waiting writer, nor a writer waiting
    readers, so neither side can be starved by the other. Writers are
    served in FIFO order.

    Ownership: the writer is a task (thread, greenlet, asyncio or trio
    task); acquiring the writer again raises ``RuntimeError``, as with
    ``Lock``. Reads are counted per task: a task that holds the reader
    may acquire it again at once (it does not queue behind a waiting
    writer, which would deadlock), and must release it as often. There
    is no upgrade or downgrade: asking for the writer while holding the
    reader, or for the reader while holding the writer, raises
    ``RuntimeError`` instead of deadlocking.

    A waiter that times out or is cancelled leaves the queue; if it had
    already been handed the lock, it keeps it on timeout and passes it on
    when cancelled. Thread-safe: every method may be called from any
    thread, task or greenlet.
    """

    __slots__ = (
        "__weakref__",
        "_lock",
        "_reader",
        "_readers",
        "_waiters",
        "_waiting_readers",
        "_waiting_writers",
        "_writer",
        "_writer_view",
    )

    _lock: LockType
    _writer: Any  # the writer's task ident, None when unlocked
    _readers: dict[Any, int]
    _waiters: deque[Any]
    _waiting_readers: int
    _waiting_writers: int
    _reader: RWLockReader
    _writer_view: RWLockWriter

    def __new__(cls) -> Any:
        self = object.__new__(cls)
        self._lock = create_thread_lock()
        self._writer = None  # the writer's task ident
        self._readers = {}  # task ident -> read depth
        # entries: (event, side, task ident)
        self._waiters = deque()
        self._waiting_readers = 0
        self._waiting_writers = 0
        self._reader = RWLockReader(self)
        self._writer_view = RWLockWriter(self)
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> RWLock:
        return type(self)()

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        return f"<{name}() at {id(self):#x} [{self._state()}]>"

    def __bool__(self) -> bool:
        return self.locked()

    def _state(self) -> str:
        with self._lock:
            writer = self._writer
            readers = len(self._readers)
            waiting = len(self._waiters)
        if writer is not None:
            return f"write-locked, waiting={waiting}"
        if readers:
            return f"read-locked, readers={readers}, waiting={waiting}"
        return "unlocked"

    @property
    def reader(self) -> RWLockReader:
        """The view that acquires the lock for reading (shared)."""
        return self._reader

    @property
    def writer(self) -> RWLockWriter:
        """The view that acquires the lock for writing (exclusive)."""
        return self._writer_view

    @property
    def readers(self) -> int:
        """The number of tasks holding the lock for reading."""
        return len(self._readers)

    @property
    def waiting(self) -> int:
        """The number of tasks waiting, for reading or for writing."""
        return len(self._waiters)

    def locked(self) -> bool:
        """Whether any task holds the lock, for reading or for writing."""
        return self._writer is not None or bool(self._readers)

    # -- state transitions (called with the thread lock held) -----------

    def _take(self, task: Any, side: bool) -> bool:
        # take the lock without waiting if the policy allows it now
        if side is _WRITE:
            if self._writer == task:
                msg = "the current task is already holding this lock"
                raise RuntimeError(msg)
            if task in self._readers:
                msg = (
                    "the current task is holding this lock for reading"
                    " (no upgrade to writing)"
                )
                raise RuntimeError(msg)
            if (
                self._writer is None
                and not self._readers
                and not self._waiters
            ):
                self._writer = task
                return True
            return False
        if self._writer == task:
            msg = (
                "the current task is holding this lock for writing"
                " (no downgrade to reading)"
            )
            raise RuntimeError(msg)
        readers = self._readers
        depth = readers.get(task)
        if depth is not None:
            # a nested read; queueing behind a writer would deadlock
            readers[task] = depth + 1
            return True
        if self._writer is None and not self._waiters:
            readers[task] = 1
            return True
        return False

    def _enqueue(self, entry: tuple[Any, bool, Any]) -> None:
        self._waiters.append(entry)
        if entry[1] is _WRITE:
            self._waiting_writers += 1
        else:
            self._waiting_readers += 1

    def _dequeued(self, entry: tuple[Any, bool, Any]) -> None:
        if entry[1] is _WRITE:
            self._waiting_writers -= 1
        else:
            self._waiting_readers -= 1

    def _admit(self) -> None:
        # hand the lock to the waiters at the head of the queue that the
        # policy admits now, skipping those that already gave up
        waiters = self._waiters
        readers = self._readers
        while waiters and self._writer is None:
            entry = waiters[0]
            event, side, task = entry
            if side is _WRITE:
                if readers:
                    return
                waiters.popleft()
                self._dequeued(entry)
                self._writer = task
                if event.set():
                    return
                self._writer = None  # that writer already gave up
            else:
                waiters.popleft()
                self._dequeued(entry)
                readers[task] = 1
                if not event.set():
                    del readers[task]  # that reader already gave up

    def _release_locked(self, task: Any, side: bool) -> None:
        if side is _WRITE:
            writer = self._writer
            if writer != task:
                if writer is None:
                    msg = "release unlocked lock"
                else:
                    msg = "the current task is not holding this lock"
                raise RuntimeError(msg)
            self._writer = None
        else:
            readers = self._readers
            depth = readers.get(task)
            if depth is None:
                if readers:
                    msg = "the current task is not holding this lock"
                else:
                    msg = "release unlocked lock"
                raise RuntimeError(msg)
            if depth > 1:
                readers[task] = depth - 1
                return
            del readers[task]
            if readers:
                return
        self._admit()

    # -- the calls of the views ------------------------------------------

    def _release(self, task: Any, side: bool) -> None:
        with self._lock:
            self._release_locked(task, side)

    def _discard(self, entry: tuple[Any, bool, Any]) -> None:
        # a waiter gave up before it was handed the lock
        with self._lock:
            try:
                self._waiters.remove(entry)
            except ValueError:
                return  # already skipped by an admission
            self._dequeued(entry)
            # the waiters behind it may be admissible now
            self._admit()

    def _abandon(self, entry: tuple[Any, bool, Any]) -> None:
        # a waiter's wait raised, or an exception came before the wait
        # began (its event is still pending then: cancelled here, so that
        # no admission reaches it once it leaves the queue); a lock it was
        # handed meanwhile is passed on
        event, side, task = entry
        if event.cancel() or not event.is_set():
            self._discard(entry)
        else:
            self._release(task, side)

    def _green_acquire(self, side: bool, blocking: bool, timeout: Any) -> bool:
        if blocking:
            timeout = check_timeout(timeout)
        task = current_green_task_ident()
        lock = self._lock
        with lock:
            taken = self._take(task, side)
        if not taken:
            if not blocking:
                return False
            event = create_green_event()
            entry = (event, side, task)
            # queued inside the try: an exception before the wait began
            # must not leave an entry that a hand-off would be lost to
            try:
                with lock:
                    # the state may have changed while the event was made
                    taken = self._take(task, side)
                    if not taken:
                        self._enqueue(entry)
                if not taken:
                    success = event.wait(timeout)
                    if not success:
                        self._discard(entry)
                    return success  # type: ignore[no-any-return]
            except BaseException:
                if taken:
                    self._release(task, side)
                else:
                    self._abandon(entry)
                raise
        if blocking:
            try:
                green_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, side)
                raise
        return True

    async def _async_acquire(
        self, side: bool, blocking: bool, timeout: Any
    ) -> bool:
        if blocking:
            timeout = check_timeout(timeout)
        task = current_async_task_ident()
        lock = self._lock
        with lock:
            taken = self._take(task, side)
        if not taken:
            if not blocking:
                return False
            event = create_async_event()
            entry = (event, side, task)
            # queued inside the try, as for green waiters
            try:
                with lock:
                    # the state may have changed while the event was made
                    taken = self._take(task, side)
                    if not taken:
                        self._enqueue(entry)
                if not taken:
                    if timeout is None:
                        success = await event
                    else:
                        success = await event.with_(timeout)
                    if not success:
                        self._discard(entry)
                    return success  # type: ignore[no-any-return]
            except BaseException:
                if taken:
                    self._release(task, side)
                else:
                    self._abandon(entry)
                raise
        if blocking:
            try:
                await async_checkpoint()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, side)
                raise
        return True


class _RWLockView:
    """What the reader and the writer views of an ``RWLock`` share."""

    __slots__ = ("__weakref__", "_rwlock")

    _rwlock: RWLock

    if TYPE_CHECKING:

        def locked(self) -> bool: ...

    _side = _READ
    _name = "reader"

    def __new__(cls, rwlock: RWLock) -> Any:
        self = object.__new__(cls)
        self._rwlock = rwlock
        return self

    def __reduce__(self) -> Any:
        # a view stands for its lock: pickled with it (as a fresh lock)
        return (getattr, (self._rwlock, self._name))

    def __repr__(self) -> str:
        rwlock = self._rwlock
        name = f"aiologic.{type(rwlock).__qualname__}"
        return (
            f"<{name}().{self._name} at {id(rwlock):#x} [{rwlock._state()}]>"
        )

    def __bool__(self) -> bool:
        return self.locked()

    def __enter__(self) -> Any:
        self._rwlock._green_acquire(self._side, True, None)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._rwlock._release(current_green_task_ident(), self._side)

    async def __aenter__(self) -> Any:
        await self._rwlock._async_acquire(self._side, True, None)
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        self._rwlock._release(current_async_task_ident(), self._side)

    @property
    def rwlock(self) -> RWLock:
        """The readers-writer lock this is a view of."""
        return self._rwlock

    async def async_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Acquire the lock in the current async task.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock cannot be had at once (the call
        then neither waits nor checkpoints). Cancelled while waiting: the
        task leaves the queue and the lock is not taken (handed to it at
        that moment, it is passed on).
        """
        return await self._rwlock._async_acquire(self._side, blocking, timeout)

    def green_acquire(
        self, /, *, blocking: bool = True, timeout: float | None = None
    ) -> bool:
        """Acquire the lock in the current thread or greenlet.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock cannot be had at once. A
        greenlet killed while waiting leaves the queue.
        """
        return self._rwlock._green_acquire(self._side, blocking, timeout)

    def async_release(self) -> None:
        """Release the lock held by the current async task."""
        self._rwlock._release(current_async_task_ident(), self._side)

    def green_release(self) -> None:
        """Release the lock held by the current thread or greenlet."""
        self._rwlock._release(current_green_task_ident(), self._side)


class RWLockReader(_RWLockView):
    """The reading side of an ``RWLock``: shared with other readers.

    A task holding it may acquire it again at once (reads nest) and must
    release it as many times.
    """

    __slots__ = ()

    def locked(self) -> bool:
        """Whether any task holds the lock for reading."""
        return bool(self._rwlock._readers)

    def async_owned(self) -> bool:
        """Whether the current async task holds the lock for reading."""
        return current_async_task_ident() in self._rwlock._readers

    def green_owned(self) -> bool:
        """Whether the current thread or greenlet holds it for reading."""
        return current_green_task_ident() in self._rwlock._readers

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock for reading."""
        return self._rwlock._waiting_readers


class RWLockWriter(_RWLockView):
    """The writing side of an ``RWLock``: exclusive, owned by one task."""

    __slots__ = ()

    _side = _WRITE
    _name = "writer"

    def locked(self) -> bool:
        """Whether a task holds the lock for writing."""
        return self._rwlock._writer is not None

    def async_owned(self) -> bool:
        """Whether the current async task holds the lock for writing."""
        return self._rwlock._writer == current_async_task_ident()

    def green_owned(self) -> bool:
        """Whether the current thread or greenlet holds it for writing."""
        return self._rwlock._writer == current_green_task_ident()

    @property
    def owner(self) -> Any:
        """The ``(library, id)`` of the writer, None when there is none."""
        return self._rwlock._writer

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock for writing."""
        return self._rwlock._waiting_writers
