# SPDX-License-Identifier: MIT
# cython: language_level=3, freethreading_compatible=True, auto_pickle=False

"""The compiled core: the hot state machines under every primitive.

The twin of ``aiologic._pycore``: same names, same contract, observably
the same behaviour; ``aiologic._impl`` picks one of the two at import.

Why this is safe without the GIL (CPython 3.13t):

- Counters and flags are C scalars read and written only through the
  atomics header (``atomics.pxd``): a sequentially consistent load, store,
  fetch-add or compare-exchange each (acquire/release for words that only
  their owner writes).
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
- Owners and depths are C words written only by the task that holds
  the permit (or hands it over); see permits.pxi for how the two words of
  an owner are read consistently.

With the GIL, the atomics compile to plain loads and stores (atomics.h).

The base classes of the hot primitives (locks.pxi, semaphores.pxi,
limiters.pxi, events.pxi, queues.pxi) run the calls that need not wait in
C: no bytecode, no library detection for plain threads, asyncio and trio
tasks (identity.pxi). Waiting stays in the Python subclasses.
"""

cimport cython
from cpython.contextvars cimport get_value
from cpython.dict cimport PyDict_Contains, PyDict_GetItem
from cpython.object cimport PyObject

from atomics cimport (
    aiologic_compare_exchange,
    aiologic_exchange,
    aiologic_fetch_add,
    aiologic_load,
    aiologic_load_acquire,
    aiologic_store,
    aiologic_store_release,
)

from aiologic._pycore import WaitQueue  # no-cython-lint (exported)

__all__ = (
    "EventBase",
    "EventCore",
    "LimiterCore",
    "LockCore",
    "PermitCounter",
    "QueueCore",
    "RLimiterCore",
    "RLockCore",
    "STORAGE_FIFO",
    "STORAGE_HEAP",
    "STORAGE_HOOKS",
    "STORAGE_LIFO",
    "SemaphoreCore",
    "SimpleQueueCore",
    "WaitQueue",
    "heap_pop",
    "heap_push",
)

cdef extern from *:
    Py_ssize_t PY_SSIZE_T_MAX

include "identity.pxi"
include "waiters.pxi"
include "permits.pxi"
include "locks.pxi"
include "events.pxi"
include "semaphores.pxi"
include "limiters.pxi"
include "queues.pxi"
