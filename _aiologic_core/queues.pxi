# SPDX-License-Identifier: MIT

# Simple queues: puts, and gets that need not wait, in C.
#
# Each stored item is one permit of the counter, released after the item
# is stored: a getter that takes a permit finds its item. Deque appends
# and pops are atomic with or without the GIL. Waiting is the subclass's
# business (_green_get_wait and _async_get_wait, in aiologic/_queues.py).


cdef class SimpleQueueCore:
    """The hot paths of the simple queues: puts, and gets that need not wait.

    ``_init_core()`` takes the storage (a deque) and the order of gets.
    Each stored item is one permit of the counter, released after the
    item is stored. Subclasses provide the slow paths:
    ``_green_get_wait``/``_async_get_wait`` (fail at once, or queue and
    wait for an item, then take it with ``_pop``).
    """

    cdef readonly PermitCounter _core
    cdef readonly object _data
    cdef readonly bint _lifo
    cdef object _append  # bound methods of the storage
    cdef object _take

    def _init_core(self, data, lifo):
        self._data = data
        self._lifo = lifo
        self._append = data.append
        self._take = data.pop if lifo else data.popleft
        self._core = PermitCounter(len(data))

    def put(self, /, item):
        """Append *item*; never blocks, never yields.

        Safe in signal handlers: no lock is taken.
        """
        self._put(item)

    cdef inline int _put(self, object item) except -1:
        self._append(item)
        # the item is stored before its permit is visible
        return self._core._release(1)

    async def async_put(self, /, item, *, blocking=True, timeout=None):
        """Append *item*; never waits.

        With ``blocking=True`` (``timeout`` is only validated) one
        checkpoint comes first: cancelled there, nothing is put.
        """
        if blocking:
            if timeout is not None:
                _check_timeout(timeout)
            if _async_checkpoint_may_yield():
                await _async_checkpoint()
        self._put(item)

    def green_put(self, /, item, *, blocking=True, timeout=None):
        """Append *item*; never waits.

        With ``blocking=True`` (``timeout`` is only validated) one
        checkpoint comes first: interrupted there, nothing is put.
        """
        if blocking:
            if timeout is not None:
                _check_timeout(timeout)
            _green_checkpoint_if_enabled()
        self._put(item)

    async def async_get(self, /, *, blocking=True, timeout=None):
        """Remove and return the next item, waiting in the current task.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Cancelled while waiting: no item is
        taken or lost.
        """
        cdef PermitCounter core = self._core
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        if not core._try_acquire(_NO_TASK, 0):
            return await self._async_get_wait(blocking, timeout)
        if blocking and _async_checkpoint_may_yield():
            try:
                await _async_checkpoint()
            except BaseException:
                # the item was not popped yet: its permit is enough
                core._release(1)
                raise
        return self._take()

    def green_get(self, /, *, blocking=True, timeout=None):
        """Remove and return the next item, blocking this thread/greenlet.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Interrupted while waiting: no item
        is taken or lost.
        """
        cdef PermitCounter core = self._core
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        if not core._try_acquire(_NO_TASK, 0):
            return self._green_get_wait(blocking, timeout)
        if blocking:
            try:
                _green_checkpoint_if_enabled()
            except BaseException:
                # the item was not popped yet: its permit is enough
                core._release(1)
                raise
        return self._take()

    def _pop(self):
        # a permit was taken, so an item is there
        return self._take()

    @property
    def getting(self):
        """The number of tasks waiting for an item."""
        return aiologic_load(&self._core._waiting)

    @property
    def waiting(self):
        """The number of waiting tasks (getters only)."""
        return aiologic_load(&self._core._waiting)
