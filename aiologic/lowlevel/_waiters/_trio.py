# SPDX-License-Identifier: MIT

"""trio backend: park the waiting task, reschedule it once.

The waiter parks with `wait_task_rescheduled()`: exactly one checkpoint.
A `set()` inside the same run reschedules the task directly; from any
other thread it goes through the run's `TrioToken`. Both paths go
through `_reschedule()`, which runs in the trio thread and reschedules
only a task that is still parked, so a task is never rescheduled twice.
A cancellation reaches the waiter through the abort function, which
succeeds only if it wins the event's one-shot flag.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Generator

from trio import CancelScope, RunFinishedError, move_on_after
from trio.lowlevel import (
    Abort,
    current_task,
    current_trio_token,
    reschedule,
    wait_task_rescheduled,
)

from .._events import _SET, _BaseAsyncEvent
from .._thread_locks import _get_ident

__all__ = ("AsyncEvent",)

_SUCCEEDED = Abort.SUCCEEDED
_FAILED = Abort.FAILED


class AsyncEvent(_BaseAsyncEvent):
    """A low-level event awaited in a trio run."""

    __slots__ = (
        "_parked",
        "_scope",
        "_task",
        "_thread",
        "_token",
    )

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)

        self._task: Any = None
        self._token = current_trio_token()
        self._thread = _get_ident()
        self._parked = False
        self._scope: Any = None

    def _wake(self) -> bool:
        if _get_ident() == self._thread:
            try:
                inside = current_trio_token() is self._token
            except RuntimeError:
                # not inside any run right now (e.g. guest mode between
                # ticks, or the run has finished)
                inside = False

            if inside:
                self._reschedule()
                return True

        # (also tells a run that has finished)
        try:
            self._token.run_sync_soon(self._reschedule)
        except RunFinishedError:  # its task never runs again
            return False

        return True

    def _reschedule(self) -> None:
        if self._parked:
            reschedule(self._task)
            self._parked = False

    def _abort(self, raise_cancel: Any) -> Abort:
        if self.shield:
            scope = self._scope

            # only our own timeout may interrupt a shielded wait
            if scope is None or not scope.cancel_called:
                return _FAILED

        if self._try_cancel():
            self._parked = False
            return _SUCCEEDED

        # a set() won: it will reschedule us
        return _FAILED

    def _park(self) -> Generator[Any, Any, None]:
        self._task = current_task()
        self._parked = True
        # a generator-based await: the caller's coroutine awaits it
        yield from wait_task_rescheduled(  # noqa: ASYNC105
            self._abort
        ).__await__()

    def _wait(self, timeout: float | None) -> Generator[Any, Any, bool]:
        if not self._flag:
            return (yield from self._resolved())

        self._begin_wait()

        if timeout is None:
            yield from self._park()
        else:
            with CancelScope(shield=True) if self.shield else nullcontext():
                # the park below is the checkpoint (a `yield from`)
                with move_on_after(timeout) as scope:  # noqa: ASYNC100
                    self._scope = scope

                    try:
                        yield from self._park()
                    finally:
                        self._scope = None

        self._settle()
        return self._state == _SET
