# SPDX-License-Identifier: MIT

"""The pure-Python core: the hot state machines under every primitive.

Why this is safe without a lock, with the GIL, without it (CPython 3.13t)
and on PyPy: every shared mutation is one call of a container method that
those runtimes execute atomically (``list.append``, ``list.pop``,
``deque.append``, ``deque.popleft``, ``deque.remove``), and the waiter
events resolve "woken or cancelled" with one such call too.

Permits and waiters live in two containers, so a release and a new waiter
can pass each other: the releaser finds no waiter, the waiter found no
permit. Both sides therefore *settle* after their own change: whoever
changes state last sees both the permit and the waiter and completes the
hand-off. A permit is only ever handed to the first live waiter (FIFO);
a waiter that was cancelled makes its ``set()`` fail, so the permit moves
on to the next one. Permits sit in the list as chunks (ints >= 1), so a
large value costs one slot, and a fast acquire is one ``pop()``.

The compiled core (``_aiologic_core``) implements the same names with the
same contract; ``aiologic._impl`` picks one of the two at import.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Tuple

__all__ = ("EventCore", "PermitCounter", "WaitQueue")

#: A queued waiter: the low-level event to set and the token that the
#: waiter is given with the permit (its task ident for ownable locks).
Entry = Tuple[Any, Any]


class WaitQueue(deque):  # type: ignore[type-arg]
    """FIFO of waiters with removal of a cancelled waiter."""

    __slots__ = ()

    def discard(self, entry: object) -> bool:
        """Remove *entry* if it is still queued; tell whether it was."""
        try:
            self.remove(entry)
        except ValueError:
            return False
        return True


class PermitCounter:
    """Permits handed directly to FIFO waiters, never barged.

    ``owner`` is the token of the waiter that was last handed a permit
    (``None`` when the permit went back to the counter); ownable locks use
    it so that the owner is known before the woken waiter runs.
    """

    __slots__ = ("_permits", "_single", "owner", "waiters")

    def __init__(self, value: int, single: bool = False) -> None:
        # single: keep one permit per slot, so that ``value`` is exact even
        # while a chunk is being split (bounded semaphores compare it)
        self._single = single
        if value <= 0:
            self._permits: list[int] = []
        elif single:
            self._permits = [1] * value
        else:
            self._permits = [value]
        self.waiters = WaitQueue()
        self.owner: Any = None

    @property
    def value(self) -> int:
        """The permits available right now."""
        return sum(self._permits.copy())

    @property
    def waiting(self) -> int:
        """The number of queued waiters."""
        return len(self.waiters)

    def available(self) -> bool:
        """Whether a permit is free right now."""
        return bool(self._permits)

    def try_acquire(self, token: Any = None) -> bool:
        """Take one permit if one is free and nobody waits for it.

        On success *token* becomes the ``owner``.
        """
        if self.waiters:
            return False
        permits = self._permits
        try:
            chunk = permits.pop()
        except IndexError:
            return False
        self.owner = token
        if chunk > 1:
            permits.append(chunk - 1)
            if self.waiters:
                # a waiter queued while the rest was out of the list
                self._settle()
        return True

    def add_waiter(self, entry: Entry) -> None:
        """Queue *entry*, then hand it a permit if one became free."""
        self.waiters.append(entry)
        if self._permits:
            self._settle()

    def remove_waiter(self, entry: Entry) -> bool:
        """Dequeue a waiter that gave up; tell whether it was queued."""
        return self.waiters.discard(entry)

    def release(self, count: int = 1) -> None:
        """Add *count* permits, handing them to waiters first.

        Permits go straight to live waiters, so while anyone waits a
        released permit is never seen free (no barging, ``owner`` names
        the next holder before it runs).
        """
        waiters = self.waiters
        while count and waiters:
            try:
                event, token = waiters.popleft()
            except IndexError:
                break
            self.owner = token
            if event.set():
                count -= 1
        if count:
            self.owner = None
            self._put_back(count)
            if waiters:
                self._settle()

    def _put_back(self, count: int) -> None:
        if self._single:
            self._permits.extend([1] * count)
        else:
            self._permits.append(count)

    def _settle(self) -> None:
        # Hand free permits to live waiters until one of the two runs out.
        permits = self._permits
        waiters = self.waiters
        while waiters:
            try:
                chunk = permits.pop()
            except IndexError:
                return
            while chunk:
                try:
                    event, token = waiters.popleft()
                except IndexError:
                    break
                self.owner = token
                if event.set():
                    chunk -= 1
            if chunk:
                self.owner = None
                self._put_back(chunk)


class EventCore:
    """A flag that, once set, wakes every waiter queued before or after."""

    __slots__ = ("_unset", "waiters")

    def __init__(self) -> None:
        self._unset = [True]
        self.waiters = WaitQueue()

    def is_set(self) -> bool:
        """Whether the flag is set."""
        return not self._unset

    def set(self) -> bool:
        """Set the flag; True if this call did it."""
        try:
            self._unset.pop()
        except IndexError:
            return False
        self.wake_all()
        return True

    def add_waiter(self, event: Any) -> None:
        """Queue *event*; set it at once if the flag is already set."""
        self.waiters.append(event)
        if not self._unset:
            self.wake_all()

    def remove_waiter(self, event: Any) -> bool:
        """Dequeue a waiter that gave up; tell whether it was queued."""
        return self.waiters.discard(event)

    def wake_all(self) -> None:
        """Set every queued event."""
        waiters = self.waiters
        while waiters:
            try:
                event = waiters.popleft()
            except IndexError:
                return
            event.set()
