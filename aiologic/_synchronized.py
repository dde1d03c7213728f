# SPDX-License-Identifier: MIT

"""``synchronized``: run code under a lock, as a decorator or a ``with``.

``synchronized(x)`` adapts to what *x* is:

- an object with ``acquire()`` and ``release()`` (``threading.Lock``,
  ``asyncio.Lock``, ...): a context manager and decorator around it, async
  if ``acquire`` is a coroutine function;
- an aiologic primitive with ``green_*``/``async_*`` acquire and release
  methods: a context manager and decorator usable with ``with`` (green)
  and ``async with`` (async);
- a function or coroutine function: a decorator that runs it under an
  ``aiologic.RLock`` created on first call and stored as
  ``_synchronized_lock`` on the instance it is bound to (the class for a
  classmethod), or else on the function itself.
"""

from __future__ import annotations

from functools import update_wrapper, wraps
from inspect import isawaitable, iscoroutinefunction
from types import MethodType
from typing import Any, Callable

from ._locks import RLock
from .lowlevel._thread_locks import create_thread_lock

__all__ = ("synchronized",)

_LOCK_ATTRIBUTE = "_synchronized_lock"

# held for a few statements only, so that racing first calls agree on one
# lock per holder
_creation_lock = create_thread_lock()


def synchronized(wrapped: Any, /) -> Any:
    """Synchronize code with a lock; see the module for the three forms.

    Cancellation and timeouts follow the lock's own acquire: a cancelled
    ``async with`` or call does not hold the lock; the lock is released
    however the body exits.
    """
    acquire = getattr(wrapped, "acquire", None)
    if callable(acquire) and callable(getattr(wrapped, "release", None)):
        if iscoroutinefunction(acquire):
            return _AsyncSynchronizer(wrapped)
        return _SyncSynchronizer(wrapped)
    if all(
        callable(getattr(wrapped, name, None))
        for name in (
            "green_acquire",
            "green_release",
            "async_acquire",
            "async_release",
        )
    ):
        return _MixedSynchronizer(wrapped)
    # functions, and descriptors such as classmethod objects (not callable
    # before Python 3.10)
    if not callable(wrapped) and not hasattr(type(wrapped), "__get__"):
        msg = (
            "synchronized() expects a lock or a function, not"
            f" {type(wrapped).__name__}"
        )
        raise TypeError(msg)
    return _SynchronizedFunction(wrapped)


class _Synchronizer:
    """A lock seen as a context manager and a decorator."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def __call__(self, func: Callable[..., Any]) -> Any:
        if iscoroutinefunction(func):

            @wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    return await func(*args, **kwargs)

            return async_wrapper

        self._check_green(func)

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:  # type: ignore[attr-defined]
                return func(*args, **kwargs)

        return wrapper

    def _check_green(self, func: Any) -> None:
        pass

    async def __aenter__(self) -> Any:
        raise NotImplementedError

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        raise NotImplementedError


async def _maybe_await(result: Any) -> None:
    if isawaitable(result):
        await result


class _SyncSynchronizer(_Synchronizer):
    """Around ``acquire()``/``release()`` that block (thread locks).

    ``async with`` calls them too, blocking the event loop's thread.
    """

    __slots__ = ()

    def __enter__(self) -> Any:
        self._lock.acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._lock.release()

    async def __aenter__(self) -> Any:
        self._lock.acquire()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        await _maybe_await(self._lock.release())


class _AsyncSynchronizer(_Synchronizer):
    """Around an awaitable ``acquire()`` (``asyncio.Lock`` and the like)."""

    __slots__ = ()

    def _check_green(self, func: Any) -> None:
        msg = f"a coroutine function was expected, got {func!r}"
        raise TypeError(msg)

    async def __aenter__(self) -> Any:
        await self._lock.acquire()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        await _maybe_await(self._lock.release())


class _MixedSynchronizer(_Synchronizer):
    """Around an aiologic primitive: green in ``with``, async otherwise."""

    __slots__ = ()

    def __enter__(self) -> Any:
        self._lock.green_acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._lock.green_release()

    async def __aenter__(self) -> Any:
        await self._lock.async_acquire()
        return self

    async def __aexit__(
        self, exc_type: object, exc: object, tb: object
    ) -> None:
        await _maybe_await(self._lock.async_release())


def _lock_of(holder: Any) -> Any:
    """The ``_synchronized_lock`` of *holder*, created on first use."""
    try:
        namespace = vars(holder)
    except TypeError:  # no __dict__ (slots)
        namespace = None

    def find() -> Any:
        # the holder's own attribute: an instance must not pick up the
        # lock of its class (the one of a synchronized classmethod)
        if namespace is not None:
            return namespace.get(_LOCK_ATTRIBUTE)
        return getattr(holder, _LOCK_ATTRIBUTE, None)

    lock = find()
    if lock is None:
        with _creation_lock:
            lock = find()
            if lock is None:
                lock = RLock()
                setattr(holder, _LOCK_ATTRIBUTE, lock)
    return lock


class _SynchronizedFunction:
    """A function that runs under a lock of the object it is bound to.

    It passes for the function it wraps (``__class__``, attributes, repr),
    so that ``inspect`` (``iscoroutinefunction``, ``signature``) sees the
    wrapped function; binding it (``instance.method``) gives a bound
    twin whose lock lives on the instance.
    """

    __slots__ = ("__dict__", "__weakref__", "_func", "_holder", "_is_async")

    def __init__(self, func: Any, holder: Any = None) -> None:
        self._func = func
        self._holder = holder
        # classmethod/staticmethod objects: look at the function inside
        self._is_async = iscoroutinefunction(getattr(func, "__func__", func))
        if holder is None:
            update_wrapper(self, func)
        else:
            # a bound method: its __dict__ is the function's, not ours
            update_wrapper(self, func, updated=())

    @property  # type: ignore[misc]
    def __class__(self) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        return type(self._func)

    def __getattr__(self, name: str) -> Any:
        if name in _SynchronizedFunction.__slots__:
            raise AttributeError(name)
        return getattr(self._func, name)

    def __repr__(self) -> str:
        return repr(self._func)

    def __reduce__(self) -> Any:
        # pickled by reference, like the function it replaces
        return self.__qualname__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        func = self._func
        get = getattr(type(func), "__get__", None)
        if get is None:
            return self
        bound = get(func, instance, owner)
        if bound is func:
            return self  # a plain function looked up on its class
        if isinstance(bound, MethodType):
            holder = bound.__self__
        else:
            holder = getattr(bound, "__func__", bound)
        return _SynchronizedFunction(bound, holder)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        holder = self._holder
        if holder is None:
            holder = getattr(self._func, "__func__", self._func)
        lock = _lock_of(holder)
        if self._is_async:
            return self._async_call(lock, args, kwargs)
        with lock:
            return self._func(*args, **kwargs)

    async def _async_call(self, lock: Any, args: Any, kwargs: Any) -> Any:
        async with lock:
            return await self._func(*args, **kwargs)
