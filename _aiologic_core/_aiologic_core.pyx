# SPDX-License-Identifier: MIT
# cython: language_level=3, freethreading_compatible=True

"""The compiled core: the hot state machines under every primitive.

The twin of ``aiologic._pycore``: same names, same contract, observably
the same behaviour; ``aiologic._impl`` picks one of the two at import.

Why this is safe without the GIL (CPython 3.13t):

- Counters and flags are C scalars read and written only through the
  atomics header (``atomics.pxd``): a sequentially consistent load, store,
  fetch-add or compare-exchange each.
- Waiters sit in an intrusive doubly linked list (O(1) append, pop first
  and removal of a waiter that gave up). The list is changed only inside a
  critical section on its owner object; a section touches pointers and
  reference counts and never frees an object, calls out, allocates or
  blocks, so it cannot be suspended halfway (with the GIL it is a no-op:
  nothing in it can release the GIL either). The number of linked waiters
  is mirrored in an atomic counter that the fast paths read without
  entering the section.
- A permit and a waiter may pass each other (the releaser found no
  waiter, the waiter found no permit). Both sides therefore settle after
  their own change, as in the pure core: whoever changes last sees both
  and completes the hand-off. Sequentially consistent atomics make sure
  that at least one side sees the other.
- Owners are Python objects read and written inside the same critical
  section, so a reader never sees a reference that is being dropped.
"""

cimport cython
from cpython.object cimport PyObject

from atomics cimport (
    aiologic_compare_exchange,
    aiologic_fetch_add,
    aiologic_load,
)

from aiologic._pycore import WaitQueue

__all__ = ("EventCore", "PermitCounter", "WaitQueue")

cdef extern from *:
    Py_ssize_t PY_SSIZE_T_MAX


@cython.final
cdef class _Waiter:
    """A queued waiter: its low-level event and the token it is given."""

    cdef object event
    cdef object token
    cdef _Waiter next  # owned: the list holds every node through these
    cdef PyObject *prev  # borrowed
    cdef bint linked

    def __repr__(self):
        return f"<aiologic waiter of {self.event!r}>"


cdef class _WaiterList:
    """FIFO of waiters with O(1) removal; changed in critical sections."""

    cdef _Waiter _head
    cdef PyObject *_tail
    cdef Py_ssize_t _waiting  # atomic mirror of the list's length

    def __dealloc__(self):
        # unlink one node at a time: dropping the head would otherwise
        # free the whole chain recursively
        cdef _Waiter node = self._head
        cdef _Waiter after
        self._head = None
        while node is not None:
            after = node.next
            node.next = None
            node = after

    cdef inline void _link(self, _Waiter node) noexcept:
        with cython.critical_section(self):
            node.linked = True
            if self._tail is NULL:
                self._head = node
            else:
                node.prev = self._tail
                (<_Waiter>self._tail).next = node
            self._tail = <PyObject *>node
            aiologic_fetch_add(&self._waiting, 1)

    cdef inline _Waiter _pop(self):
        # The caller's reference keeps the node alive: nothing is freed
        # inside the section.
        cdef _Waiter node
        with cython.critical_section(self):
            node = self._head
            if node is not None:
                self._head = node.next
                if node.next is None:
                    self._tail = NULL
                else:
                    node.next.prev = NULL
                    node.next = None
                node.linked = False
                aiologic_fetch_add(&self._waiting, -1)
        return node

    cdef inline bint _unlink(self, _Waiter node) noexcept:
        # The caller holds *node*; its neighbours stay referenced by the
        # list, so nothing is freed inside the section.
        cdef bint linked
        cdef _Waiter after
        with cython.critical_section(self):
            linked = node.linked
            if linked:
                after = node.next
                if after is None:
                    self._tail = node.prev
                else:
                    after.prev = node.prev
                if node.prev is NULL:
                    self._head = after
                else:
                    (<_Waiter>node.prev).next = after
                node.prev = NULL
                node.next = None
                node.linked = False
                aiologic_fetch_add(&self._waiting, -1)
        return linked

    @property
    def waiting(self):
        """The number of queued waiters."""
        return aiologic_load(&self._waiting)


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

    cdef Py_ssize_t _value  # free permits, atomic
    cdef object _owner  # read and written in critical sections

    def __cinit__(self, value, single=False):
        # *single* matters to the pure core only: here every permit is
        # counted exactly in one word
        if value > PY_SSIZE_T_MAX:
            raise OverflowError("too many permits for one counter")
        self._value = value if value > 0 else 0

    @property
    def owner(self):
        with cython.critical_section(self):
            owner = self._owner
        return owner

    @owner.setter
    def owner(self, owner):
        self._set_owner(owner)

    cdef inline void _set_owner(self, object owner):
        # The old owner is dropped after the section: freeing it may run
        # arbitrary code.
        cdef object previous
        with cython.critical_section(self):
            previous = self._owner
            self._owner = owner

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
        if aiologic_load(&self._waiting):
            return False
        if not _take_one(&self._value):
            return False
        self._set_owner(token)
        return True

    def add_waiter(self, event, token=None):
        """Queue *event*, then hand it a permit if one became free.

        Whoever is handed the permit becomes ``owner`` as *token*. Returns
        the handle for `remove_waiter`.
        """
        cdef _Waiter node = _Waiter.__new__(_Waiter)
        node.event = event
        node.token = token
        self._link(node)
        if aiologic_load(&self._value) > 0:
            self._settle()
        return node

    def remove_waiter(self, _Waiter handle not None):
        """Dequeue a waiter that gave up; tell whether it was queued."""
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
        while count and self._hand_over():
            count -= 1
        if count:
            self._set_owner(None)
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
                self._set_owner(node.token)
                event._publish()
                return True

    cdef int _settle(self) except -1:
        # Hand free permits to live waiters until one of the two runs out.
        while aiologic_load(&self._waiting):
            if not _take_one(&self._value):
                return 0
            if not self._hand_over():
                self._set_owner(None)
                aiologic_fetch_add(&self._value, 1)
        return 0


cdef class EventCore(_WaiterList):
    """A flag that, once set, wakes every waiter queued before or after."""

    cdef Py_ssize_t _set  # 0 or 1, atomic

    def is_set(self):
        """Whether the flag is set."""
        return aiologic_load(&self._set) != 0

    def set(self):
        """Set the flag; True if this call did it."""
        cdef Py_ssize_t unset = 0
        if not aiologic_compare_exchange(&self._set, &unset, 1):
            return False
        self.wake_all()
        return True

    def add_waiter(self, event):
        """Queue *event*; set it at once if the flag is already set.

        Returns the handle for `remove_waiter`.
        """
        cdef _Waiter node = _Waiter.__new__(_Waiter)
        node.event = event
        self._link(node)
        if aiologic_load(&self._set):
            self.wake_all()
        return node

    def remove_waiter(self, _Waiter handle not None):
        """Dequeue a waiter that gave up; tell whether it was queued."""
        return self._unlink(handle)

    def wake_all(self):
        """Set every queued event."""
        cdef _Waiter node
        while True:
            node = self._pop()
            if node is None:
                return
            node.event.set()
