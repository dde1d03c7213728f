# SPDX-License-Identifier: MIT

# The FIFO of waiters: an intrusive doubly linked list.


@cython.final
cdef class _Waiter:
    """A queued waiter: its low-level event and the token it is given."""

    cdef object event
    cdef Py_ssize_t kind  # the task it is handed a permit as, if any
    cdef size_t ident
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

    cdef _Waiter _find(self, object event):
        # The node queued with *event*, if any: a scan, only for a waiter
        # interrupted before it got its handle. The list keeps every node
        # alive, so nothing is freed inside the section.
        cdef _Waiter node
        with cython.critical_section(self):
            node = self._head
            while node is not None and node.event is not event:
                node = node.next
        return node

    @property
    def waiting(self):
        """The number of queued waiters."""
        return aiologic_load(&self._waiting)
