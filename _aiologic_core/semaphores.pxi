# SPDX-License-Identifier: MIT

# Semaphores: taking a free permit and giving permits back, in C.
#
# Waiting is the subclass's business (_green_wait and _async_wait, in
# aiologic/_semaphores.py). A bounded semaphore checks its bound and
# releases under a thread lock, as the pure core does, so that two
# releases cannot both pass the bound.

from aiologic._utils import check_count as _check_count
from aiologic.lowlevel._thread_locks import (
    create_thread_lock as _create_thread_lock,
)


cdef class SemaphoreCore:
    """The hot paths of the semaphores: taking and giving back permits.

    ``_init_core()`` sets the counter up; bounded semaphores
    (``max_value`` not None) refuse a release above it, binary ones a
    count other than 1. Subclasses provide the slow paths:
    ``_green_wait``/``_async_wait`` (queue and wait, or fail without
    blocking).
    """

    cdef readonly PermitCounter _core
    cdef readonly object _max_value  # None when unbounded
    cdef Py_ssize_t _max  # the bound in a word; -1 when unbounded
    cdef readonly bint _binary
    cdef object _release_lock

    def _init_core(self, initial_value, max_value, binary):
        self._core = PermitCounter(initial_value, max_value is not None)
        self._max_value = max_value
        self._binary = binary
        if max_value is None:
            self._max = -1
        else:
            # no counter holds more than PY_SSIZE_T_MAX permits anyway
            self._max = min(max_value, PY_SSIZE_T_MAX)
            self._release_lock = _create_thread_lock()

    def __enter__(self):
        self._green_acquire(True, None)
        return self

    def __exit__(self, exc_type, exc, tb):
        self._release(1)

    def __aenter__(self):
        # `async with` awaits the result at once: a permit taken here
        # needs no coroutine
        found = self._async_take(True)
        if found is None:
            return aiologic_ready_new(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type, exc, tb):
        self._release(1)
        return _DONE

    async def async_acquire(self, /, *, blocking=True, timeout=None):
        """Take a permit in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no permit is taken or lost.
        """
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        found = self._async_take(blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, blocking, timeout)

    def green_acquire(self, /, *, blocking=True, timeout=None):
        """Take a permit in the current thread or greenlet.

        Returns False on timeout, or with ``blocking=False`` when none is
        free.
        """
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        return self._green_acquire(blocking, timeout)

    def release(self, /, count=1):
        """Release *count* permits, waking up to *count* waiters.

        ``count == 0`` does nothing; a negative count is a ValueError.
        """
        self._release_argument(count)

    def async_release(self, /, count=1):
        """Same as ``release()``."""
        self._release_argument(count)

    def green_release(self, /, count=1):
        """Same as ``release()``."""
        self._release_argument(count)

    @property
    def value(self):
        """The permits available right now."""
        return aiologic_load(&self._core._value)

    @property
    def waiting(self):
        """The number of tasks waiting for a permit."""
        return aiologic_load(&self._core._waiting)

    cdef int _release_argument(self, object count) except -1:
        cdef Py_ssize_t permits = self._count_argument(count)
        if permits:
            self._release(permits)
        return 0

    cdef Py_ssize_t _count_argument(self, object count) except -1:
        if count is not _ONE:
            count = _check_count(count)
            if self._binary:
                if count != 1:
                    raise ValueError("count must be 1")
            elif count < 0:
                raise ValueError("count must be >= 0")
            elif count > PY_SSIZE_T_MAX:
                if self._max >= 0:
                    # beyond any bound (which fits in a word)
                    raise RuntimeError("semaphore released too many times")
                raise OverflowError("too many permits for one counter")
        return count

    cdef bint _green_acquire(self, bint blocking, object timeout) except -1:
        if not self._core._try_acquire(_NO_TASK, 0):
            return self._green_wait(blocking, timeout)
        if blocking:
            try:
                _green_checkpoint_if_enabled()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(1)
                raise
        return True

    cdef object _async_take(self, bint blocking):
        if not self._core._try_acquire(_NO_TASK, 0):
            return _MUST_WAIT
        if blocking:
            return _async_checkpoint_here()
        return None

    async def _async_enter_rest(self, found):
        await self._async_acquire_rest(found, True, None)
        return self

    async def _async_acquire_rest(self, found, blocking, timeout):
        # What _async_take left: a checkpoint, or the wait for a permit.
        if found is _MUST_WAIT:
            return await self._async_wait(blocking, timeout)
        try:
            await found
        except BaseException:
            # cancelled at the checkpoint: give back what was taken
            self._release(1)
            raise
        return True

    cdef int _release(self, Py_ssize_t count) except -1:
        cdef PermitCounter core = self._core
        if self._max < 0:
            if count > PY_SSIZE_T_MAX - aiologic_load(&core._value):
                raise OverflowError("too many permits for one counter")
            return core._release(count)
        with self._release_lock:
            if aiologic_load(&core._value) > self._max - count:
                raise RuntimeError("semaphore released too many times")
            core._release(count)
        return 0
