# SPDX-License-Identifier: MIT

"""A one-slot cell that can be set once until cleared."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar
from warnings import warn

from .lowlevel._thread_locks import create_thread_lock
from .meta import MISSING, MissingType

if TYPE_CHECKING:
    from _thread import LockType

__all__ = ("Flag",)

_T = TypeVar("_T")


class Flag(Generic[_T]):
    """A cell that holds one marker, set at most once until cleared.

    Non-blocking and thread-safe: `set()` from many threads at once stores
    exactly one marker, and only the caller that passed it (or any caller
    passing that same object) is told True.

    Args:
        marker: the initial marker; the flag starts empty without one.
    """

    __slots__ = ("__weakref__", "_lock", "_markers")

    _lock: LockType
    _markers: list[_T]

    def __new__(cls, marker: _T | MissingType = MISSING) -> Flag[_T]:
        self = object.__new__(cls)
        # holds at most one item: the marker
        self._markers = [] if marker is MISSING else [marker]
        self._lock = create_thread_lock()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        try:
            marker = self._markers[0]
        except IndexError:
            return ()
        warn(
            "Pickling will no longer preserve the state in the future",
            DeprecationWarning,
            stacklevel=2,
        )
        return (marker,)

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Flag[_T]:
        warn(
            "Copying will no longer preserve the state in the future",
            DeprecationWarning,
            stacklevel=2,
        )
        try:
            marker = self._markers[0]
        except IndexError:
            return type(self)()
        return type(self)(marker)

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        try:
            marker = self._markers[0]
        except IndexError:
            return f"{name}()"
        return f"{name}({marker!r})"

    def __bool__(self) -> bool:
        return bool(self._markers)

    def copy(self, /) -> Flag[_T]:
        """Return a copy holding the same marker (deprecated)."""
        warn(
            "Use copy.copy(queue) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.__copy__()

    def get(
        self,
        /,
        default: Any = MISSING,
        *,
        default_factory: Callable[[], Any] | MissingType = MISSING,
    ) -> Any:
        """Return the stored marker.

        If the flag is empty, return *default* if given, else call
        *default_factory* if given, else raise `LookupError`.

        Args:
            default: returned when the flag is empty.
            default_factory: called for the result when the flag is empty
                and no *default* was given.
        """
        try:
            return self._markers[0]
        except IndexError:
            pass
        if default is not MISSING:
            return default
        if default_factory is not MISSING:
            return default_factory()  # type: ignore[operator]
        raise LookupError(self)

    def set(self, /, marker: Any = MISSING) -> bool:
        """Store *marker* (a new ``object()`` if not given) if empty.

        Returns True if the flag now holds this very marker (stored by
        this call or an earlier one), False if it holds another one.

        Args:
            marker: the object to store; compared by identity.
        """
        if marker is MISSING:
            marker = object()
        markers = self._markers
        # check-and-store must be one step for concurrent callers
        with self._lock:
            if markers:
                return markers[0] is marker
            markers.append(marker)
        return True

    def clear(self, /) -> None:
        """Empty the flag."""
        with self._lock:
            self._markers.clear()
