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

    def remove_waiter(self, handle):
        """Dequeue a waiter that gave up; tell whether it was queued."""
        if type(handle) is not _Waiter:
            return False
        return self._unlink(handle)

    def wake_all(self):
        """Set every queued event."""
        cdef _Waiter node
        while True:
            node = self._pop()
            if node is None:
                return
            node.event.set()
