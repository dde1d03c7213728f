# SPDX-License-Identifier: MIT

# Permit counters: FIFO hand-off of permits to waiters.
#
# The owner is two words (see identity.pxi) changed only by whoever holds
# the permit being taken, handed over or given back. Writers clear the
# library first, then set the id, then the library; a reader that finds
# the library cleared, or the id changed under it, reads again. So a
# reader never pairs one owner's library with another owner's id.


cdef inline bint _take_one(Py_ssize_t *value) noexcept:
    # Decrement *value* if it is positive; tell whether it was.
    cdef Py_ssize_t current = aiologic_load(value)
    while current > 0:
        if aiologic_compare_exchange(value, &current, current - 1):
            return True
    return False


cdef class PermitCounter(_WaiterList):
    """Permits handed directly to FIFO waiters, never barged.

    ``owner`` is the token of the waiter that was last handed a permit
    (``None`` when the permit went back to the counter); ownable locks use
    it so that the owner is known before the woken waiter runs.
    """

    cdef Py_ssize_t _value  # free permits
    cdef Py_ssize_t _owner_kind
    cdef Py_ssize_t _owner_id

    def __cinit__(self, value, single=False):
        # *single* matters to the pure core only: here every permit is
        # counted exactly in one word
        if value > PY_SSIZE_T_MAX:
            raise OverflowError("too many permits for one counter")
        self._value = value if value > 0 else 0

    @property
    def owner(self):
        cdef Py_ssize_t kind
        cdef Py_ssize_t ident
        while True:
            ident = aiologic_load_acquire(&self._owner_id)
            kind = aiologic_load_acquire(&self._owner_kind)
            if kind == _NO_TASK:
                if ident == 0:
                    return None
            elif aiologic_load_acquire(&self._owner_id) == ident:
                return _task_to_object(kind, <size_t>ident)
            # an owner is being named right now: read again

    @owner.setter
    def owner(self, owner):
        cdef Py_ssize_t kind
        cdef size_t ident
        _task_from_object(owner, &kind, &ident)
        self._set_owner(kind, ident)

    cdef inline void _set_owner(self, Py_ssize_t kind, size_t ident) noexcept:
        aiologic_store_release(&self._owner_kind, _NO_TASK)
        aiologic_store_release(&self._owner_id, <Py_ssize_t>ident)
        aiologic_store_release(&self._owner_kind, kind)

    cdef inline bint _owned_by(self, Py_ssize_t kind, size_t ident) noexcept:
        return (
            aiologic_load_acquire(&self._owner_id) == <Py_ssize_t>ident
            and aiologic_load_acquire(&self._owner_kind) == kind
        )

    @property
    def value(self):
        """The permits available right now."""
        return aiologic_load(&self._value)

    def available(self):
        """Whether a permit is free right now."""
        return aiologic_load(&self._value) > 0

    def try_acquire(self, token=None):
        """Take one permit if one is free and nobody waits for it.

        On success *token* becomes the ``owner``.
        """
        cdef Py_ssize_t kind
        cdef size_t ident
        _task_from_object(token, &kind, &ident)
        return self._try_acquire(kind, ident)

    cdef inline bint _try_acquire(self, Py_ssize_t kind, size_t ident) \
            noexcept:
        if aiologic_load(&self._waiting):
            return False
        if not _take_one(&self._value):
            return False
        self._set_owner(kind, ident)
        return True

    def add_waiter(self, event, token=None):
        """Queue *event*, then hand it a permit if one became free.

        Whoever is handed the permit becomes ``owner`` as *token*. Returns
        the handle for `remove_waiter`.
        """
        cdef _Waiter node = _Waiter.__new__(_Waiter)
        _task_from_object(token, &node.kind, &node.ident)
        node.event = event
        self._link(node)
        if aiologic_load(&self._value) > 0:
            self._settle()
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

    def release(self, count=1):
        """Add *count* permits, handing them to waiters first.

        Permits go straight to live waiters, so while anyone waits a
        released permit is never seen free (no barging, ``owner`` names
        the next holder before it runs).
        """
        if count > PY_SSIZE_T_MAX - aiologic_load(&self._value):
            raise OverflowError("too many permits for one counter")
        self._release(count)

    cdef int _release(self, Py_ssize_t count) except -1:
        if aiologic_load(&self._waiting):
            while count and self._hand_over():
                count -= 1
        if count:
            self._set_owner(_NO_TASK, 0)
            aiologic_fetch_add(&self._value, count)
            if aiologic_load(&self._waiting):
                self._settle()
        return 0

    cdef bint _hand_over(self) except -1:
        # Give one permit to the first live waiter; False if none is left.
        cdef _Waiter node
        while True:
            node = self._pop()
            if node is None:
                return False
            event = node.event
            if event._claim():
                # named once the waiter can no longer give up, and before
                # it can run
                self._set_owner(node.kind, node.ident)
                if event._publish():
                    return True
                # its event loop is gone: on to the next waiter

    cdef int _settle(self) except -1:
        # Hand free permits to live waiters until one of the two runs out.
        while aiologic_load(&self._waiting):
            if not _take_one(&self._value):
                return 0
            if not self._hand_over():
                self._set_owner(_NO_TASK, 0)
                aiologic_fetch_add(&self._value, 1)
        return 0
