# SPDX-License-Identifier: MIT

# Queues: puts, and gets that need not wait, in C. Waiting, shutting down
# and joining are the subclasses' business (aiologic/_queues.py).
#
# Simple queues: each stored item is one permit of the counter, released
# after the item is stored, so a getter that takes a permit finds its
# item. Deque appends and pops are atomic with or without the GIL.
#
# Complex queues: every state change happens under the queue's thread
# lock (the Python slow paths take the same lock), held only for the
# change itself. With the stock storage hooks, items are stored and taken
# directly.

from collections import deque as _deque
from math import ceil as _ceil

# The permits a shut-down simple queue adds: more than its getters can
# ever take, far fewer than a counter can hold.
cdef Py_ssize_t _FLOOD = PY_SSIZE_T_MAX // 4


cdef class _QueueBase:
    """What both kinds of queues keep: the shutdown flag and the count of
    unfinished tasks.

    Both are atomic words, so neither a put nor ``task_done()`` needs a
    lock (simple queue puts stay safe in signal handlers).
    """

    cdef Py_ssize_t _shut
    cdef Py_ssize_t _unfinished

    def _init_tasks(self, Py_ssize_t count):
        aiologic_store(&self._unfinished, count)

    def _unfinished_up(self):
        # one item more was stored
        aiologic_fetch_add(&self._unfinished, 1)

    def _unfinished_down(self, bint strict):
        # One task less; below zero is an error if *strict*, else ignored.
        cdef Py_ssize_t count = aiologic_load(&self._unfinished)
        while count > 0:
            if aiologic_compare_exchange(&self._unfinished, &count, count - 1):
                return count - 1
        if strict:
            raise ValueError("task_done() called too many times")
        return 0

    @property
    def unfinished_tasks(self):
        """The number of items put and not yet marked done."""
        return aiologic_load(&self._unfinished)

    @property
    def is_shutdown(self):
        """Whether ``shutdown()`` was called."""
        return aiologic_load(&self._shut) != 0


cdef class SimpleQueueCore(_QueueBase):
    """The hot paths of the simple queues: puts, and gets that need not wait.

    ``_init_core()`` takes the storage (a deque) and the order of gets.
    Each stored item is one permit of the counter, released after the
    item is stored. Once shut down, the counter is flooded with permits:
    every getter, waiting or to come, takes an item while there are any,
    and then finds none and is refused. Every stored item is also an
    unfinished task until ``_unfinished_down()`` (task_done) counts it.
    Subclasses provide the slow paths: ``_green_get_wait``/
    ``_async_get_wait`` (fail at once, or queue and wait for an item, then
    take it with ``_pop``), and ``_raise_shut_down()``.
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
        self._init_tasks(len(data))

    def put(self, /, item):
        """Append *item*; never blocks, never yields.

        Safe in signal handlers: no lock is taken. Raises
        ``QueueShutDown`` once the queue is shut down.
        """
        self._put(item)

    cdef inline int _put(self, object item) except -1:
        if aiologic_load(&self._shut):
            self._raise_shut_down()
        aiologic_fetch_add(&self._unfinished, 1)
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
        return self._pop_item()

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
        return self._pop_item()

    def _pop(self):
        return self._pop_item()

    cdef object _pop_item(self):
        # a permit was taken: an item is there, unless the queue was shut
        # down (its flood of permits outnumbers the items)
        try:
            return self._take()
        except IndexError:
            if not aiologic_load(&self._shut):
                raise
        self._raise_shut_down()

    def _shut_down(self, bint immediate):
        # Refuse puts from now on; hand every getter a permit; with
        # *immediate*, drop the items (each counts as a finished task).
        cdef Py_ssize_t unset = 0
        cdef bint first = aiologic_compare_exchange(&self._shut, &unset, 1)
        data = self._data
        if immediate:
            while data:
                try:
                    data.pop()
                except IndexError:  # taken by a getter meanwhile
                    break
                self._unfinished_down(False)
        if first:
            self._core._release(_FLOOD)

    @property
    def getting(self):
        """The number of tasks waiting for an item."""
        return aiologic_load(&self._core._waiting)

    @property
    def waiting(self):
        """The number of waiting tasks (getters only)."""
        return aiologic_load(&self._core._waiting)


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


cdef class QueueCore(_QueueBase):
    """The hot paths of the complex queues: puts and gets that need not wait.

    Every state change happens under ``_lock`` (an original thread lock,
    held only for the change itself). ``_init_core()`` sets the capacity,
    runs the ``_init`` hook that makes ``_data`` and records the storage
    kind. A shut-down queue has no room (puts go to the slow paths, which
    refuse them). Every stored item is also an unfinished task until
    ``_unfinished_down()`` (task_done) counts it. Subclasses provide the
    slow paths: ``_green_put_wait``/``_async_put_wait`` (item, blocking,
    timeout) and ``_green_get_wait``/``_async_get_wait`` (blocking,
    timeout), which fail at once when not blocking and else queue and
    wait; ``_feed_getters()``, which hands stored items to waiting
    getters, and ``_feed_putters()``, which stores the items of waiting
    putters.
    """

    cdef public object _data  # made by the _init hook
    cdef readonly object _getters
    cdef readonly object _putters
    cdef readonly object _lock
    cdef readonly object _maxsize
    # room while len(data) < bound; 0: unbounded
    cdef readonly Py_ssize_t _bound
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
        self._init_tasks(len(data))

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
        if self._putters or aiologic_load(&self._shut):
            return False
        return not self._bound or len(self._data) < self._bound

    cdef inline bint _item(self) except -1:
        return not self._getters and len(self._data) > 0

    cdef bint _try_put_locked(self, object item) except -1:
        if not self._room():
            return False
        self._store(item)
        aiologic_fetch_add(&self._unfinished, 1)
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

    def _mark_shut_down(self):
        # from now on there is no room (with the lock held)
        aiologic_store(&self._shut, 1)

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
