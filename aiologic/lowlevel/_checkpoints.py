# SPDX-License-Identifier: MIT

"""Checkpoints: forced yields to the scheduler that deliver cancellation.

Whether a checkpoint yields depends on the library (on by default for
trio only), on environment variables read once at import, and on
`enable_checkpoints()`/`disable_checkpoints()` blocks of the current
thread. ``force=True`` ignores all of them.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from functools import wraps
from inspect import isawaitable, iscoroutinefunction
from typing import Any, Final, Generator

from aiologic.meta import MISSING, MissingType

from ._libraries import current_async_library, current_green_library
from ._thread_locks import _get_ident

__all__ = (
    "async_checkpoint",
    "async_checkpoint_enabled",
    "async_checkpoint_if_cancelled",
    "disable_checkpoints",
    "enable_checkpoints",
    "green_checkpoint",
    "green_checkpoint_enabled",
    "green_checkpoint_if_cancelled",
)

_DISABLING_VALUES: Final = frozenset({"", "0", "false", "no", "off"})


def _env_flag(library_var: str, family_var: str, default: bool) -> bool:
    # the per-library variable wins; the family one is only its fallback
    value = os.environ.get(library_var)

    if value is None:
        value = os.environ.get(family_var)

        if value is None:
            return default

    return value.strip().lower() not in _DISABLING_VALUES


_ASYNC_FAMILY: Final = "AIOLOGIC_ASYNC_CHECKPOINTS"
_GREEN_FAMILY: Final = "AIOLOGIC_GREEN_CHECKPOINTS"

_ASYNCIO_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_ASYNCIO_CHECKPOINTS", _ASYNC_FAMILY, False
)
_CURIO_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_CURIO_CHECKPOINTS", _ASYNC_FAMILY, False
)
_TRIO_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_TRIO_CHECKPOINTS", _ASYNC_FAMILY, True
)
_THREADING_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_THREADING_CHECKPOINTS", _GREEN_FAMILY, False
)
_EVENTLET_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_EVENTLET_CHECKPOINTS", _GREEN_FAMILY, False
)
_GEVENT_CHECKPOINTS_ENABLED: Final[bool] = _env_flag(
    "AIOLOGIC_GEVENT_CHECKPOINTS", _GREEN_FAMILY, False
)

_ASYNC_ENABLED: Final[dict[str, bool]] = {
    "asyncio": _ASYNCIO_CHECKPOINTS_ENABLED,
    "curio": _CURIO_CHECKPOINTS_ENABLED,
    "trio": _TRIO_CHECKPOINTS_ENABLED,
}
_GREEN_ENABLED: Final[dict[str, bool]] = {
    "threading": _THREADING_CHECKPOINTS_ENABLED,
    "eventlet": _EVENTLET_CHECKPOINTS_ENABLED,
    "gevent": _GEVENT_CHECKPOINTS_ENABLED,
}

# when no library that may be running has checkpoints on, the disabled
# path can skip library detection entirely
_ANY_GREEN_ENABLED: Final[bool] = any(_GREEN_ENABLED.values())
_ANY_ASYNC_BUT_TRIO_ENABLED: Final[bool] = (
    _ASYNCIO_CHECKPOINTS_ENABLED or _CURIO_CHECKPOINTS_ENABLED
)

# (thread ident, enabled): a value set in another thread does not count
_checkpoints_cvar: ContextVar[tuple[int, bool] | None] = ContextVar(
    "aiologic_checkpoints", default=None
)

_modules = sys.modules


def _local_setting() -> bool | None:
    value = _checkpoints_cvar.get()

    if value is not None and value[0] == _get_ident():
        return value[1]

    return None


class _NoYield:
    """An awaitable that completes without yielding."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        return iter(())  # type: ignore[return-value]


class _BareYield:
    """An awaitable that yields ``None`` once (one asyncio loop iteration)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        return iter((None,))  # type: ignore[return-value]


_NO_YIELD: Final = _NoYield()
_BARE_YIELD: Final = _BareYield()


_trio_checkpoint: Any = None


def _async_yield(library: str | None) -> Any:
    global _trio_checkpoint

    if library == "trio":
        checkpoint = _trio_checkpoint

        if checkpoint is None:
            from trio.lowlevel import checkpoint

            _trio_checkpoint = checkpoint

        return checkpoint()  # noqa: ASYNC105 - the caller awaits it

    if library == "curio":
        from curio import sleep  # pyright: ignore[reportMissingImports]

        return sleep(0)

    return _BARE_YIELD


def async_checkpoint_enabled() -> bool:
    """Return whether `async_checkpoint()` yields in the current context.

    Outside any async library, return whether some async library has
    checkpoints enabled.
    """
    local = _local_setting()

    if local is not None:
        return local

    library = current_async_library(failsafe=True)

    if library is None:
        return _ANY_ASYNC_BUT_TRIO_ENABLED or (
            _TRIO_CHECKPOINTS_ENABLED and "trio" in _modules
        )

    return _ASYNC_ENABLED.get(library, False)


def green_checkpoint_enabled() -> bool:
    """Return whether `green_checkpoint()` yields in the current context."""
    local = _local_setting()

    if local is not None:
        return local

    return _GREEN_ENABLED.get(current_green_library(), False)


def async_checkpoint(*, force: bool = False) -> Any:
    """Return an awaitable that yields to the event loop once if enabled.

    Under trio it is `trio.lowlevel.checkpoint()` and so raises
    `trio.Cancelled` in a cancelled scope; under asyncio it is one bare
    yield, at which a pending `asyncio.CancelledError` is delivered. When
    checkpoints are disabled (and *force* is false), awaiting it does
    nothing.
    """
    if not force:
        value = _checkpoints_cvar.get()

        if value is not None and value[0] == _get_ident():
            if not value[1]:
                return _NO_YIELD
        elif not _ANY_ASYNC_BUT_TRIO_ENABLED and (
            not _TRIO_CHECKPOINTS_ENABLED or "trio" not in _modules
        ):
            return _NO_YIELD
        else:
            library = current_async_library(failsafe=True)

            if not _ASYNC_ENABLED.get(library, False):  # type: ignore
                return _NO_YIELD

            return _async_yield(library)

    return _async_yield(current_async_library(failsafe=True))


def async_checkpoint_if_cancelled(*, force: bool = False) -> Any:
    """Return an awaitable that raises a pending cancellation, if enabled.

    It only yields under trio (`trio.lowlevel.checkpoint_if_cancelled()`);
    elsewhere awaiting it does nothing.
    """
    if "trio" not in _modules:
        return _NO_YIELD

    library = current_async_library(failsafe=True)

    if library != "trio":
        return _NO_YIELD

    if not force:
        local = _local_setting()

        if not (_TRIO_CHECKPOINTS_ENABLED if local is None else local):
            return _NO_YIELD

    from trio.lowlevel import checkpoint_if_cancelled

    return checkpoint_if_cancelled()  # noqa: ASYNC105 - the caller awaits it


try:
    _sched_yield = os.sched_yield
except AttributeError:  # pragma: no cover - not on Windows
    from time import sleep as _sleep

    def _sched_yield() -> None:
        _sleep(0)


def _green_yield(library: str) -> None:
    if library == "gevent":
        from gevent import sleep

        sleep(0)
    elif library == "eventlet":
        from eventlet import sleep  # pyright: ignore[reportMissingImports]

        sleep(0)
    else:
        _sched_yield()


def green_checkpoint(*, force: bool = False) -> None:
    """Yield to other threads (or greenlets) once if enabled.

    threading: `os.sched_yield()`; gevent/eventlet: a zero sleep, which
    delivers exceptions thrown into the greenlet (e.g. `Timeout`).
    """
    if not force:
        value = _checkpoints_cvar.get()

        if value is not None and value[0] == _get_ident():
            if not value[1]:
                return
        elif not _ANY_GREEN_ENABLED:
            return
        else:
            library = current_green_library()

            if _GREEN_ENABLED.get(library, False):
                _green_yield(library)

            return

    _green_yield(current_green_library())


def green_checkpoint_if_cancelled(*, force: bool = False) -> None:
    """Do nothing: green libraries have no pending cancellation to check."""


class _CheckpointsSetting:
    """Context manager, decorator and awaitable proxy of a setting."""

    __slots__ = ("_enabled", "_tokens", "_wrapped")

    def __init__(self, enabled: bool, wrapped: Any = None) -> None:
        self._enabled = enabled
        self._tokens: list[Any] = []
        self._wrapped = wrapped

    def __repr__(self) -> str:
        func = "enable" if self._enabled else "disable"
        return f"aiologic.lowlevel.{func}_checkpoints()"

    def __enter__(self) -> bool:
        token = _checkpoints_cvar.set((_get_ident(), self._enabled))
        self._tokens.append(token)
        return self._enabled

    def __exit__(
        self, exc_type: object, exc_value: object, traceback: object
    ) -> None:
        _checkpoints_cvar.reset(self._tokens.pop())

    async def __aenter__(self) -> bool:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: object, exc_value: object, traceback: object
    ) -> None:
        self.__exit__(exc_type, exc_value, traceback)

    def __await__(self) -> Generator[Any, Any, Any]:
        if self._wrapped is None:
            msg = "object is not awaitable"
            raise TypeError(msg)

        token = _checkpoints_cvar.set((_get_ident(), self._enabled))

        try:
            return (yield from self._wrapped.__await__())
        finally:
            _checkpoints_cvar.reset(token)


def _apply_setting(enabled: bool, wrapped: Any) -> Any:
    if wrapped is MISSING:
        return _CheckpointsSetting(enabled)

    if isawaitable(wrapped):
        return _CheckpointsSetting(enabled, wrapped)

    if iscoroutinefunction(wrapped):

        @wraps(wrapped)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with _CheckpointsSetting(enabled):
                return await wrapped(*args, **kwargs)

        return async_wrapper

    if callable(wrapped):

        @wraps(wrapped)
        def green_wrapper(*args: Any, **kwargs: Any) -> Any:
            with _CheckpointsSetting(enabled):
                return wrapped(*args, **kwargs)

        return green_wrapper

    msg = f"expected an awaitable or a callable, not {type(wrapped).__name__}"
    raise TypeError(msg)


def enable_checkpoints(wrapped: Any | MissingType = MISSING, /) -> Any:
    """Turn checkpoints on in the current thread for a block or call.

    Without an argument: a context manager (``with``/``async with``,
    returns ``True``). With an awaitable: a proxy awaitable. With a
    coroutine function: an async decorator. With another callable: a
    green decorator. Threads started inside do not inherit the setting.
    """
    return _apply_setting(True, wrapped)


def disable_checkpoints(wrapped: Any | MissingType = MISSING, /) -> Any:
    """Turn checkpoints off in the current thread for a block or call.

    The mirror of `enable_checkpoints()` (the context manager returns
    ``False``).
    """
    return _apply_setting(False, wrapped)
