# SPDX-License-Identifier: MIT

"""OS-thread locks that stay real locks under gevent/eventlet patching.

Monkey-patching replaces `_thread.allocate_lock` with a greenlet-aware
lock; our short critical sections and thread waiters need the original
one, so it is looked up in the patchers' stash of originals when they are
loaded.
"""

from __future__ import annotations

import sys
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, Callable, Tuple, TypeVar

from aiologic.meta import MISSING, MissingType

__all__ = (
    "THREAD_DUMMY_LOCK",
    "ThreadDummyLock",
    "ThreadLock",
    "ThreadOnceLock",
    "ThreadRLock",
    "create_thread_lock",
    "create_thread_oncelock",
    "create_thread_rlock",
    "once",
)

if TYPE_CHECKING:
    from _thread import LockType
    from _thread import RLock as RLockType

_T = TypeVar("_T")

_ThreadAttrs = Tuple[
    Callable[[], "LockType"], Callable[[], "RLockType"], Callable[[], int]
]


def _original_thread_module_attrs() -> _ThreadAttrs:
    names = ("allocate_lock", "RLock", "get_ident")

    if "gevent.monkey" in sys.modules:
        from gevent.monkey import get_original

        try:
            # get_original() takes a list of names too (its stub says str)
            return tuple(
                get_original(
                    "_thread",
                    list(names),  # pyright: ignore[reportArgumentType]
                )
            )
        except (AttributeError, ImportError):  # pragma: no cover
            pass

    if "eventlet.patcher" in sys.modules:
        from eventlet.patcher import original  # pyright: ignore[reportMissingImports]

        try:
            module = original("_thread")
            return tuple(getattr(module, name) for name in names)
        except (AttributeError, ImportError):  # pragma: no cover
            pass

    import _thread

    return tuple(getattr(_thread, name) for name in names)


_allocate_lock, _RLock, _get_ident = _original_thread_module_attrs()


def _original_time_sleep() -> Callable[[float], None]:
    if "gevent.monkey" in sys.modules:
        from gevent.monkey import get_original

        try:
            return get_original("time", "sleep")  # type: ignore[no-any-return]
        except (AttributeError, ImportError):  # pragma: no cover
            pass

    if "eventlet.patcher" in sys.modules:
        from eventlet.patcher import original  # pyright: ignore[reportMissingImports]

        try:
            return original("time").sleep  # type: ignore[no-any-return]
        except (AttributeError, ImportError):  # pragma: no cover
            pass

    from time import sleep

    return sleep


#: `time.sleep` that blocks the OS thread even when monkey-patched
_original_sleep = _original_time_sleep()

#: the type of the original `_thread` lock
ThreadLock = type(_allocate_lock())
#: the original reentrant `_thread` lock
ThreadRLock = _RLock


def create_thread_lock() -> LockType:
    """Return a new original (unpatched) non-reentrant thread lock."""
    return _allocate_lock()


def create_thread_rlock() -> RLockType:
    """Return a new original (unpatched) reentrant thread lock."""
    return _RLock()


def _final_class(cls_name: str) -> Any:
    # Any: it stands in for the ``__init_subclass__`` of the class
    def __init_subclass__(cls: type, /, **kwargs: Any) -> None:
        msg = (
            f"type 'aiologic.lowlevel.{cls_name}'"
            " is not an acceptable base type"
        )
        raise TypeError(msg)

    return classmethod(__init_subclass__)


class ThreadDummyLock:
    """A lock that is never held: every operation succeeds immediately."""

    __slots__ = ()

    __init_subclass__ = _final_class("ThreadDummyLock")

    def __new__(cls) -> ThreadDummyLock:
        return THREAD_DUMMY_LOCK

    def __repr__(self) -> str:
        return "aiologic.lowlevel.THREAD_DUMMY_LOCK"

    def __reduce__(self) -> str:
        return "THREAD_DUMMY_LOCK"

    def __copy__(self) -> ThreadDummyLock:
        return self

    def __deepcopy__(self, memo: Any) -> ThreadDummyLock:
        return self

    def __enter__(self) -> bool:
        return True

    def __exit__(
        self, exc_type: object, exc_value: object, traceback: object
    ) -> None:
        pass

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass

    def locked(self) -> bool:
        return False


ThreadDummyLock.__module__ = "aiologic.lowlevel"

THREAD_DUMMY_LOCK: ThreadDummyLock = object.__new__(ThreadDummyLock)


class ThreadOnceLock:
    """A reentrant thread lock that becomes a no-op after its first use.

    Threads that wait while the first owner holds it are let through once
    the owner releases it fully; from then on `acquire()` always succeeds
    at once and `release()` does nothing.
    """

    __slots__ = (
        "__weakref__",
        "_block",
        "_count",
        "_done",
        "_owner",
    )

    __init_subclass__ = _final_class("ThreadOnceLock")

    def __init__(self) -> None:
        self._block = _allocate_lock()
        self._owner: int | None = None
        self._count = 0
        self._done = False

    def __repr__(self) -> str:
        state = "locked" if self._count else "unlocked"
        return (
            f"<{state} aiologic.lowlevel.ThreadOnceLock object"
            f" owner={self._owner} count={self._count}"
            f" at {id(self):#x}>"
        )

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: object, exc_value: object, traceback: object
    ) -> None:
        self.release()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire the lock (reentrant); always succeeds once it is used up."""
        if self._done:
            return True

        me = _get_ident()

        if self._owner == me:
            self._count += 1
            return True

        if not self._block.acquire(blocking, timeout):
            return False

        if self._done:
            # the first owner has finished: pass the wake-up along
            self._block.release()
            return True

        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        """Release the lock; the first full release disables it for good."""
        if self._done:
            return

        if self._owner != _get_ident():
            msg = "cannot release un-acquired lock"
            raise RuntimeError(msg)

        self._count -= 1

        if not self._count:
            self._owner = None
            self._done = True
            self._block.release()

    def locked(self) -> bool:
        """Return whether some thread holds the lock right now."""
        return bool(self._count)

    # for `threading.Condition`

    def _is_owned(self) -> bool:
        return self._owner == _get_ident()

    def _release_save(self) -> tuple[int, int | None]:
        state = (self._count, self._owner)
        self._count = 1
        self.release()
        return state

    def _acquire_restore(self, state: tuple[int, int | None]) -> None:
        self.acquire()
        if not self._done:
            self._count, self._owner = state


ThreadOnceLock.__module__ = "aiologic.lowlevel"


def create_thread_oncelock() -> ThreadOnceLock:
    """Return a new `ThreadOnceLock`."""
    return ThreadOnceLock()


def once(
    wrapped: Callable[[], _T] | MissingType = MISSING,
    /,
    *,
    reentrant: bool = False,
) -> Any:
    """Make a zero-argument function run once and cache its result.

    Concurrent first calls from several threads wait for the one that
    runs the function. If the function raises, nothing is cached and the
    next call tries again. With *reentrant*, a recursive call from inside
    the function runs it again instead of deadlocking.
    """
    if wrapped is MISSING:
        return partial(once, reentrant=reentrant)

    func: Callable[[], _T] = wrapped
    lock = _RLock() if reentrant else _allocate_lock()
    result: list[_T] = []

    @wraps(func)
    def wrapper() -> _T:
        if result:
            return result[0]

        with lock:
            if not result:
                value = func()

                if not result:
                    result.append(value)

        return result[0]

    return wrapper
