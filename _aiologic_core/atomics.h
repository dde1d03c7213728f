/* SPDX-License-Identifier: MIT */

/*
 * Atomic operations on pointer-sized integers (Py_ssize_t) for the compiled
 * core of aiologic.
 *
 * Every C field that more than one thread reads or writes goes through
 * these functions: on a free-threaded CPython, a plain `x += 1` on a shared
 * field loses updates, and a plain load may see a torn or stale value.
 * The plain operations are sequentially consistent: the core's "change
 * your own side, then look at the other side" hand-off protocol needs a
 * store followed by a load never to be reordered. Words that only their
 * owner writes (the owner of a lock, its depth) are published with
 * release stores and read with acquire loads, which cost no fence.
 *
 * GCC and Clang provide the __atomic builtins; MSVC provides the
 * _Interlocked intrinsics (full barriers).
 *
 * With the GIL, the core's C code runs only while holding it and never
 * releases it in the middle of an operation, and taking or dropping the
 * GIL is a full barrier: plain loads and stores are atomic there, and
 * cost nothing.
 */

#ifndef AIOLOGIC_ATOMICS_H
#define AIOLOGIC_ATOMICS_H

#include <Python.h>

#if defined(_MSC_VER)
#define AIOLOGIC_INLINE __inline
#else
#define AIOLOGIC_INLINE inline
#endif

#if !defined(Py_GIL_DISABLED)

static AIOLOGIC_INLINE Py_ssize_t
aiologic_load(Py_ssize_t *ptr)
{
    return *ptr;
}

static AIOLOGIC_INLINE void
aiologic_store(Py_ssize_t *ptr, Py_ssize_t value)
{
    *ptr = value;
}

#define aiologic_load_acquire aiologic_load
#define aiologic_store_release aiologic_store

static AIOLOGIC_INLINE Py_ssize_t
aiologic_exchange(Py_ssize_t *ptr, Py_ssize_t value)
{
    Py_ssize_t old = *ptr;
    *ptr = value;
    return old;
}

static AIOLOGIC_INLINE Py_ssize_t
aiologic_fetch_add(Py_ssize_t *ptr, Py_ssize_t value)
{
    Py_ssize_t old = *ptr;
    *ptr = old + value;
    return old;
}

static AIOLOGIC_INLINE int
aiologic_compare_exchange(Py_ssize_t *ptr, Py_ssize_t *expected,
                          Py_ssize_t desired)
{
    if (*ptr == *expected) {
        *ptr = desired;
        return 1;
    }
    *expected = *ptr;
    return 0;
}

#elif defined(_MSC_VER) && !defined(__clang__)

#include <intrin.h>

#if defined(_WIN64)
#define AIOLOGIC_INTERLOCKED(name) name##64
typedef __int64 aiologic_interlocked_t;
#else
#define AIOLOGIC_INTERLOCKED(name) name
typedef long aiologic_interlocked_t;
#endif

static AIOLOGIC_INLINE Py_ssize_t
aiologic_load(Py_ssize_t *ptr)
{
    return (Py_ssize_t)AIOLOGIC_INTERLOCKED(_InterlockedOr)(
        (volatile aiologic_interlocked_t *)ptr, 0);
}

static AIOLOGIC_INLINE void
aiologic_store(Py_ssize_t *ptr, Py_ssize_t value)
{
    (void)AIOLOGIC_INTERLOCKED(_InterlockedExchange)(
        (volatile aiologic_interlocked_t *)ptr,
        (aiologic_interlocked_t)value);
}

/* full barriers here too: correct, if not the cheapest */
#define aiologic_load_acquire aiologic_load
#define aiologic_store_release aiologic_store

static AIOLOGIC_INLINE Py_ssize_t
aiologic_exchange(Py_ssize_t *ptr, Py_ssize_t value)
{
    return (Py_ssize_t)AIOLOGIC_INTERLOCKED(_InterlockedExchange)(
        (volatile aiologic_interlocked_t *)ptr,
        (aiologic_interlocked_t)value);
}

static AIOLOGIC_INLINE Py_ssize_t
aiologic_fetch_add(Py_ssize_t *ptr, Py_ssize_t value)
{
    return (Py_ssize_t)AIOLOGIC_INTERLOCKED(_InterlockedExchangeAdd)(
        (volatile aiologic_interlocked_t *)ptr,
        (aiologic_interlocked_t)value);
}

/* On failure, *expected receives the current value. */
static AIOLOGIC_INLINE int
aiologic_compare_exchange(Py_ssize_t *ptr, Py_ssize_t *expected,
                          Py_ssize_t desired)
{
    aiologic_interlocked_t old = AIOLOGIC_INTERLOCKED(
        _InterlockedCompareExchange)(
        (volatile aiologic_interlocked_t *)ptr,
        (aiologic_interlocked_t)desired,
        (aiologic_interlocked_t)*expected);
    if (old == (aiologic_interlocked_t)*expected) {
        return 1;
    }
    *expected = (Py_ssize_t)old;
    return 0;
}

#elif defined(__GNUC__) || defined(__clang__)

static AIOLOGIC_INLINE Py_ssize_t
aiologic_load(Py_ssize_t *ptr)
{
    return __atomic_load_n(ptr, __ATOMIC_SEQ_CST);
}

static AIOLOGIC_INLINE void
aiologic_store(Py_ssize_t *ptr, Py_ssize_t value)
{
    __atomic_store_n(ptr, value, __ATOMIC_SEQ_CST);
}

static AIOLOGIC_INLINE Py_ssize_t
aiologic_load_acquire(Py_ssize_t *ptr)
{
    return __atomic_load_n(ptr, __ATOMIC_ACQUIRE);
}

static AIOLOGIC_INLINE void
aiologic_store_release(Py_ssize_t *ptr, Py_ssize_t value)
{
    __atomic_store_n(ptr, value, __ATOMIC_RELEASE);
}

static AIOLOGIC_INLINE Py_ssize_t
aiologic_exchange(Py_ssize_t *ptr, Py_ssize_t value)
{
    return __atomic_exchange_n(ptr, value, __ATOMIC_SEQ_CST);
}

static AIOLOGIC_INLINE Py_ssize_t
aiologic_fetch_add(Py_ssize_t *ptr, Py_ssize_t value)
{
    return __atomic_fetch_add(ptr, value, __ATOMIC_SEQ_CST);
}

/* On failure, *expected receives the current value. */
static AIOLOGIC_INLINE int
aiologic_compare_exchange(Py_ssize_t *ptr, Py_ssize_t *expected,
                          Py_ssize_t desired)
{
    return __atomic_compare_exchange_n(ptr, expected, desired, 0,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

#else
#error "aiologic: no atomic operations known for this compiler"
#endif

#endif /* AIOLOGIC_ATOMICS_H */
