# SPDX-License-Identifier: MIT

# Capacity limiters: borrowing a free token and giving it back, in C.
#
# The borrowers are a dict from task to depth, as in the pure core: each
# key is written and deleted only by the task it names, and a dict
# operation is atomic with or without the GIL. Waiting is the subclass's
# business (_green_wait and _async_wait, in aiologic/_limiters.py).


cdef class LimiterCore:
    """The hot paths of the capacity limiters: borrowing a free token.

    ``_init_core()`` sets the counter up. ``_borrowers`` maps each
    borrowing task to its depth; each key is written and deleted only by
    the task it names. Reentrant subclasses (``RLimiterCore``) count the
    depth. Subclasses provide the slow paths: ``_green_wait``/
    ``_async_wait`` (queue and wait, or fail without blocking).
    """

    cdef readonly PermitCounter _core
    cdef readonly dict _borrowers
    cdef bint _reentrant

    def _init_core(self, total_tokens):
        self._core = PermitCounter(total_tokens)
        self._borrowers = {}
        # a flag rather than an override, as for locks (see LockCore)
        self._reentrant = isinstance(self, RLimiterCore)

    def __enter__(self):
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        self._green_acquire(_task_to_object(kind, ident), 1, True, None)
        return self

    def __exit__(self, exc_type, exc, tb):
        self._green_release(1)

    def __aenter__(self):
        # `async with` awaits the result at once: a token borrowed here
        # needs no coroutine
        found = self._async_take(1, True)
        if found is None:
            return aiologic_ready_new(self)
        return self._async_enter_rest(found)

    def __aexit__(self, exc_type, exc, tb):
        self._async_release(1)
        return _DONE

    async def async_acquire(self, /, *, blocking=True, timeout=None):
        """Borrow a token in the current async task.

        Returns False on timeout, or with ``blocking=False`` when none is
        free. Cancelled while waiting: no token is taken or lost.
        """
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        found = self._async_take(1, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, 1, blocking, timeout)

    def green_acquire(self, /, *, blocking=True, timeout=None):
        """Borrow a token in the current thread or greenlet.

        Returns False on timeout, or with ``blocking=False`` when none is
        free.
        """
        cdef Py_ssize_t kind
        cdef size_t ident
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        _green_task(&kind, &ident)
        return self._green_acquire(
            _task_to_object(kind, ident), 1, blocking, timeout
        )

    def async_release(self):
        """Return the token borrowed by the current async task."""
        self._async_release(1)

    def green_release(self):
        """Return the token borrowed by the current thread or greenlet."""
        self._green_release(1)

    def async_borrowed(self):
        """Whether the current async task holds a token."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        return _task_to_object(kind, ident) in self._borrowers

    def green_borrowed(self):
        """Whether the current thread or greenlet holds a token."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        return _task_to_object(kind, ident) in self._borrowers

    @property
    def available_tokens(self):
        """The tokens free right now."""
        return aiologic_load(&self._core._value)

    @property
    def waiting(self):
        """The number of tasks waiting for a token."""
        return aiologic_load(&self._core._waiting)

    # ``count`` is the borrow depth the caller will hold

    cdef bint _green_acquire(
        self, object task, Py_ssize_t count, bint blocking, object timeout
    ) except -1:
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core._try_acquire(_NO_TASK, 0):
            self._borrowers[task] = count
        else:
            return self._green_wait(task, count, blocking, timeout)
        if blocking:
            try:
                _green_checkpoint_if_enabled()
            except BaseException:
                # cancelled at the checkpoint: give back what was taken
                self._release(task, count)
                raise
        return True

    cdef object _async_take(self, Py_ssize_t count, bint blocking):
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        task = _task_to_object(kind, ident)
        if task in self._borrowers:
            self._reborrow(task, count)
        elif self._core._try_acquire(_NO_TASK, 0):
            self._borrowers[task] = count
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
        # What _async_take left: a checkpoint, or the wait for a token.
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

    cdef int _reborrow(self, object task, Py_ssize_t count) except -1:
        if not self._reentrant:
            raise RuntimeError(
                "the current task is already holding one of this capacity"
                " limiter's tokens"
            )
        if self._borrowers[task] > PY_SSIZE_T_MAX - count:
            raise OverflowError("capacity limiter acquired too many times")
        self._borrowers[task] += count
        return 0

    cdef int _green_release(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        return self._release(_task_to_object(kind, ident), count)

    cdef int _async_release(self, Py_ssize_t count) except -1:
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        return self._release(_task_to_object(kind, ident), count)

    cdef int _release(self, object task, Py_ssize_t count) except -1:
        cdef dict borrowers = self._borrowers
        cdef Py_ssize_t depth = borrowers.get(task, 0)
        if not depth:
            raise RuntimeError(
                "the current task is not holding any of this capacity"
                " limiter's tokens"
            )
        if count > depth:
            raise RuntimeError("capacity limiter released too many times")
        if count < depth:
            borrowers[task] = depth - count
        else:
            del borrowers[task]
            self._core._release(1)
        return 0


cdef class RLimiterCore(LimiterCore):
    """The hot paths of ``RCapacityLimiter``: counting the depth."""

    async def async_acquire(
        self, /, count=1, *, blocking=True, timeout=None
    ):
        """Borrow a token *count* levels deep in the current async task."""
        cdef Py_ssize_t depth = _depth_argument(count)
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        found = self._async_take(depth, blocking)
        if found is None:
            return True
        return await self._async_acquire_rest(found, depth, blocking, timeout)

    def green_acquire(self, /, count=1, *, blocking=True, timeout=None):
        """Borrow a token *count* levels deep in this thread/greenlet."""
        cdef Py_ssize_t kind
        cdef size_t ident
        cdef Py_ssize_t depth = _depth_argument(count)
        if blocking and timeout is not None:
            timeout = _check_timeout(timeout)
        _green_task(&kind, &ident)
        return self._green_acquire(
            _task_to_object(kind, ident), depth, blocking, timeout
        )

    def async_release(self, /, count=1):
        """Release *count* levels borrowed by the current async task."""
        self._async_release(_depth_argument(count))

    def green_release(self, /, count=1):
        """Release *count* levels borrowed by the current thread/greenlet."""
        self._green_release(_depth_argument(count))

    def async_count(self):
        """The borrow depth of the current async task (0 if none)."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _async_task(&kind, &ident)
        return self._borrowers.get(_task_to_object(kind, ident), 0)

    def green_count(self):
        """The borrow depth of the current thread/greenlet (0 if none)."""
        cdef Py_ssize_t kind
        cdef size_t ident
        _green_task(&kind, &ident)
        return self._borrowers.get(_task_to_object(kind, ident), 0)
