# SPDX-License-Identifier: MIT

"""Shielding an awaitable or a blocking call from cancellation."""

from __future__ import annotations

from functools import wraps
from inspect import isawaitable, iscoroutinefunction
from typing import Any

from ._libraries import current_async_library

__all__ = ("shield",)


async def _asyncio_shield(awaitable: Any) -> Any:
    from asyncio import CancelledError, ensure_future
    from asyncio import shield as asyncio_shield

    # run it as its own task: cancelling us does not cancel it
    task = ensure_future(awaitable)
    deferred = None

    while True:
        try:
            result = await asyncio_shield(task)
        except CancelledError as exc:
            if task.done():
                raise

            deferred = exc
            continue

        break

    try:
        if deferred is not None:
            raise deferred

        return result
    finally:
        deferred = None


async def _trio_shield(awaitable: Any) -> Any:
    from trio import CancelScope

    with CancelScope(shield=True):
        return await awaitable


async def _shield_awaitable(awaitable: Any) -> Any:
    library = current_async_library()

    if library == "trio":
        return await _trio_shield(awaitable)

    if library == "asyncio":
        return await _asyncio_shield(awaitable)

    return await awaitable


def _green_shield(func: Any, *args: Any, **kwargs: Any) -> Any:
    # gevent/eventlet deliver timeouts and kills by throwing into the
    # greenlet; a green call cannot be resumed after that, so a shielded
    # call runs in a fresh greenlet that we wait for without being
    # interruptible, and the interruption is re-raised afterwards
    from ._libraries import current_green_library

    library = current_green_library()

    if library == "threading":
        return func(*args, **kwargs)

    greenlet: Any  # a gevent Greenlet or an eventlet GreenThread
    if library == "gevent":
        import gevent

        greenlet = gevent.spawn(func, *args, **kwargs)
    else:
        import eventlet  # pyright: ignore[reportMissingImports]

        greenlet = eventlet.spawn(func, *args, **kwargs)

    deferred = None

    while True:
        try:
            if library == "eventlet":
                result = greenlet.wait()
            else:
                result = greenlet.get()
        except BaseException as exc:
            if _green_done(greenlet, library):
                raise

            deferred = exc
            continue

        break

    try:
        if deferred is not None:
            raise deferred

        return result
    finally:
        deferred = None


def _green_done(greenlet: Any, library: str) -> bool:
    done: bool
    if library == "gevent":
        done = greenlet.ready()
    else:
        done = greenlet.dead
    return done


def shield(wrapped: Any, /) -> Any:
    """Protect an awaitable or a function from cancellation.

    An awaitable runs to completion even if the awaiting task is cancelled
    (asyncio: as a separate task; trio: inside a shielded cancel scope);
    the cancellation received meanwhile is re-raised afterwards. A
    coroutine function or a function is wrapped so that each call is
    shielded the same way (green calls under gevent/eventlet run in a new
    greenlet; exceptions thrown into the caller are deferred).
    """
    if isawaitable(wrapped):
        return _shield_awaitable(wrapped)

    if iscoroutinefunction(wrapped):

        @wraps(wrapped)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await _shield_awaitable(wrapped(*args, **kwargs))

        return async_wrapper

    if callable(wrapped):

        @wraps(wrapped)
        def green_wrapper(*args: Any, **kwargs: Any) -> Any:
            return _green_shield(wrapped, *args, **kwargs)

        return green_wrapper

    msg = f"expected an awaitable or a callable, not {type(wrapped).__name__}"
    raise TypeError(msg)
