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
            checkpoint = _async_checkpoint_here()
            if checkpoint is not None:
                await checkpoint
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
        checkpoint = _async_checkpoint_here() if blocking else None
        if checkpoint is not None:
            try:
                await checkpoint
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


# Complex queues: puts and gets that need not wait, in C.
#
# Every state change happens under the queue's thread lock (the Python
# slow paths take the same lock), held only for the change itself. With
# the stock storage hooks, items are stored and taken directly.

from collections import deque as _deque
from math import ceil as _ceil

cdef enum:
    # how QueueCore stores and takes items
    _STORAGE_HOOKS = 0  # the subclass's _put/_get
    _STORAGE_FIFO = 1  # a deque: append, popleft
    _STORAGE_LIFO = 2  # a list: append, pop
    _STORAGE_HEAP = 3  # a list kept as a binary heap

STORAGE_HOOKS = _STORAGE_HOOKS
STORAGE_FIFO = _STORAGE_FIFO
STORAGE_LIFO = _STORAGE_LIFO
STORAGE_HEAP = _STORAGE_HEAP

cdef object _QUEUE_NO_ITEM = object()


cdef class QueueCore:
    """The hot paths of the complex queues: puts and gets that need not wait.

    Every state change happens under ``_lock`` (an original thread lock,
    held only for the change itself). ``_init_core()`` sets the capacity,
    runs the ``_init`` hook that makes ``_data`` and records the storage
    kind. Subclasses provide the slow paths:
    ``_green_put_wait``/``_async_put_wait`` (item, blocking, timeout) and
    ``_green_get_wait``/``_async_get_wait`` (blocking, timeout), which
    fail at once when not blocking and else queue and wait;
    ``_feed_getters()``, which hands stored items to waiting getters, and
    ``_feed_putters()``, which stores the items of waiting putters.
    """

    cdef public object _data  # made by the _init hook
    cdef readonly object _getters
    cdef readonly object _putters
    cdef readonly object _lock
    cdef readonly object _maxsize
    cdef readonly Py_ssize_t _bound  # room while len(data) < bound; 0: unbounded
    cdef readonly int _storage
    cdef object _acquire_lock  # bound methods, looked up once
    cdef object _release_lock
    cdef object _append
    cdef object _pop_next

    #: what ``_try_get()`` returns when no item could be taken
    _NO_ITEM = _QUEUE_NO_ITEM

    def _init_core(self, items, maxsize, int storage):
        self._maxsize = maxsize
        if not maxsize or maxsize >= PY_SSIZE_T_MAX:
            self._bound = 0
        else:
            self._bound = _ceil(maxsize)
        self._getters = _deque()
        self._putters = _deque()
        lock = _create_thread_lock()
        self._lock = lock
        self._acquire_lock = lock.acquire
        self._release_lock = lock.release
        self._init(items, maxsize)
        data = self._data
        if storage == _STORAGE_FIFO:
            self._append = data.append
            self._pop_next = data.popleft
        elif storage == _STORAGE_LIFO:
            self._append = data.append
            self._pop_next = data.pop
        self._storage = storage

    # -- storage (with the lock held) ----------------------------------------

    cdef int _store(self, object item) except -1:
        if self._storage == _STORAGE_HEAP:
            return _heap_push(self._data, item)
        if self._storage:
            self._append(item)
        else:
            self._put(item)
        return 0

    cdef object _take(self):
        if self._storage == _STORAGE_HEAP:
            return _heap_pop(self._data)
        if self._storage:
            return self._pop_next()
        return self._get()

    cdef inline bint _room(self) except -1:
        if self._putters:
            return False
        return not self._bound or len(self._data) < self._bound

    cdef inline bint _item(self) except -1:
        return not self._getters and len(self._data) > 0

    cdef bint _try_put_locked(self, object item) except -1:
        if not self._room():
            return False
        self._store(item)
        if self._getters:
            self._feed_getters()
        return True

    cdef object _try_get_locked(self):
        if not self._item():
            return _QUEUE_NO_ITEM
        item = self._take()
        if self._putters:
            self._feed_putters()
        return item

    cdef bint _locked_try_put(self, object item) except -1:
        self._acquire_lock()
        try:
            return self._try_put_locked(item)
        finally:
            self._release_lock()

    cdef object _locked_try_get(self):
        self._acquire_lock()
        try:
            return self._try_get_locked()
        finally:
            self._release_lock()

    def _has_room(self):
        return self._room()

    def _has_item(self):
        return self._item()

    def _try_put(self, item):
        return self._try_put_locked(item)

    def _try_get(self):
        return self._try_get_locked()

    # -- the calls ------------------------------------------------------------

    async def async_put(self, /, item, *, blocking=True, timeout=None):
        """Store *item*, waiting in the current task while the queue is full.

        Raises ``QueueFull`` on timeout or, with ``blocking=False``, when
        there is no room at once. Cancelled while waiting: the item is not
        stored, unless room had already been handed over.
        """
        if blocking:
            if timeout is not None:
                timeout = _check_timeout(timeout)
            if not self._room():  # a guess without the lock
                return await self._async_put_wait(item, True, timeout)
            checkpoint = _async_checkpoint_here()
            if checkpoint is not None:
                await checkpoint
        if self._locked_try_put(item):
            return None
        return await self._async_put_wait(item, blocking, timeout)

    def green_put(self, /, item, *, blocking=True, timeout=None):
        """Store *item*, blocking this thread/greenlet while it is full.

        Raises ``QueueFull`` on timeout or, with ``blocking=False``, when
        there is no room at once. Interrupted while waiting: the item is
        not stored, unless room had already been handed over.
        """
        if blocking:
            if timeout is not None:
                timeout = _check_timeout(timeout)
            if not self._room():  # a guess without the lock
                return self._green_put_wait(item, True, timeout)
            _green_checkpoint_if_enabled()
        if self._locked_try_put(item):
            return None
        return self._green_put_wait(item, blocking, timeout)

    async def async_get(self, /, *, blocking=True, timeout=None):
        """Remove and return the next item, waiting in the current task.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Cancelled while waiting: no item is
        taken or lost.
        """
        if blocking:
            if timeout is not None:
                timeout = _check_timeout(timeout)
            if not self._item():  # a guess without the lock
                return await self._async_get_wait(True, timeout)
            checkpoint = _async_checkpoint_here()
            if checkpoint is not None:
                await checkpoint
        item = self._locked_try_get()
        if item is not _QUEUE_NO_ITEM:
            return item
        return await self._async_get_wait(blocking, timeout)

    def green_get(self, /, *, blocking=True, timeout=None):
        """Remove and return the next item, blocking this thread/greenlet.

        Raises ``QueueEmpty`` on timeout or, with ``blocking=False``, when
        no item can be taken at once. Interrupted while waiting: no item
        is taken or lost.
        """
        if blocking:
            if timeout is not None:
                timeout = _check_timeout(timeout)
            if not self._item():  # a guess without the lock
                return self._green_get_wait(True, timeout)
            _green_checkpoint_if_enabled()
        item = self._locked_try_get()
        if item is not _QUEUE_NO_ITEM:
            return item
        return self._green_get_wait(blocking, timeout)

    @property
    def maxsize(self):
        """The capacity; 0 when the queue is unbounded."""
        return self._maxsize

    @property
    def putting(self):
        """The number of tasks waiting for room."""
        return len(self._putters)

    @property
    def getting(self):
        """The number of tasks waiting for an item."""
        return len(self._getters)

    @property
    def waiting(self):
        """The number of waiting tasks, putters and getters."""
        return len(self._putters) + len(self._getters)


# The heap operations lay items out exactly as heapq does (so reprs
# match), but first do every comparison and only then move items: a
# raising ``__lt__`` leaves the heap untouched.


def heap_push(list heap, item):
    """Add *item* to the binary heap *heap* (a list)."""
    _heap_push(heap, item)


def heap_pop(list heap):
    """Remove and return the smallest item of the binary heap *heap*."""
    return _heap_pop(heap)


cdef int _heap_push(list heap, object item) except -1:
    cdef Py_ssize_t pos = len(heap)
    cdef Py_ssize_t parent, hole
    while pos:
        parent = (pos - 1) >> 1
        if item < heap[parent]:
            pos = parent
        else:
            break
    heap.append(item)
    hole = len(heap) - 1
    while hole > pos:
        parent = (hole - 1) >> 1
        heap[hole] = heap[parent]
        hole = parent
    heap[pos] = item
    return 0


cdef object _heap_pop(list heap):
    cdef Py_ssize_t size = len(heap) - 1  # the size after the pop
    cdef Py_ssize_t path[64]  # deeper than any list can make a heap
    cdef Py_ssize_t depth = 0
    cdef Py_ssize_t child = 1
    cdef Py_ssize_t index, i
    if size <= 0:
        return heap.pop()
    last = heap[size]
    # the path of smaller children from the root down to a leaf, as if the
    # root were empty (it is compared with nothing in that phase)
    path[0] = 0
    while child < size:
        if child + 1 < size and not heap[child] < heap[child + 1]:
            child += 1
        depth += 1
        path[depth] = child
        child = 2 * child + 1
    # where ``last`` settles on that path, sifting up from the leaf
    index = depth
    while index and last < heap[path[index]]:
        index -= 1
    # every comparison is done: move the items
    result = heap[0]
    for i in range(index):
        heap[path[i]] = heap[path[i + 1]]
    heap[path[index]] = last
    heap.pop()
    return result
