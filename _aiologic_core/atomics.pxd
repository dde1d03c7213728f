# SPDX-License-Identifier: MIT
# cython: language_level=3

# The atomics header of the compiled core: every shared C scalar is read
# and written only through these (see atomics.h for why).

cdef extern from "atomics.h" nogil:
    Py_ssize_t aiologic_load(Py_ssize_t *ptr)
    void aiologic_store(Py_ssize_t *ptr, Py_ssize_t value)
    Py_ssize_t aiologic_load_acquire(Py_ssize_t *ptr)
    void aiologic_store_release(Py_ssize_t *ptr, Py_ssize_t value)
    Py_ssize_t aiologic_exchange(Py_ssize_t *ptr, Py_ssize_t value)
    Py_ssize_t aiologic_fetch_add(Py_ssize_t *ptr, Py_ssize_t value)
    bint aiologic_compare_exchange(
        Py_ssize_t *ptr, Py_ssize_t *expected, Py_ssize_t desired
    )
