# SPDX-License-Identifier: MIT

"""An async event created outside any event loop.

It binds to the loop of its first waiter: that waiter creates a bound
event and hands the pending state over to it with the same one-shot
`list.pop()` that `set()` and `cancel()` use, so exactly one of "set",
"cancelled" or "handed over" wins. After a hand-over, every operation is
forwarded to the bound event.
"""

from __future__ import annotations

from typing import Any, Final, Generator, cast

from .._events import _SET, _STATE_NAMES, _BaseAsyncEvent, create_async_event

__all__ = ("AsyncEvent",)

_DELEGATED: Final = 3


class AsyncEvent(_BaseAsyncEvent):
    """An async event that binds to the loop of its first waiter."""

    __slots__ = ("_inner",)

    # the bound event; read only once the state is _DELEGATED
    _inner: _BaseAsyncEvent

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)

        self._inner = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = self._state

        if state == _DELEGATED:
            state = self._inner._state

        return (
            f"<aiologic.lowlevel.AsyncEvent object"
            f" at {id(self):#x}: {_STATE_NAMES[state]}>"
        )

    def __bool__(self) -> bool:
        return self.is_set()

    def is_set(self) -> bool:
        state = self._state

        if state == _DELEGATED:
            return self._inner.is_set()

        return state == _SET

    def cancelled(self) -> bool:
        state = self._state

        if state == _DELEGATED:
            return self._inner.cancelled()

        return super().cancelled()

    def set(self) -> bool:
        if super().set():
            return True

        self._settle()

        if self._state == _DELEGATED:
            return self._inner.set()

        return False

    def _claim(self) -> bool:
        if super()._claim():
            return True

        self._settle()

        if self._state == _DELEGATED:
            return self._inner._claim()

        return False

    def _publish(self) -> bool:
        if self._state == _DELEGATED:
            return self._inner._publish()

        return super()._publish()

    def cancel(self) -> bool:
        if super().cancel():
            return True

        self._settle()

        if self._state == _DELEGATED:
            return self._inner.cancel()

        return False

    def _wait(self, timeout: float | None) -> Generator[Any, Any, bool]:
        if self._state == _DELEGATED:
            return (yield from self._inner._wait(timeout))

        if not self._flag:
            return (yield from self._resolved())

        self._begin_wait()

        inner = cast(
            "_BaseAsyncEvent",
            create_async_event(shield=self.shield, force=self.force),
        )
        self._inner = inner

        try:
            self._flag.pop()
        except IndexError:  # resolved by set() or cancel() meanwhile
            self._inner = None  # type: ignore[assignment]
            return (yield from self._resolved())

        self._state = _DELEGATED
        return (yield from inner._wait(timeout))
