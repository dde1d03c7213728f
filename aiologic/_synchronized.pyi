# SPDX-License-Identifier: MIT

from types import TracebackType
from typing import Any, Awaitable, Callable, Protocol, TypeVar, overload

from typing_extensions import ParamSpec, Self

_P = ParamSpec("_P")
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[..., Any])

class _SyncLockLike(Protocol):
    def acquire(self, /) -> Any: ...
    def release(self, /) -> Any: ...

class _AsyncLockLike(Protocol):
    async def acquire(self, /) -> Any: ...
    def release(self, /) -> Any: ...

class _MixedLockLike(Protocol):
    def green_acquire(self, /) -> Any: ...
    def green_release(self, /) -> Any: ...
    async def async_acquire(self, /) -> Any: ...
    def async_release(self, /) -> Any: ...

class _Synchronizer:
    def __call__(self, func: _F, /) -> _F: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class _GreenSynchronizer(_Synchronizer):
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class _AsyncSynchronizer(_Synchronizer):
    def __call__(  # type: ignore[override]
        self, func: Callable[_P, Awaitable[_R]], /
    ) -> Callable[_P, Awaitable[_R]]: ...

# an async ``acquire`` also matches the sync protocol: the first wins
@overload
def synchronized(  # pyright: ignore[reportOverlappingOverload]
    wrapped: _AsyncLockLike, /
) -> _AsyncSynchronizer: ...
@overload
def synchronized(wrapped: _SyncLockLike, /) -> _GreenSynchronizer: ...
@overload
def synchronized(wrapped: _MixedLockLike, /) -> _GreenSynchronizer: ...
@overload
def synchronized(wrapped: _F, /) -> _F: ...
