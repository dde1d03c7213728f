# SPDX-License-Identifier: MIT

# Event flags: set once, wake every waiter.


cdef class EventCore(_WaiterList):
    """A flag that, once set, wakes every waiter queued before or after."""

    cdef Py_ssize_t _set  # 0 or 1, atomic

    def __init__(self):
        # no arguments, as in the pure core
        pass

    def is_set(self):
        """Whether the flag is set."""
        return aiologic_load(&self._set) != 0

    def set(self):
        """Set the flag; True if this call did it."""
        return self._set_flag()

    cdef bint _set_flag(self) except -1:
        cdef Py_ssize_t unset = 0
        if not aiologic_compare_exchange(&self._set, &unset, 1):
            return False
        self._wake_all()
        return True

    def add_waiter(self, event):
        """Queue *event*; set it at once if the flag is already set.

        Returns the handle for `remove_waiter`.
        """
        cdef _Waiter node = _Waiter.__new__(_Waiter)
        node.event = event
        self._link(node)
        if aiologic_load(&self._set):
            self._wake_all()
        return node

    def remove_waiter(self, handle):
        """Dequeue a waiter that gave up; tell whether it was queued.

        *handle* is what `add_waiter` returned, or the queued event itself
        (for a waiter interrupted before it got its handle).
        """
        if type(handle) is not _Waiter:
            handle = self._find(handle)
            if handle is None:
                return False
        return self._unlink(handle)

    def wake_all(self):
        """Set every queued event."""
        self._wake_all()

    cdef int _wake_all(self) except -1:
        cdef _Waiter node
        while True:
            node = self._pop()
            if node is None:
                return 0
            node.event.set()


cdef class EventBase:
    """The hot paths of ``Event`` and ``REvent``: set, test, a set event.

    ``_core`` is the `EventCore` of the current round; ``REvent.clear()``
    replaces it. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue on the core and wait).
    ``_await`` is the implementation of ``__await__`` (the public classes
    alias it).
    """

    # replaced as a whole by REvent.clear(): read and written in critical
    # sections, so that a reader never takes a core being dropped
    cdef EventCore _current

    def __cinit__(self, *args, **kwargs):
        self._current = EventCore()

    @property
    def _core(self):
        return self._get_core()

    @_core.setter
    def _core(self, EventCore core not None):
        cdef EventCore previous
        with cython.critical_section(self):
            previous = self._current
            self._current = core

    cdef inline EventCore _get_core(self):
        cdef EventCore core
        with cython.critical_section(self):
            core = self._current
        return core

    def __bool__(self):
        return aiologic_load(&self._get_core()._set) != 0

    def _await(self, /, timeout=None):
        cdef EventCore core
        if timeout is not None:
            timeout = _check_timeout(timeout)
        core = self._get_core()
        if aiologic_load(&core._set):
            checkpoint = _async_checkpoint_here()
            if checkpoint is None:
                return aiologic_ready_new(True)
            return _passed(checkpoint).__await__()
        return self._async_wait_core(core, timeout).__await__()

    async def with_(self, /, timeout=None):
        """Wait in the current async task until the event is set.

        Returns False if *timeout* seconds pass first. When cancelled, the
        waiter leaves the queue and the cancellation propagates.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        if timeout is not None:
            timeout = _check_timeout(timeout)
        return await self._async_wait_core(self._get_core(), timeout)

    async def _async_wait_core(self, EventCore core, timeout):
        if aiologic_load(&core._set):
            await _async_checkpoint()
            return True
        return await self._async_wait(core, timeout)

    def wait(self, /, timeout=None):
        """Block the current thread or greenlet until the event is set.

        Returns False if *timeout* seconds pass first.

        Args:
            timeout: seconds to wait at most; None (or ``inf``) waits
                forever, 0 only checks. Negative or NaN: ValueError.
        """
        cdef EventCore core
        if timeout is not None:
            timeout = _check_timeout(timeout)
        core = self._get_core()
        if aiologic_load(&core._set):
            _green_checkpoint_if_enabled()
            return True
        return self._green_wait(core, timeout)

    def set(self, /):
        """Set the event and wake every waiter (FIFO); idempotent."""
        self._get_core()._set_flag()

    def is_set(self, /):
        """Whether the event is set."""
        return aiologic_load(&self._get_core()._set) != 0

    @property
    def waiting(self):
        """The number of tasks waiting for the event."""
        return aiologic_load(&self._get_core()._waiting)


async def _passed(checkpoint):
    # a set event: only its checkpoint is left
    await checkpoint
    return True
