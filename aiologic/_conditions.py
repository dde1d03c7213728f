# SPDX-License-Identifier: MIT

"""Condition variables over aiologic locks, thread locks, or no lock.

``Condition(lock)`` builds one of several private subclasses, picked by
the type of *lock*:

- ``_RMixedCondition`` (aiologic ``Lock``/``RLock``, the default) and
  ``_MixedCondition`` (``BinarySemaphore``) use *wait morphing*: a wait
  releases the lock and parks in the condition's queue; ``notify()`` moves
  the waiter's event into the lock's own wait queue instead of waking it.
  The waiter wakes only when the lock is handed to it, so every wait costs
  one wake-up and ``notify_all()`` causes no thundering herd.
- ``_RSyncCondition`` (objects with ``_is_owned()``, e.g.
  ``threading.RLock``) and ``_SyncCondition`` (anything else, e.g.
  ``threading.Lock``) wake the waiter, which then re-acquires the thread
  lock itself (blocking its thread, also under an event loop).
- ``_BaseCondition`` (``None``): lockless, ``with`` does nothing.

Who decides the outcome of a wait: a parked waiter carries a one-shot
claim (a one-element list, taken with one atomic ``list.pop()``). A
notifier that takes it has notified the waiter, which then returns True
whatever happens to its own timeout, so a counted notification is never
lost. A waiter whose timeout or cancellation takes it first has left, and
the notifier moves on to the next waiter. A waiter that leaves by an
exception after having been notified passes the notification on.

Every wait returns or raises with the lock re-acquired (an RLock at its
former depth): after a timeout or a cancellation the lock is re-acquired
with a shielded wait, and the cancellation is re-raised afterwards.
"""

from __future__ import annotations

import collections.abc
from itertools import count as _count
from typing import Any, Callable, Generator, Generic, TypeVar

from ._impl import WaitQueue
from ._locks import Lock, RLock
from ._semaphores import BinarySemaphore
from ._utils import check_timeout
from .lowlevel import (
    async_checkpoint,
    async_clock,
    current_async_task_ident,
    current_green_task_ident,
    green_checkpoint,
    green_clock,
)
from .lowlevel._events import create_async_event, create_green_event
from .meta import DEFAULT, DefaultType

__all__ = ("Condition",)

_T_co = TypeVar("_T_co", covariant=True)
_S_co = TypeVar("_S_co", covariant=True)
_R = TypeVar("_R")

try:
    _DEFAULT_TIMER_TYPE: Any = collections.abc.Callable[[], float]
except TypeError:  # not subscriptable before Python 3.9
    _DEFAULT_TIMER_TYPE = Callable[[], float]


def _is_default_timer(timer: object) -> bool:
    # ``itertools.count().__next__`` (any start) is what DEFAULT gives:
    # it is left out of reprs and pickles, as DEFAULT would be
    return (
        type(getattr(timer, "__self__", None)) is _count
        and getattr(timer, "__name__", None) == "__next__"
    )


def _lock_repr(lock: object) -> str:
    if lock is None:
        return "None"
    cls = type(lock)
    module = cls.__module__
    if module.startswith("aiologic._"):
        module = "aiologic"  # a public class seen from its private module
    return f"<{module}.{cls.__qualname__}>"


class _Waiter:
    """A parked waiter: its event, its claim and what notify gives it."""

    __slots__ = (
        "_claim",
        "entry",
        "error",
        "event",
        "predicate",
        "time",
        "token",
    )

    def __init__(
        self, event: Any, token: Any, time: Any, predicate: Any
    ) -> None:
        self.event = event
        self.token = token  # the lock's owner token, for wait morphing
        self.time = time
        self.predicate = predicate  # delegated to notifiers, or None
        self.error: BaseException | None = None  # raised by the predicate
        self.entry: Any = None  # its handle in the lock's queue, once there
        self._claim = [True]

    def claim(self) -> bool:
        """Take the one-shot decision; True for exactly one caller."""
        try:
            self._claim.pop()
        except IndexError:
            return False
        return True

    def claimed(self) -> bool:
        """Whether the decision has been taken (notified or left)."""
        return not self._claim


class Condition(Generic[_T_co, _S_co]):
    """A condition variable usable by threads, greenlets and async tasks.

    ``Condition(lock=DEFAULT, timer=DEFAULT)``: *lock* defaults to a new
    ``aiologic.RLock`` and *timer* (which timestamps waits for
    ``notify(deadline=...)``) to ``itertools.count().__next__``. The
    object built is of a private subclass chosen by the type of *lock*.

    ``wait()``/``wait_for()`` block the current thread or greenlet;
    ``await cond``, ``cond.with_(timeout)`` and ``cond.for_(...)`` are
    their async twins. A wait returns True when notified and False on
    timeout; it always returns, times out or is cancelled with the lock
    re-acquired (an RLock at its former depth). A notified waiter returns
    True even if its timeout expires before it gets the lock back; a
    notified waiter that is cancelled passes the notification on.
    Thread-safe: waiters and notifiers may be in any thread or event loop.
    """

    __slots__ = ("__weakref__", "_impl")

    def __new__(
        cls,
        lock: Any = DEFAULT,
        timer: Callable[[], Any] | DefaultType = DEFAULT,
    ) -> Any:
        if lock is DEFAULT:
            lock = RLock()
        if timer is DEFAULT:
            timer = _count().__next__

        if lock is None:
            impl: type[_BaseCondition] = _BaseCondition
        elif isinstance(lock, Lock):
            impl = _RMixedCondition
        elif isinstance(lock, BinarySemaphore):
            impl = _MixedCondition
        elif hasattr(lock, "_is_owned"):
            impl = _RSyncCondition
        else:
            impl = _SyncCondition

        if cls is Condition:
            return impl._create(lock, timer)

        # a user subclass: a thin front delegating to the chosen kind
        self = object.__new__(cls)
        self._impl = impl._create(lock, timer)
        return self

    def __class_getitem__(cls, params: Any) -> Any:
        # ``Condition[LockType]`` alone means the default timer type
        if not isinstance(params, tuple):
            params = (params, _DEFAULT_TIMER_TYPE)
        return super().__class_getitem__(params)  # type: ignore[misc]

    def __getnewargs__(self) -> tuple[Any, ...]:
        return self._impl.__getnewargs__()  # type: ignore[no-any-return]

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Any:
        return type(self)(*self.__getnewargs__())

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        return self._impl._repr(name)  # type: ignore[no-any-return]

    def __bool__(self) -> bool:
        return bool(self._impl)

    async def __aenter__(self) -> Any:
        await self._impl.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        await self._impl.__aexit__(exc_type, exc, tb)

    def __enter__(self) -> Any:
        self._impl.__enter__()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._impl.__exit__(exc_type, exc, tb)

    def __await__(
        self, /, timeout: float | None = None
    ) -> Generator[Any, Any, bool]:
        """Wait in the current async task until notified (see ``with_``)."""
        return (yield from self._impl.with_(timeout).__await__())

    async def with_(self, /, timeout: float | None = None) -> bool:
        """Wait in the current async task until notified.

        Returns True when notified, False when *timeout* expired first.
        The lock is released while waiting and held again on return,
        also on cancellation (re-acquired shielded, then the cancellation
        is re-raised). A notified waiter returns True even if its timeout
        expires before it gets the lock back.
        """
        return await self._impl.with_(timeout)  # type: ignore[no-any-return]

    def wait(self, /, timeout: float | None = None) -> bool:
        """Block the current thread or greenlet until notified.

        Returns True when notified, False when *timeout* expired first.
        The lock is released while waiting and held again on return, also
        when the wait is interrupted (the exception then propagates).
        """
        return self._impl.wait(timeout)  # type: ignore[no-any-return]

    async def for_(
        self,
        /,
        predicate: Callable[[], _R],
        timeout: float | None = None,
        *,
        delegate: bool = True,
    ) -> _R:
        """Wait in the current async task until *predicate()* is true.

        Returns the predicate's value: truthy, or its last falsy value when
        *timeout* expired. With *delegate*, notifiers evaluate the
        predicate (under the lock, in their own task) and wake this waiter
        only when it is true; an exception it raises there is re-raised
        here. The predicate is checked again after every wake-up.
        """
        return await self._impl.for_(  # type: ignore[no-any-return]
            predicate, timeout, delegate=delegate
        )

    def wait_for(
        self,
        /,
        predicate: Callable[[], _R],
        timeout: float | None = None,
        *,
        delegate: bool = True,
    ) -> _R:
        """Block the current thread or greenlet until *predicate()* is true.

        Same contract as ``for_()``.
        """
        return self._impl.wait_for(  # type: ignore[no-any-return]
            predicate, timeout, delegate=delegate
        )

    def notify(self, /, count: int = 1, *, deadline: Any = None) -> int:
        """Notify up to *count* waiters, oldest first; return how many.

        With *deadline* (a value of ``timer``), only waiters that started
        waiting at or before it are notified. Waiters with a delegated
        predicate are notified only if it is true now. Over an aiologic
        lock the lock must be held; notified waiters then run one after
        the other as the lock is passed on.
        """
        return self._impl.notify(  # type: ignore[no-any-return]
            count, deadline=deadline
        )

    def notify_all(self, /, *, deadline: Any = None) -> int:
        """Notify every waiter (up to *deadline*); return how many."""
        return self._impl.notify_all(  # type: ignore[no-any-return]
            deadline=deadline
        )

    @property
    def lock(self) -> _T_co:
        """The lock the condition is bound to (None when lockless)."""
        return self._impl.lock  # type: ignore[no-any-return]

    @property
    def timer(self) -> _S_co:
        """The callable that timestamps waits."""
        return self._impl.timer  # type: ignore[no-any-return]

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to be notified."""
        return self._impl.waiting  # type: ignore[no-any-return]


class _BaseCondition(Condition[_T_co, _S_co]):
    """A lockless condition (``Condition(None)``); base of the others.

    Waiters are woken directly by ``set()`` on their events.
    """

    __slots__ = ("_lock", "_timer", "_waiters")

    # whether a notified waiter is handed the lock rather than woken
    _morphing = False

    @classmethod
    def _create(cls, lock: Any, timer: Any) -> Any:
        self = object.__new__(cls)
        self._lock = lock
        self._timer = timer
        self._waiters = WaitQueue()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        if _is_default_timer(self._timer):
            return (self._lock,)
        return (self._lock, self._timer)

    def __reduce__(self) -> Any:
        return (Condition, self.__getnewargs__())

    def __copy__(self) -> Any:
        return Condition(*self.__getnewargs__())

    def __repr__(self) -> str:
        return self._repr("aiologic.Condition")

    def _repr(self, name: str) -> str:
        args = _lock_repr(self._lock)
        if not _is_default_timer(self._timer):
            args = f"{args}, timer={self._timer!r}"
        state = f"waiting={len(self._waiters)}"
        return f"<{name}({args}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return False

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        pass

    def __await__(
        self, /, timeout: float | None = None
    ) -> Generator[Any, Any, bool]:
        """Wait in the current async task until notified (see ``with_``)."""
        return (yield from self.with_(timeout).__await__())

    async def with_(self, /, timeout: float | None = None) -> bool:
        """Wait in the current async task until notified."""
        timeout = check_timeout(timeout)
        token = self._async_token()
        self._check_wait(token)
        return await self._async_wait(token, timeout, None)

    def wait(self, /, timeout: float | None = None) -> bool:
        """Block the current thread or greenlet until notified."""
        timeout = check_timeout(timeout)
        token = self._green_token()
        self._check_wait(token)
        return self._green_wait(token, timeout, None)

    async def for_(
        self,
        /,
        predicate: Callable[[], _R],
        timeout: float | None = None,
        *,
        delegate: bool = True,
    ) -> _R:
        """Wait in the current async task until *predicate()* is true."""
        timeout = check_timeout(timeout)
        token = self._async_token()
        self._check_wait(token)
        result = predicate()
        if result:
            await async_checkpoint()
            return result
        deadline = None if timeout is None else async_clock() + timeout
        delegated = predicate if delegate else None
        while True:
            if deadline is not None:
                timeout = max(0.0, deadline - async_clock())
            if not await self._async_wait(token, timeout, delegated):
                return predicate()
            result = predicate()
            if result:
                return result

    def wait_for(
        self,
        /,
        predicate: Callable[[], _R],
        timeout: float | None = None,
        *,
        delegate: bool = True,
    ) -> _R:
        """Block the current thread or greenlet until *predicate()* is true."""
        timeout = check_timeout(timeout)
        token = self._green_token()
        self._check_wait(token)
        result = predicate()
        if result:
            green_checkpoint()
            return result
        deadline = None if timeout is None else green_clock() + timeout
        delegated = predicate if delegate else None
        while True:
            if deadline is not None:
                timeout = max(0.0, deadline - green_clock())
            if not self._green_wait(token, timeout, delegated):
                return predicate()
            result = predicate()
            if result:
                return result

    def notify(self, /, count: int = 1, *, deadline: Any = None) -> int:
        """Notify up to *count* waiters, oldest first; return how many."""
        self._check_notify()
        return self._notify(count, deadline)

    def notify_all(self, /, *, deadline: Any = None) -> int:
        """Notify every waiter (up to *deadline*); return how many."""
        self._check_notify()
        return self._notify(None, deadline)

    @property
    def lock(self) -> Any:
        """The lock the condition is bound to (None when lockless)."""
        return self._lock

    @property
    def timer(self) -> Any:
        """The callable that timestamps waits."""
        return self._timer

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to be notified."""
        return len(self._waiters)

    # The waiting machinery, shared by every kind. A kind customises who
    # owns the lock, how a wait gives it up and takes it back, and how a
    # notified waiter is woken.

    def _green_wait(
        self, token: Any, timeout: float | None, predicate: Any
    ) -> bool:
        event = create_green_event()
        waiter = _Waiter(event, token, self._timer(), predicate)
        saved = self._enqueue(waiter)
        try:
            woken = event.wait(timeout)
        except BaseException:
            self._green_leave(waiter, saved, event.is_set(), failed=True)
            raise
        notified = self._green_leave(waiter, saved, woken, failed=False)
        if notified:
            self._raise_delegated(waiter)
        return notified

    async def _async_wait(
        self, token: Any, timeout: float | None, predicate: Any
    ) -> bool:
        event = create_async_event()
        waiter = _Waiter(event, token, self._timer(), predicate)
        saved = self._enqueue(waiter)
        try:
            if timeout is None:
                woken = await event
            else:
                woken = await event.with_(timeout)
        except GeneratorExit:
            # closed (e.g. collected once its loop was closed): it never
            # runs again, so it must not take the lock back
            self._abandon(waiter, event.is_set())
            raise
        except BaseException:
            await self._async_leave(waiter, saved, event.is_set(), failed=True)
            raise
        notified = await self._async_leave(waiter, saved, woken, failed=False)
        if notified:
            self._raise_delegated(waiter)
        return notified

    def _green_leave(
        self, waiter: _Waiter, saved: Any, woken: bool, failed: bool
    ) -> bool:
        # Take the lock back and settle the waiter's fate; True if it was
        # notified. A woken waiter was notified (the claim precedes set()).
        notified = woken or not waiter.claim()
        # a waiter that left drops out of ``waiting`` at once
        left = not notified and self._waiters.discard(waiter)
        if woken and self._morphing:
            self._took_over(waiter.token, saved)  # handed the lock
        else:
            try:
                self._green_reacquire(waiter.token, saved)
            except BaseException:
                self._cleanup(waiter, woken, notified, left, failed=True)
                raise
        self._cleanup(waiter, woken, notified, left, failed)
        return notified

    async def _async_leave(
        self, waiter: _Waiter, saved: Any, woken: bool, failed: bool
    ) -> bool:
        notified = woken or not waiter.claim()
        # a waiter that left drops out of ``waiting`` at once
        left = not notified and self._waiters.discard(waiter)
        if woken and self._morphing:
            self._took_over(waiter.token, saved)  # handed the lock
        else:
            try:
                await self._async_reacquire(waiter.token, saved)
            except BaseException:
                self._cleanup(waiter, woken, notified, left, failed=True)
                raise
        self._cleanup(waiter, woken, notified, left, failed)
        return notified

    def _abandon(self, waiter: _Waiter, woken: bool) -> None:
        # A waiter that will never run again leaves without the lock:
        # the lock, if it was handed over, and a notification go on.
        notified = woken or not waiter.claim()
        left = not notified and self._waiters.discard(waiter)
        if woken and self._morphing:
            self._lock._core.release(1)
        self._cleanup(waiter, woken, notified, left, failed=True)

    def _cleanup(
        self,
        waiter: _Waiter,
        woken: bool,
        notified: bool,
        left: bool,
        failed: bool,
    ) -> None:
        # Runs with the lock held again (if the re-acquire succeeded), so
        # a notify() that had the waiter aside (and has put it back) is
        # over: now it can be found.
        if not notified:
            if not left:
                self._waiters.discard(waiter)
            return
        if not woken:
            self._drop_entry(waiter)
        if failed:
            # the notification must not die with this waiter
            waiter.error = None
            self._notify(1, None, passing_on=True)

    def _enqueue(self, waiter: _Waiter) -> Any:
        # Queue the waiter, then give up the lock; return what takes the
        # lock back. Both inside the try: an exception between them (a
        # signal handler's KeyboardInterrupt) must not leave a waiter in
        # the queue that a notification would be lost to.
        try:
            self._waiters.append(waiter)
            return self._release_save(waiter.token)
        except BaseException:
            # the lock is still ours: this wait never began
            if waiter.claim():
                self._waiters.discard(waiter)
            raise

    @staticmethod
    def _raise_delegated(waiter: _Waiter) -> None:
        error = waiter.error
        if error is not None:
            waiter.error = None
            try:
                raise error
            finally:
                del error

    def _notify(
        self, count: int | None, deadline: Any, passing_on: bool = False
    ) -> int:
        waiters = self._waiters
        notified = 0
        skipped: list[_Waiter] = []
        try:
            while count is None or notified < count:
                try:
                    waiter = waiters.popleft()
                except IndexError:
                    break
                if waiter.claimed():
                    continue  # it left on timeout or cancellation
                if deadline is not None and waiter.time > deadline:
                    skipped.append(waiter)
                    break  # it and all after it came later
                predicate = waiter.predicate
                if predicate is not None:
                    # kept aside until the predicate says it is ready
                    skipped.append(waiter)
                    if not self._may_delegate():
                        if passing_on:
                            continue  # to a waiter without a predicate
                        msg = "cannot notify for predicate on un-acquired lock"
                        raise RuntimeError(msg)
                    try:
                        ready = predicate()
                    except Exception as exc:
                        waiter.error = exc
                        ready = True
                    if not ready:
                        continue
                    skipped.pop()
                if waiter.claim():
                    self._wake(waiter)
                    notified += 1
                else:
                    waiter.error = None
        finally:
            if skipped:
                # back in front, in order; not those that left meanwhile
                waiters.extendleft(
                    [w for w in reversed(skipped) if not w.claimed()]
                )
        return notified

    # Hooks: the lockless behaviour.

    def _green_token(self) -> Any:
        return None

    def _async_token(self) -> Any:
        return None

    def _check_wait(self, token: Any) -> None:
        pass

    def _check_notify(self) -> None:
        pass

    def _may_delegate(self) -> bool:
        # whether this notifier may evaluate the waiters' predicates
        return False

    def _release_save(self, token: Any) -> Any:
        return None

    def _took_over(self, token: Any, saved: Any) -> None:
        pass

    def _green_reacquire(self, token: Any, saved: Any) -> None:
        pass

    async def _async_reacquire(self, token: Any, saved: Any) -> None:
        pass

    def _wake(self, waiter: _Waiter) -> None:
        waiter.event.set()

    def _drop_entry(self, waiter: _Waiter) -> None:
        pass


def _unowned() -> RuntimeError:
    return RuntimeError("cannot wait on un-acquired lock")


class _SyncCondition(_BaseCondition[_T_co, _S_co]):
    """A condition over a thread lock; "owned" means ``lock.locked()``.

    A notified waiter is woken and re-acquires the lock itself, blocking
    its thread (an event loop's thread too, for async waiters).
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return bool(self._lock.locked())

    async def __aenter__(self) -> Any:
        # blocks the event loop's thread: it is a thread lock
        self._lock.acquire()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        self._lock.release()

    def __enter__(self) -> Any:
        self._lock.acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._lock.release()

    def _owned(self) -> bool:
        return bool(self._lock.locked())

    def _check_wait(self, token: Any) -> None:
        if not self._owned():
            raise _unowned()

    def _may_delegate(self) -> bool:
        return self._owned()

    def _release_save(self, token: Any) -> Any:
        self._lock.release()
        return None

    def _green_reacquire(self, token: Any, saved: Any) -> None:
        self._lock.acquire()

    async def _async_reacquire(self, token: Any, saved: Any) -> None:
        self._green_reacquire(token, saved)


class _RSyncCondition(_SyncCondition[_T_co, _S_co]):
    """A condition over a reentrant thread lock with ``_is_owned()``.

    Ownership is per OS thread; a wait releases every level of the lock
    and restores them afterwards.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        lock = self._lock
        try:
            locked = lock.locked
        except AttributeError:
            pass
        else:
            return bool(locked())
        if lock._is_owned():
            return True
        if lock.acquire(False):
            lock.release()
            return False
        return True

    def _owned(self) -> bool:
        return bool(self._lock._is_owned())

    def _release_save(self, token: Any) -> Any:
        lock = self._lock
        try:
            release_save = lock._release_save
        except AttributeError:
            lock.release()
            return None
        return release_save()

    def _green_reacquire(self, token: Any, saved: Any) -> None:
        lock = self._lock
        try:
            acquire_restore = lock._acquire_restore
        except AttributeError:
            lock.acquire()
        else:
            acquire_restore(saved)


class _MixedBase(_BaseCondition[_T_co, _S_co]):
    """Wait morphing over the permit core of an aiologic lock."""

    __slots__ = ()

    _morphing = True

    def _green_reacquire(self, token: Any, saved: Any) -> None:
        core = self._lock._core
        if not core.try_acquire(token):
            # shielded: an interruption is deferred until the lock is ours
            event = create_green_event(shield=True)
            entry: Any = event  # (until queued: found by its event)
            try:
                entry = core.add_waiter(event, token)
                event.wait()
            except BaseException:
                # (an event that never waited is still pending)
                if event.cancel() or not event.is_set():
                    core.remove_waiter(entry)
                else:
                    self._took_over(token, saved)
                raise
        self._took_over(token, saved)

    async def _async_reacquire(self, token: Any, saved: Any) -> None:
        core = self._lock._core
        if not core.try_acquire(token):
            # shielded: cancellation is deferred until the lock is ours
            event = create_async_event(shield=True)
            entry: Any = event  # (until queued: found by its event)
            try:
                entry = core.add_waiter(event, token)
                await event
            except BaseException:
                # (an event that never waited is still pending)
                if event.cancel() or not event.is_set():
                    core.remove_waiter(entry)
                else:
                    self._took_over(token, saved)
                raise
        self._took_over(token, saved)

    def _may_delegate(self) -> bool:
        return True  # notify() has already checked that the lock is held

    def _wake(self, waiter: _Waiter) -> None:
        # re-park in the lock's queue: woken when the lock is handed over
        waiter.entry = self._lock._core.add_waiter(waiter.event, waiter.token)

    def _drop_entry(self, waiter: _Waiter) -> None:
        # its event was cancelled: the lock would skip it anyway
        entry = waiter.entry
        if entry is not None:
            self._lock._core.remove_waiter(entry)


class _RMixedCondition(_MixedBase[_T_co, _S_co]):
    """A condition over an aiologic ``Lock`` or ``RLock`` (owned per task)."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return bool(self._lock.locked())

    async def __aenter__(self) -> Any:
        await self._lock.async_acquire()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        self._lock.async_release()

    def __enter__(self) -> Any:
        self._lock.green_acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._lock.green_release()

    def _green_token(self) -> Any:
        return current_green_task_ident()

    def _async_token(self) -> Any:
        return current_async_task_ident()

    def _check_wait(self, token: Any) -> None:
        if self._lock._core.owner != token:
            raise _unowned()

    def _check_notify(self) -> None:
        if not self._lock.locked():
            msg = "cannot notify on un-acquired lock"
            raise RuntimeError(msg)

    def _release_save(self, token: Any) -> Any:
        return self._lock._release_save()

    def _took_over(self, token: Any, saved: Any) -> None:
        self._lock._took_over(saved)


class _MixedCondition(_MixedBase[_T_co, _S_co]):
    """A condition over an aiologic ``BinarySemaphore``.

    "Owning" the lock only means that the semaphore's value is 0: any
    task may wait or notify while somebody holds it. A per-task count of
    ``with`` entries decides who releases it on exit.
    """

    __slots__ = ("_counts",)

    @classmethod
    def _create(cls, lock: Any, timer: Any) -> Any:
        self = super()._create(lock, timer)
        self._counts = {}
        return self

    def __bool__(self) -> bool:
        return not self._lock._core.available()

    async def __aenter__(self) -> Any:
        await self._lock.async_acquire()
        self._entered(current_async_task_ident())
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        if self._exited(current_async_task_ident()):
            self._lock.async_release()

    def __enter__(self) -> Any:
        self._lock.green_acquire()
        self._entered(current_green_task_ident())
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._exited(current_green_task_ident()):
            self._lock.green_release()

    def _entered(self, task: Any) -> None:
        counts = self._counts
        counts[task] = counts.get(task, 0) + 1

    def _exited(self, task: Any) -> bool:
        counts = self._counts
        entered = counts.get(task, 0)
        if not entered:
            return False
        if entered == 1:
            del counts[task]
        else:
            counts[task] = entered - 1
        return True

    def _check_wait(self, token: Any) -> None:
        if self._lock._core.available():
            raise _unowned()

    def _check_notify(self) -> None:
        if self._lock._core.available():
            msg = "cannot notify on un-acquired lock"
            raise RuntimeError(msg)

    def _release_save(self, token: Any) -> Any:
        self._lock._core.release(1)
        return None
