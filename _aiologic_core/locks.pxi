# SPDX-License-Identifier: MIT

# Ownable locks: taking a free lock and giving it back, in C.
#
# The owner lives in the permit counter (named before a woken waiter
# runs); the depth and the owner's OS thread live here and are written
# only by the owner. Waiting is the subclass's business (_green_wait and
# _async_wait, in aiologic/_locks.py).

from aiologic._utils import check_depth as _check_depth
from aiologic._utils import check_timeout as _check_timeout

cdef extern from "ready.h":
    int aiologic_ready_init() except -1
    object aiologic_ready_new(object value)

aiologic_ready_init()

# what __aexit__ returns: its work is done by the time it returns
cdef object _DONE = aiologic_ready_new(None)

# What _async_take() returns when no permit is free: wait, or fail
# without blocking. Else it returns None (taken, nothing left to do) or
# the checkpoint to await (taken; given back if the checkpoint raises).
cdef object _MUST_WAIT = object()


cdef inline Py_ssize_t _depth_argument(object count) except -1:
    if count is not _ONE:
        count = _check_depth(count)
    return count


cdef object _ONE = 1


cdef class LockCore:
    """The hot paths of ``Lock``: taking a free lock and giving it back.

    The owner is a task ident ``(library, id)`` kept by the permit
    counter; ``_owner_thread`` is the OS thread of the owner, for the
    mixed-deadlock check. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue and wait, or fail without
    blocking). Reentrant subclasses (``RLockCore``) count the depth.
    """

    cdef readonly PermitCounter _core
    cdef Py_ssize_t _depth
    cdef Py_ssize_t _thread  # the owner's OS thread, 0 when unowned
    cdef bint _reentrant

    def __cinit__(self, *args, **kwargs):
        self._core = PermitCounter(1)
        # a flag rather than an override: instances of RLock are made by
        # this constructor (a core subclass with methods of its own would
        # need one of its own, which Python refuses to mix with Lock)
        self._reentrant = isinstance(self, RLockCore)

    def __enter__(self):
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        self._green_acquire(kind, ident, 1, True, None)
        return self

    def __exit__(self, exc_type, exc, tb):
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        self._release(kind, ident, 1)

    def __aenter__(self):
        # `async with` awaits the result at once: a lock taken here needs
        # no coroutine
        found = self._async_take(1, True)
        if found is None:
            return aiologic_ready_new(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type, exc, tb):
        self._async_release(1)
        return _DONE

    async def async_acquire(self, /, *, blocking=True, timeout=None):
        """Acquire the lock in the current async task.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock is not free. Cancelled while
        waiting: the task leaves the queue and the lock is not taken.
        """
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        found = self._async_take(1, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, 1, blocking, timeout)

    def green_acquire(self, /, *, blocking=True, timeout=None):
        """Acquire the lock in the current thread or greenlet.

        Returns True when acquired, False on timeout or, with
        ``blocking=False``, when the lock is not free.
        """
        cdef Py_ssize_t kind
        cdef size_t ident
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        _green_task(&kind, &ident)
        return self._green_acquire(kind, ident, 1, blocking, timeout)

    def async_release(self):
        """Release the lock held by the current async task."""
        self._async_release(1)

    def green_release(self):
        """Release the lock held by the current thread or greenlet."""
        self._green_release(1)

    def async_owned(self):
        """Whether the current async task holds the lock."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        return self._core._owned_by(kind, ident)

    def green_owned(self):
        """Whether the current thread or greenlet holds the lock."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        return self._core._owned_by(kind, ident)

    def locked(self):
        """Whether any task holds the lock (or is being handed it)."""
        return aiologic_load(&self._core._value) == 0

    @property
    def owner(self):
        """The ``(library, id)`` of the holder, None when unlocked."""
        return self._core.owner

    @property
    def waiting(self):
        """The number of tasks waiting to acquire the lock."""
        return aiologic_load(&self._core._waiting)

    @property
    def _count(self):
        return aiologic_load_acquire(&self._depth)

    @property
    def _owner_thread(self):
        cdef Py_ssize_t thread = aiologic_load_acquire(&self._thread)
        return None if thread == 0 else <size_t>thread

    # ``count`` is the depth the caller will hold (always 1 for Lock)

    cdef bint _green_acquire(
        self,
        Py_ssize_t kind,
        size_t ident,
        Py_ssize_t count,
        bint blocking,
        object timeout,
    ) except -1:
        cdef PermitCounter core = self._core
        if core._owned_by(kind, ident):
            self._reacquire(count)
        elif core._try_acquire(kind, ident):
            self._took(count)
        else:
            return self._green_wait(
                _task_to_object(kind, ident), count, blocking, timeout
            )
        if blocking:
            try:
                _green_checkpoint_if_enabled()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(kind, ident, count)
                raise
        return True

    cdef object _async_take(self, Py_ssize_t count, bint blocking):
        cdef Py_ssize_t kind
        cdef size_t ident
        cdef PermitCounter core = self._core
        _async_task(&kind, &ident)
        if core._owned_by(kind, ident):
            self._reacquire(count)
        elif core._try_acquire(kind, ident):
            self._took(count)
        else:
            return _MUST_WAIT
        if blocking:
            return _async_checkpoint_for(kind)
        return None

    async def _async_enter_rest(self, found):
        await self._async_acquire_rest(found, 1, True, None)
        return self

    async def _async_acquire_rest(
        self, found, Py_ssize_t count, blocking, timeout
    ):
        # What _async_take left: a checkpoint, or the wait for the lock.
        if found is _MUST_WAIT:
            task = _current_async_task_ident()
            return await self._async_wait(task, count, blocking, timeout)
        try:
            await found
        except BaseException:
            # cancelled at the checkpoint: give back what was taken
            self._async_release(count)
            raise
        return True

    cdef int _reacquire(self, Py_ssize_t count) except -1:
        if not self._reentrant:
            raise RuntimeError(
                "the current task is already holding this lock"
            )
        # only the owner writes its depth
        cdef Py_ssize_t depth = aiologic_load_acquire(&self._depth)
        if depth > PY_SSIZE_T_MAX - count:
            raise OverflowError("lock acquired too many times")
        aiologic_store_release(&self._depth, depth + count)
        return 0

    cdef inline void _took(self, Py_ssize_t count) noexcept:
        # the lock was just taken, or handed over to this task
        aiologic_store_release(&self._depth, count)
        aiologic_store_release(&self._thread, <Py_ssize_t>_thread_ident())

    def _acquired(self, Py_ssize_t count):
        self._took(count)

    cdef int _green_release(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        return self._release(kind, ident, count)

    cdef int _async_release(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        return self._release(kind, ident, count)

    def _release_task(self, task, Py_ssize_t count):
        cdef Py_ssize_t kind
        cdef size_t ident
        _task_from_object(task, &kind, &ident)
        self._release(kind, ident, count)

    cdef int _release(self, Py_ssize_t kind, size_t ident, Py_ssize_t count) \
            except -1:
        cdef PermitCounter core = self._core
        cdef Py_ssize_t remaining
        if not core._owned_by(kind, ident):
            if core.owner is None and aiologic_load(&core._value) > 0:
                raise RuntimeError("release unlocked lock")
            raise RuntimeError("the current task is not holding this lock")
        remaining = aiologic_load_acquire(&self._depth) - count
        if remaining < 0:
            raise RuntimeError("lock released too many times")
        aiologic_store_release(&self._depth, remaining)
        if remaining == 0:
            aiologic_store_release(&self._thread, 0)
            core._release(1)
        return 0

    def _release_save(self):
        """Release the lock whatever its depth; return the depth."""
        cdef Py_ssize_t depth = aiologic_exchange(&self._depth, 0)
        aiologic_store_release(&self._thread, 0)
        self._core._release(1)
        return depth

    def _took_over(self, Py_ssize_t depth):
        """Record a hand-over to the current task at *depth*."""
        self._took(depth)


cdef class RLockCore(LockCore):
    """The hot paths of ``RLock``: ``LockCore`` counting the depth."""

    async def async_acquire(
        self, /, count=1, *, blocking=True, timeout=None
    ):
        """Acquire the lock *count* levels deep in the current async task.

        Reentrant: the owner adds *count* at once (and still checkpoints
        when ``blocking``). Returns False on timeout or when not free
        with ``blocking=False``.
        """
        cdef Py_ssize_t depth = _depth_argument(count)
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        found = self._async_take(depth, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, depth, blocking, timeout)

    def green_acquire(self, /, count=1, *, blocking=True, timeout=None):
        """Acquire the lock *count* levels deep in this thread/greenlet.

        Reentrant: the owner adds *count* at once. Returns False on
        timeout or when not free with ``blocking=False``.
        """
        cdef Py_ssize_t kind
        cdef size_t ident
        cdef Py_ssize_t depth = _depth_argument(count)
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        _green_task(&kind, &ident)
        return self._green_acquire(kind, ident, depth, blocking, timeout)

    def async_release(self, /, count=1):
        """Release *count* levels held by the current async task."""
        self._async_release(_depth_argument(count))

    def green_release(self, /, count=1):
        """Release *count* levels held by the current thread/greenlet."""
        self._green_release(_depth_argument(count))

    def async_count(self):
        """The recursion depth of the current async task (0 if none)."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        if self._core._owned_by(kind, ident):
            return aiologic_load_acquire(&self._depth)
        return 0

    def green_count(self):
        """The recursion depth of the current thread/greenlet (0 if none)."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        if self._core._owned_by(kind, ident):
            return aiologic_load_acquire(&self._depth)
        return 0

    @property
    def count(self):
        """The recursion depth of the owner (0 when unlocked)."""
        if self._core.owner is None:
            return 0
        return aiologic_load_acquire(&self._depth)
