# SPDX-License-Identifier: MIT

"""A detector of concurrent use of a resource."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from .meta import DEFAULT, DefaultType

__all__ = ("BusyResourceError", "ResourceGuard")


class BusyResourceError(RuntimeError):
    """Raised when a guarded resource is already in use."""


class ResourceGuard:
    """Raise instead of waiting when a resource is used concurrently.

    ``with guard:`` marks the resource as in use for the block; entering
    while another block (of any thread or task) is inside raises
    `BusyResourceError`. Non-blocking, no ownership, thread-safe.

    Args:
        action: the verb of the error message (default ``"using"``); it
            is keyword-only, passing anything positionally is a
            ValueError.
    """

    __slots__ = ("__weakref__", "_action", "_unlocked")

    def __new__(
        cls,
        _: DefaultType = DEFAULT,
        /,
        action: str | DefaultType = DEFAULT,
    ) -> ResourceGuard:
        if _ is not DEFAULT:
            msg = "the first argument should not have been passed"
            raise ValueError(msg)
        self = object.__new__(cls)
        self._action = "using" if action is DEFAULT else action
        # one token while free: entering pops it, leaving puts it back
        self._unlocked = [True]
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (DEFAULT, self._action)

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> ResourceGuard:
        return type(self)(action=self._action)

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        state = "unlocked" if self._unlocked else "locked"
        return f"<{name}({self._action!r}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return not self._unlocked

    def __enter__(self) -> ResourceGuard:
        try:
            self._unlocked.pop()
        except IndexError:
            msg = f"another task is already {self._action} this resource"
            raise BusyResourceError(msg) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._unlocked.append(True)

    @property
    def action(self) -> str:
        """The verb used in the `BusyResourceError` message."""
        return self._action  # type: ignore[return-value]
