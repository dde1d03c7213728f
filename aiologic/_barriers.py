# SPDX-License-Identifier: MIT

"""Latches and barriers.

A barrier is filled in *phases*. Each phase counts its arrivals and owns
an `EventCore` that its waiters queue on; the phase ends exactly once,
either released (the last party arrived) or broken (abort, reset, or a
waiter that timed out or was cancelled while the phase was filling), and
that outcome is recorded before its core is set. A waiter therefore reads
the outcome of its own phase when it wakes, never the state of a later
one. Arrivals and endings change several fields at once, so they run
under a short thread lock; waiting and waking happen outside it, and a
waiter that queues after its phase ended finds the core already set.

A latch has a single phase; a cyclic barrier starts a new phase when the
last party of the current one arrives.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._impl import EventCore
from ._utils import check_count, check_timeout
from .lowlevel import async_checkpoint, green_checkpoint
from .lowlevel._events import create_async_event, create_green_event
from .lowlevel._thread_locks import create_thread_lock
from .meta import DEFAULT, DefaultType

if TYPE_CHECKING:
    from _thread import LockType

__all__ = ("Barrier", "BrokenBarrierError", "Latch", "RBarrier")


class BrokenBarrierError(RuntimeError):
    """Raised by waits on a broken barrier or latch."""


def _check_parties(parties: object) -> int:
    if parties is DEFAULT:
        return 0
    parties = check_count(parties, "parties")
    if parties < 0:
        msg = "parties must be >= 0"
        raise ValueError(msg)
    return parties


class _Phase:
    # One filling of a barrier: its arrivals, its waiters, how it ended.

    __slots__ = ("arrived", "core", "passed")

    def __init__(self) -> None:
        self.arrived = 0
        self.core = EventCore()
        # None while filling, True once released, False once broken
        self.passed: bool | None = None


# what an arrival at a latch found
_WAIT = 0  # the latch is filling: wait for the others
_FILLED = 1  # this arrival filled it and released the waiters
_OPEN = 2  # it was already drained: pass
_BROKEN = 3  # it is broken: raise


def _green_wait_phase(phase: _Phase, timeout: float | None) -> bool:
    # Wait until *phase* ends; False on timeout. The caller breaks the
    # barrier if the phase was still filling when the wait gave up.
    core = phase.core
    event = create_green_event()
    handle: Any = event  # (until queued, the core finds it by its event)
    try:
        handle = core.add_waiter(event)
        success = event.wait(timeout)
    except BaseException:
        # (an event that never waited is still pending: cancel it first)
        if event.cancel() or not event.is_set():
            core.remove_waiter(handle)
        raise
    if not success:
        core.remove_waiter(handle)
    return success  # type: ignore[no-any-return]


async def _async_wait_phase(phase: _Phase, timeout: float | None) -> bool:
    core = phase.core
    event = create_async_event()
    handle: Any = event  # (until queued, the core finds it by its event)
    try:
        handle = core.add_waiter(event)
        if timeout is None:
            success = await event
        else:
            success = await event.with_(timeout)
    except BaseException:
        # (an event that never waited is still pending: cancel it first)
        if event.cancel() or not event.is_set():
            core.remove_waiter(handle)
        raise
    if not success:
        core.remove_waiter(handle)
    return success  # type: ignore[no-any-return]


class Latch:
    """A single-use barrier: everybody passes once `parties` arrived.

    Later waits pass at once. A waiter that times out or is cancelled
    while the latch is filling breaks it: every waiter, present and
    future, then gets `BrokenBarrierError` (the one that timed out too; a
    cancelled one gets its cancellation), and so does a cancellation of
    the arrival that fills it (at its checkpoint). A latch of zero parties
    is open from the start. Thread-safe: any thread, task or loop may wait.

    Args:
        parties: the number of arrivals that fill the latch (default 0).
    """

    __slots__ = ("__weakref__", "_broken", "_lock", "_parties", "_phase")

    _broken: bool
    _lock: LockType
    _parties: int
    _phase: _Phase

    def __new__(cls, parties: int | DefaultType = DEFAULT) -> Latch:
        parties = _check_parties(parties)
        self = object.__new__(cls)
        self._parties = parties
        self._broken = False
        self._lock = create_thread_lock()
        self._phase = phase = _Phase()
        if not parties:
            # nobody to wait for
            phase.passed = True
            phase.core.set()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        if self._parties:
            return (self._parties,)
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Latch:
        return type(self)(*self.__getnewargs__())

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        args = ", ".join(map(repr, self.__getnewargs__()))
        phase = self._phase
        if self._broken:
            state = "broken"
        elif phase.passed:
            state = "draining"
        else:
            state = f"filling, waiting={phase.core.waiting}"
        return f"<{name}({args}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return self._broken or bool(self._phase.passed)

    def _arrive(self) -> int:
        # An exception that lands once the arrival is counted (a signal
        # handler's KeyboardInterrupt as the lock is released) ends it as
        # a waiter that gives up: the latch breaks unless it was filled,
        # and its waiters are released either way.
        phase = None
        try:
            with self._lock:
                if self._broken:
                    return _BROKEN
                phase = self._phase
                if phase.passed is not None:
                    return _OPEN
                phase.arrived += 1
                if phase.arrived < self._parties:
                    return _WAIT
                phase.passed = True
            phase.core.set()
        except BaseException:
            if phase is not None:
                self._give_up()
            raise
        return _FILLED

    def _give_up(self) -> bool:
        # A waiter stopped waiting: break the latch unless it was released
        # meanwhile; tell whether it was.
        with self._lock:
            phase = self._phase
            if phase.passed is None:
                phase.passed = False
                self._broken = True
            passed = phase.passed is True
        phase.core.set()
        return passed

    def __await__(self, /, timeout: float | None = None) -> Any:
        return self.with_(timeout).__await__()

    async def with_(self, /, timeout: float | None = None) -> None:
        """Wait in the current async task until the latch is filled.

        Raises `BrokenBarrierError` if it is or gets broken, or if
        *timeout* seconds pass first (which breaks it). Cancellation while
        waiting breaks it too and propagates.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever. Negative or NaN: ValueError, before arriving.
        """
        timeout = check_timeout(timeout)
        arrival = self._arrive()
        if arrival == _BROKEN:
            raise BrokenBarrierError
        if arrival != _WAIT:
            try:
                await async_checkpoint()
            except BaseException:
                if arrival == _FILLED:
                    self.abort()
                raise
            return
        phase = self._phase
        try:
            success = await _async_wait_phase(phase, timeout)
        except BaseException:
            self._give_up()
            raise
        if not (phase.passed if success else self._give_up()):
            raise BrokenBarrierError

    def wait(self, /, timeout: float | None = None) -> None:
        """Block the current thread or greenlet until the latch is filled.

        Raises `BrokenBarrierError` if it is or gets broken, or if
        *timeout* seconds pass first (which breaks it).

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever. Negative or NaN: ValueError, before arriving.
        """
        timeout = check_timeout(timeout)
        arrival = self._arrive()
        if arrival == _BROKEN:
            raise BrokenBarrierError
        if arrival != _WAIT:
            try:
                green_checkpoint()
            except BaseException:
                if arrival == _FILLED:
                    self.abort()
                raise
            return
        phase = self._phase
        try:
            success = _green_wait_phase(phase, timeout)
        except BaseException:
            self._give_up()
            raise
        if not (phase.passed if success else self._give_up()):
            raise BrokenBarrierError

    def abort(self, /) -> None:
        """Break the latch, even a drained one.

        Current waiters and every later wait raise `BrokenBarrierError`.
        """
        with self._lock:
            self._broken = True
            phase = self._phase
            if phase.passed is None:
                phase.passed = False
        phase.core.set()

    @property
    def parties(self) -> int:
        """The number of arrivals that fill the latch."""
        return self._parties

    @property
    def broken(self) -> bool:
        """Whether the latch is broken."""
        return self._broken

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the latch to fill."""
        return self._phase.core.waiting


class Barrier:
    """A cyclic barrier: each group of `parties` arrivals passes together.

    Each wait returns the arrival index (0 for the first arrival of a
    group, ``parties - 1`` for the last). A waiter that times out or is
    cancelled while its group is filling breaks the barrier (as does a
    cancellation of the last arrival at its checkpoint), and a broken
    `Barrier` stays broken: every wait then raises `BrokenBarrierError`. A
    barrier of zero parties lets every wait pass at once with index 0.
    Thread-safe: any thread, task or loop may wait.

    Args:
        parties: the size of a group (default 0).
    """

    __slots__ = ("__weakref__", "_broken", "_lock", "_parties", "_phase")

    _broken: bool
    _lock: LockType
    _parties: int
    _phase: _Phase

    def __new__(cls, parties: int | DefaultType = DEFAULT) -> Barrier:
        parties = _check_parties(parties)
        self = object.__new__(cls)
        self._parties = parties
        self._broken = False
        self._lock = create_thread_lock()
        self._phase = _Phase()
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        if self._parties:
            return (self._parties,)
        return ()

    def __getstate__(self) -> None:
        return None

    def __copy__(self) -> Barrier:
        return type(self)(*self.__getnewargs__())

    def _repr_args(self) -> str:
        return ", ".join(map(repr, self.__getnewargs__()))

    def __repr__(self) -> str:
        name = f"aiologic.{type(self).__qualname__}"
        if self._broken:
            state = "broken"
        else:
            state = f"filling, waiting={self._phase.core.waiting}"
        return f"<{name}({self._repr_args()}) at {id(self):#x} [{state}]>"

    def __enter__(self) -> int:
        return self.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()

    async def __aenter__(self) -> int:
        return await self.with_()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()

    def _arrive(self) -> tuple[_Phase, int, bool]:
        # Join the current phase; the last arrival ends it and starts the
        # next one. An exception that lands once the arrival is counted
        # (a signal handler's KeyboardInterrupt as the lock is released)
        # ends it as a waiter that gives up: the phase breaks unless it
        # passed, and its waiters are released either way.
        phase = None
        try:
            with self._lock:
                if self._broken:
                    raise BrokenBarrierError
                phase = self._phase
                index = phase.arrived
                phase.arrived = index + 1
                last = index + 1 >= self._parties
                if last:
                    # the next phase first: an exception while it is made
                    # leaves this one filling, to be broken below
                    self._phase = _Phase()
                    phase.passed = True
            if last:
                phase.core.set()
            return phase, index, last
        except BaseException:
            if phase is not None:
                self._give_up(phase)
            raise

    def _give_up(self, phase: _Phase) -> bool:
        # A waiter of *phase* stopped waiting: break the barrier unless the
        # phase ended meanwhile; tell whether it was released.
        with self._lock:
            if phase.passed is None:
                phase.passed = False
                self._broken = True
            passed = phase.passed is True
        phase.core.set()
        return passed

    def __await__(self, /, timeout: float | None = None) -> Any:
        return self.with_(timeout).__await__()

    async def with_(self, /, timeout: float | None = None) -> int:
        """Wait in the current async task for the other parties.

        Returns the arrival index. Raises `BrokenBarrierError` if the
        barrier is or gets broken, or if *timeout* seconds pass first
        (which breaks it). Cancellation while waiting breaks it too and
        propagates.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever. Negative or NaN: ValueError, before arriving.
        """
        timeout = check_timeout(timeout)
        phase, index, last = self._arrive()
        if last:
            try:
                await async_checkpoint()
            except BaseException:
                self.abort()
                raise
            return index
        try:
            success = await _async_wait_phase(phase, timeout)
        except BaseException:
            self._give_up(phase)
            raise
        if not (phase.passed if success else self._give_up(phase)):
            raise BrokenBarrierError
        return index

    def wait(self, /, timeout: float | None = None) -> int:
        """Block the current thread or greenlet for the other parties.

        Returns the arrival index. Raises `BrokenBarrierError` if the
        barrier is or gets broken, or if *timeout* seconds pass first
        (which breaks it).

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever. Negative or NaN: ValueError, before arriving.
        """
        timeout = check_timeout(timeout)
        phase, index, last = self._arrive()
        if last:
            try:
                green_checkpoint()
            except BaseException:
                self.abort()
                raise
            return index
        try:
            success = _green_wait_phase(phase, timeout)
        except BaseException:
            self._give_up(phase)
            raise
        if not (phase.passed if success else self._give_up(phase)):
            raise BrokenBarrierError
        return index

    def abort(self, /) -> None:
        """Break the barrier: current and later waits raise."""
        with self._lock:
            self._broken = True
            phase = self._phase
            if phase.passed is None:
                phase.passed = False
        phase.core.set()

    @property
    def parties(self) -> int:
        """The number of arrivals that release a group."""
        return self._parties

    @property
    def broken(self) -> bool:
        """Whether the barrier is broken."""
        return self._broken

    @property
    def waiting(self) -> int:
        """The number of tasks waiting in the current group."""
        return self._phase.core.waiting


class RBarrier(Barrier):
    """A reusable barrier: like `Barrier`, but `reset()` repairs it.

    `abort()` breaks it until the next `reset()`.
    """

    __slots__ = ()

    def _repr_args(self) -> str:
        return repr(self._parties)

    def reset(self, /) -> None:
        """Wake current waiters with `BrokenBarrierError`; unbreak.

        The barrier then starts a fresh group.
        """
        with self._lock:
            phase = self._phase
            if phase.passed is None:
                phase.passed = False
            self._phase = _Phase()
            self._broken = False
        phase.core.set()
