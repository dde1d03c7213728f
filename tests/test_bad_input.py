# SPDX-License-Identifier: MIT

"""Bad input: every public call with wrong types and out-of-range values.

The tables below hold one row per (call, bad value, expected exception),
grouped per class. Each row builds a fresh object, makes the call, checks
the exception (type, and message where API.md gives one), then checks that
the object is intact: its observable state (value, locked, owner depth,
waiting, length, broken...) is what it was before the call, no waiter is
left queued (``waiting == 0``), and a normal operation still works.

Argument checks do not depend on the concurrency library: they run before
library detection and before any wait (API.md section 3: a bad ``timeout``
of a blocking call is rejected before anything else happens, also when
the call need not wait). So ``green_*`` calls run in the test's own thread
(threading) and ``async_*`` calls in ``asyncio.run``; the behaviour under
each library is the business of the other test files. Every row runs on
both cores (``impl``).

Rows marked ``differs_from_0171`` check behaviour that deliberately
differs from aiologic 0.17.1: timeouts checked on every blocking call, a
negative release count refused, integers required where 0.17.1 took any
number, calls whose bad input 0.17.1 left unnoticed (it hung, or wrote a
float into a depth). ``ACCEPTED`` lists edge values that must NOT raise.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import sys
import threading

import pytest

pytestmark = pytest.mark.timeout(60)

nan, inf = math.nan, math.inf
BIG = 2**63  # one beyond a machine word
HUGE = 10**100  # beyond a float's exact range, still a float
OVERFLOW = 10**400  # beyond the float range

D = pytest.mark.differs_from_0171


# -- bad values, with the exception each must raise


#: bad ``timeout`` values of a blocking call (message names the argument)
def bad_timeouts(name="timeout"):
    negative = f"{name} must be non-negative"
    return [
        ("-1", -1, ValueError, negative),
        ("-0.5", -0.5, ValueError, negative),
        ("-inf", -inf, ValueError, negative),
        ("-10**400", -OVERFLOW, ValueError, negative),
        ("nan", nan, ValueError, f"{name} must be non-NaN"),
        ("str", "1", TypeError, f"{name} must be a real number, not str"),
        ("bytes", b"1", TypeError, f"{name} must be a real number, not bytes"),
        ("list", [], TypeError, f"{name} must be a real number, not list"),
        ("complex", 1j, TypeError, None),
    ]


#: bad reentrant ``count`` (RLock, RCapacityLimiter acquire and release)
BAD_DEPTHS = [
    ("0", 0, ValueError, "count must be >= 1"),
    ("-1", -1, ValueError, "count must be >= 1"),
    ("1.0", 1.0, TypeError, "count must be an integer, not float"),
    ("1.5", 1.5, TypeError, "count must be an integer, not float"),
    ("nan", nan, TypeError, "count must be an integer, not float"),
    ("str", "1", TypeError, "count must be an integer, not str"),
    ("None", None, TypeError, "count must be an integer, not NoneType"),
    ("2**63", BIG, OverflowError, "count is too large"),
    ("10**100", HUGE, OverflowError, "count is too large"),
]

#: bad ``count`` of ``Semaphore.release`` and ``CountdownEvent.up``
BAD_COUNTS = [
    ("-1", -1, ValueError, "count must be >= 0"),
    ("-2**63", -BIG, ValueError, "count must be >= 0"),
    ("1.0", 1.0, TypeError, "count must be an integer, not float"),
    ("1.5", 1.5, TypeError, "count must be an integer, not float"),
    ("inf", inf, TypeError, "count must be an integer, not float"),
    ("str", "1", TypeError, "count must be an integer, not str"),
    ("None", None, TypeError, "count must be an integer, not NoneType"),
]


#: bad integer arguments of constructors, by argument name
def bad_ints(name):
    return [
        ("-1", -1, ValueError, f"{name} must be >= 0"),
        ("-2**63", -BIG, ValueError, f"{name} must be >= 0"),
        ("1.0", 1.0, TypeError, f"{name} must be an integer, not float"),
        ("1.5", 1.5, TypeError, f"{name} must be an integer, not float"),
        ("nan", nan, TypeError, f"{name} must be an integer, not float"),
        ("inf", inf, TypeError, f"{name} must be an integer, not float"),
        ("-inf", -inf, TypeError, f"{name} must be an integer, not float"),
        ("str", "2", TypeError, f"{name} must be an integer, not str"),
        ("None", None, TypeError, f"{name} must be an integer, not NoneType"),
        ("list", [], TypeError, f"{name} must be an integer, not list"),
    ]


# -- the objects: how to build one, read its state, and use it normally


class Kind:
    """A fresh object, its observable state, and a normal operation."""

    def __init__(self, name, make, state, use):
        self.name = name
        self.make = make
        self.state = state
        self.use = use


def _use_lock(lock):
    assert lock.green_acquire(blocking=False)
    lock.green_release()
    assert not lock.locked()


def _use_semaphore(sem):
    value = sem.value
    assert sem.green_acquire(blocking=False) == (value > 0)
    sem.release()
    assert sem.value == max(value, 1)


def _use_limiter(limiter):
    assert limiter.green_acquire(blocking=False)
    limiter.green_release()
    assert limiter.borrowed_tokens == 0


def _use_event(event):
    event.set()
    assert event.wait(0)


def _use_countdown(event):
    while event.value:
        event.down()
    assert event.wait(0)


def _use_barrier(barrier):
    # two parties: a thread and this test
    other = threading.Thread(target=barrier.wait, args=(10,), daemon=True)
    other.start()
    barrier.wait(10)
    other.join(10)
    assert not other.is_alive()


def _use_condition(cond):
    with cond:
        assert cond.notify() == 0
        assert cond.wait(0) is False
        assert cond.lock.green_owned()
    assert not cond.lock.locked()


def _use_queue(queue):
    length = len(queue)
    while len(queue):
        queue.green_get(blocking=False)
    queue.green_put("item", blocking=False)
    assert queue.green_get(blocking=False) == "item"
    assert len(queue) == 0 and length >= 0


def _use_rwlock(rwlock):
    assert rwlock.writer.green_acquire(blocking=False)
    rwlock.writer.green_release()
    assert rwlock.reader.green_acquire(blocking=False)
    rwlock.reader.green_release()
    assert not rwlock.locked()


def _use_lowlevel_event(event):
    assert event.set()
    assert event.wait(0)


def _hold_deep(impl, depth):
    lock = impl.RLock()
    assert lock.green_acquire(depth)
    return lock


def _release_deep(lock):
    lock.green_release(lock.count)
    _use_lock(lock)


def _borrow_deep(impl, depth):
    limiter = impl.RCapacityLimiter(1)
    assert limiter.green_acquire(depth)
    return limiter


def _return_deep(limiter):
    limiter.green_release(limiter.green_count())
    _use_limiter(limiter)


def _full_queue(impl, cls="Queue"):
    queue = getattr(impl, cls)(1)
    queue.green_put("x")
    return queue


def _held_condition(impl):
    cond = impl.Condition()
    cond.__enter__()
    return cond


def _release_condition(cond):
    # held by this thread (see _held_condition), once
    assert cond.lock.green_count() == 1
    cond.__exit__(None, None, None)
    _use_condition(cond)


def _lock_state(lock):
    return (lock.locked(), lock.waiting, getattr(lock, "count", None))


def _semaphore_state(sem):
    return (sem.value, sem.waiting)


def _limiter_state(lim):
    depth = lim.green_count() if hasattr(lim, "green_count") else None
    return (lim.available_tokens, lim.borrowed_tokens, lim.waiting, depth)


def _event_state(event):
    return (event.is_set(), event.waiting)


def _countdown_state(event):
    return (event.value, event.waiting)


def _barrier_state(barrier):
    return (barrier.broken, barrier.waiting)


def _condition_state(cond):
    lock = cond.lock
    return (lock.locked(), lock.count, lock.waiting, cond.waiting)


def _queue_state(queue):
    return (
        list(queue._data),
        queue.waiting,
        queue.putting,
        queue.getting,
        queue.unfinished_tasks,
        queue.is_shutdown,
    )


def _rwlock_state(rwlock):
    return (rwlock.readers, rwlock.locked(), rwlock.waiting)


def _lowlevel_state(event):
    return (event.is_set(), event.cancelled())


def _lowlevel_event(impl):
    return impl.lowlevel.create_green_event()


def _lowlevel_async_event(impl):
    return impl.lowlevel.create_async_event()


K = {
    kind.name: kind
    for kind in [
        Kind("Lock", lambda m: m.Lock(), _lock_state, _use_lock),
        Kind("RLock", lambda m: m.RLock(), _lock_state, _use_lock),
        Kind(
            "RLock held 2**62 deep",
            lambda m: _hold_deep(m, 2**62),
            _lock_state,
            _release_deep,
        ),
        Kind(
            "Semaphore(1)",
            lambda m: m.Semaphore(1),
            _semaphore_state,
            _use_semaphore,
        ),
        Kind(
            "Semaphore(0)",
            lambda m: m.Semaphore(0),
            _semaphore_state,
            _use_semaphore,
        ),
        Kind(
            "BoundedSemaphore(1, 3)",
            lambda m: m.BoundedSemaphore(1, 3),
            _semaphore_state,
            _use_semaphore,
        ),
        Kind(
            "BinarySemaphore(0)",
            lambda m: m.BinarySemaphore(0),
            _semaphore_state,
            _use_semaphore,
        ),
        Kind(
            "BoundedBinarySemaphore(0, 1)",
            lambda m: m.BoundedBinarySemaphore(0, 1),
            _semaphore_state,
            _use_semaphore,
        ),
        Kind(
            "CapacityLimiter",
            lambda m: m.CapacityLimiter(1),
            _limiter_state,
            _use_limiter,
        ),
        Kind(
            "RCapacityLimiter",
            lambda m: m.RCapacityLimiter(1),
            _limiter_state,
            _use_limiter,
        ),
        Kind(
            "RCapacityLimiter held 2**62 deep",
            lambda m: _borrow_deep(m, 2**62),
            _limiter_state,
            _return_deep,
        ),
        Kind("Event", lambda m: m.Event(), _event_state, _use_event),
        Kind("REvent", lambda m: m.REvent(), _event_state, _use_event),
        Kind(
            "CountdownEvent(1)",
            lambda m: m.CountdownEvent(1),
            _countdown_state,
            _use_countdown,
        ),
        Kind("Latch(2)", lambda m: m.Latch(2), _barrier_state, _use_barrier),
        Kind(
            "Barrier(2)", lambda m: m.Barrier(2), _barrier_state, _use_barrier
        ),
        Kind(
            "RBarrier(2)",
            lambda m: m.RBarrier(2),
            _barrier_state,
            _use_barrier,
        ),
        Kind(
            "Condition (held)",
            _held_condition,
            _condition_state,
            _release_condition,
        ),
        Kind(
            "Condition",
            lambda m: m.Condition(),
            _condition_state,
            _use_condition,
        ),
        Kind(
            "Queue(1) empty",
            lambda m: m.Queue(1),
            _queue_state,
            _use_queue,
        ),
        Kind("Queue(1) full", _full_queue, _queue_state, _use_queue),
        Kind(
            "PriorityQueue([1])",
            lambda m: m.PriorityQueue([1]),
            _queue_state,
            _use_queue,
        ),
        Kind(
            "SimpleQueue",
            lambda m: m.SimpleQueue(),
            _queue_state,
            _use_queue,
        ),
        Kind("RWLock", lambda m: m.RWLock(), _rwlock_state, _use_rwlock),
        Kind(
            "lowlevel GreenEvent",
            _lowlevel_event,
            _lowlevel_state,
            _use_lowlevel_event,
        ),
        Kind(
            "lowlevel AsyncEvent",
            _lowlevel_async_event,
            _lowlevel_state,
            lambda event: event.set(),
        ),
    ]
}


# -- the table of calls

#: (kind, call label, call(obj, value), bad values, marks)
#: A call may return a coroutine or an awaitable: it is run by asyncio.
CALLS = []


def calls(kind, label, call, values, *marks):
    CALLS.append((kind, label, call, values, marks))


def _await(awaitable):
    async def run():
        return await awaitable

    return run()


class _Awaiting:
    """An awaitable around what ``__await__(timeout)`` returned."""

    def __init__(self, iterator):
        self._iterator = iterator

    def __await__(self):
        return self._iterator


# Locks
for kind in ("Lock", "RLock"):
    calls(
        kind,
        "green_acquire(timeout=v)",
        lambda o, v: o.green_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "async_acquire(timeout=v)",
        lambda o, v: o.async_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
calls("RLock", "green_acquire(v)", lambda o, v: o.green_acquire(v), BAD_DEPTHS)
calls("RLock", "async_acquire(v)", lambda o, v: o.async_acquire(v), BAD_DEPTHS)
calls("RLock", "green_release(v)", lambda o, v: o.green_release(v), BAD_DEPTHS)
calls("RLock", "async_release(v)", lambda o, v: o.async_release(v), BAD_DEPTHS)
calls(
    "RLock held 2**62 deep",
    "green_acquire(v)",
    lambda o, v: o.green_acquire(v),
    [("2**62", 2**62, OverflowError, "lock acquired too many times")],
    D,
)

# Semaphores
for kind in ("Semaphore(1)", "Semaphore(0)", "BoundedSemaphore(1, 3)"):
    calls(
        kind,
        "green_acquire(timeout=v)",
        lambda o, v: o.green_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "async_acquire(timeout=v)",
        lambda o, v: o.async_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
for name in ("release", "green_release", "async_release"):
    calls(
        "Semaphore(0)",
        f"{name}(v)",
        lambda o, v, name=name: getattr(o, name)(v),
        [
            *BAD_COUNTS,
            ("2**63", BIG, OverflowError, "too many permits for one counter"),
        ],
        D,
    )
calls(
    "BoundedSemaphore(1, 3)",
    "release(v)",
    lambda o, v: o.release(v),
    [
        *BAD_COUNTS,
        ("3", 3, RuntimeError, "semaphore released too many times"),
        ("2**63", BIG, RuntimeError, "semaphore released too many times"),
        ("10**100", HUGE, RuntimeError, "semaphore released too many times"),
    ],
    D,
)
for kind in ("BinarySemaphore(0)", "BoundedBinarySemaphore(0, 1)"):
    calls(
        kind,
        "release(v)",
        lambda o, v: o.release(v),
        [
            ("0", 0, ValueError, "count must be 1"),
            ("2", 2, ValueError, "count must be 1"),
            ("-1", -1, ValueError, "count must be 1"),
        ],
    )
    calls(
        kind,
        "release(v)",
        lambda o, v: o.release(v),
        [("1.5", 1.5, TypeError, "count must be an integer, not float")],
        D,
    )

# Capacity limiters
for kind in ("CapacityLimiter", "RCapacityLimiter"):
    calls(
        kind,
        "green_acquire(timeout=v)",
        lambda o, v: o.green_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "async_acquire(timeout=v)",
        lambda o, v: o.async_acquire(timeout=v),
        bad_timeouts(),
        D,
    )
for label, call in [
    ("green_acquire(v)", lambda o, v: o.green_acquire(v)),
    ("async_acquire(v)", lambda o, v: o.async_acquire(v)),
    ("green_release(v)", lambda o, v: o.green_release(v)),
    ("async_release(v)", lambda o, v: o.async_release(v)),
]:
    calls("RCapacityLimiter", label, call, BAD_DEPTHS)
calls(
    "RCapacityLimiter held 2**62 deep",
    "green_acquire(v)",
    lambda o, v: o.green_acquire(v),
    [
        (
            "2**62",
            2**62,
            OverflowError,
            "capacity limiter acquired too many times",
        )
    ],
    D,
)

# Events
for kind in ("Event", "REvent", "CountdownEvent(1)"):
    calls(kind, "wait(v)", lambda o, v: o.wait(v), bad_timeouts())
    calls(
        kind,
        "wait(timeout=v)",
        lambda o, v: o.wait(timeout=v),
        [bad_timeouts()[0]],
    )
    calls(kind, "with_(v)", lambda o, v: o.with_(v), bad_timeouts())
    calls(
        kind,
        "__await__(v)",
        lambda o, v: _Awaiting(o.__await__(v)),
        bad_timeouts()[:1],
    )
calls(
    "CountdownEvent(1)",
    "up(v)",
    lambda o, v: o.up(v),
    [
        *BAD_COUNTS[:2],
        ("1.5", 1.5, TypeError, "count must be an integer, not float"),
        ("str", "1", TypeError, "count must be an integer, not str"),
    ],
    D,
)

# Barriers: a bad timeout is refused before arrival, so it breaks nothing
for kind in ("Latch(2)", "Barrier(2)", "RBarrier(2)"):
    calls(kind, "wait(v)", lambda o, v: o.wait(v), bad_timeouts(), D)
    calls(kind, "with_(v)", lambda o, v: o.with_(v), bad_timeouts(), D)
    calls(
        kind,
        "__await__(v)",
        lambda o, v: _Awaiting(o.__await__(v)),
        bad_timeouts()[:1],
        D,
    )

# Conditions: held, the lock stays held once; not held, the timeout is
# checked first
for kind in ("Condition (held)", "Condition"):
    calls(kind, "wait(v)", lambda o, v: o.wait(v), bad_timeouts(), D)
    calls(
        kind,
        "wait_for(p, v)",
        lambda o, v: o.wait_for(bool, v),
        bad_timeouts(),
        D,
    )
calls(
    "Condition (held)",
    "with_(v)",
    lambda o, v: o.with_(v),
    bad_timeouts(),
    D,
)
calls(
    "Condition (held)",
    "for_(p, v)",
    lambda o, v: o.for_(bool, v),
    bad_timeouts()[:1],
    D,
)
calls(
    "Condition (held)",
    "wait_for(v)",
    lambda o, v: o.wait_for(v, 0),
    [
        ("int", 42, TypeError, None),
        ("None", None, TypeError, None),
    ],
)
calls(
    "Condition (held)",
    "notify(v)",
    lambda o, v: o.notify(v),
    [("str", "1", TypeError, None)],
    D,
)

# Queues
for kind in ("Queue(1) empty", "Queue(1) full", "SimpleQueue"):
    calls(
        kind,
        "green_put(x, timeout=v)",
        lambda o, v: o.green_put("new", timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "async_put(x, timeout=v)",
        lambda o, v: o.async_put("new", timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "green_get(timeout=v)",
        lambda o, v: o.green_get(timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "async_get(timeout=v)",
        lambda o, v: o.async_get(timeout=v),
        bad_timeouts(),
        D,
    )
    calls(
        kind,
        "green_join(timeout=v)",
        lambda o, v: o.green_join(timeout=v),
        bad_timeouts(),
    )
    calls(
        kind,
        "async_join(timeout=v)",
        lambda o, v: o.async_join(timeout=v),
        bad_timeouts(),
    )
calls(
    "PriorityQueue([1])",
    "green_put(v)",
    lambda o, v: o.green_put(v),
    [("str", "a", TypeError, None), ("None", None, TypeError, None)],
    D,
)

# RWLock
for side in ("reader", "writer"):
    calls(
        "RWLock",
        f"{side}.green_acquire(timeout=v)",
        lambda o, v, side=side: getattr(o, side).green_acquire(timeout=v),
        bad_timeouts(),
    )
    calls(
        "RWLock",
        f"{side}.async_acquire(timeout=v)",
        lambda o, v, side=side: getattr(o, side).async_acquire(timeout=v),
        bad_timeouts(),
    )

# Low-level events: a bad timeout leaves the event pending
calls(
    "lowlevel GreenEvent",
    "wait(v)",
    lambda o, v: o.wait(v),
    bad_timeouts(),
    D,
)
calls(
    "lowlevel AsyncEvent",
    "with_(v)",
    lambda o, v: o.with_(v),
    bad_timeouts(),
    D,
)


def _table():
    for kind, label, call, values, marks in CALLS:
        for value_id, value, exc, match in values:
            yield pytest.param(
                K[kind],
                call,
                value,
                exc,
                match,
                id=f"{kind}.{label}-{value_id}-{exc.__name__}",
                marks=marks,
            )


TABLE = list(_table())


def _run(result):
    # a coroutine or an awaitable: run it in a loop of its own
    if inspect.isawaitable(result):
        return asyncio.run(_await(result))
    return result


def _check_raises(exc, match, thunk):
    with pytest.raises(exc) as info:
        _run(thunk())
    if match is not None:
        assert str(info.value) == match
    return info.value


@pytest.mark.parametrize("kind, call, value, exc, match", TABLE)
def test_bad_call(impl, kind, call, value, exc, match):
    obj = kind.make(impl)
    before = kind.state(obj)
    _check_raises(exc, match, lambda: call(obj, value))
    after = kind.state(obj)
    assert after == before, f"{kind.name}: state changed by a bad call"
    assert getattr(obj, "waiting", 0) == 0, "a bad call left a waiter"
    kind.use(obj)


# -- constructors

#: (constructor label, call(impl, value), bad values, marks)
CONSTRUCTORS = []


def ctor(label, call, values, *marks):
    CONSTRUCTORS.append((label, call, values, marks))


def _too_many(name):
    return [
        ("2**63", BIG, OverflowError, "too many permits for one counter"),
        ("10**100", HUGE, OverflowError, "too many permits for one counter"),
    ]


for cls in ("Semaphore", "BoundedSemaphore", "BinarySemaphore"):
    values = [v for v in bad_ints("initial_value") if v[2] is TypeError]
    ctor(f"{cls}(v)", lambda m, v, cls=cls: getattr(m, cls)(v), values, D)
for cls in ("Semaphore", "BoundedSemaphore"):
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        [
            ("-1", -1, ValueError, "initial_value must be >= 0"),
            *_too_many("initial_value"),
        ],
    )
ctor(
    "BoundedSemaphore(1, v)",
    lambda m, v: m.BoundedSemaphore(1, v),
    [
        ("0", 0, ValueError, "max_value must be >= initial_value"),
        ("1.5", 1.5, TypeError, "max_value must be an integer, not float"),
        ("str", "2", TypeError, "max_value must be an integer, not str"),
        *_too_many("max_value"),
    ],
    D,
)
ctor(
    "Semaphore(1, v)",
    lambda m, v: m.Semaphore(1, v),
    [
        ("0", 0, ValueError, "max_value must be >= initial_value"),
        ("str", "2", TypeError, "max_value must be an integer, not str"),
        *_too_many("max_value"),
    ],
    D,
)
for cls in ("BinarySemaphore", "BoundedBinarySemaphore"):
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        [
            ("2", 2, ValueError, "initial_value must be 0 or 1"),
            ("-1", -1, ValueError, "initial_value must be 0 or 1"),
        ],
    )
ctor(
    "BoundedBinarySemaphore(1, v)",
    lambda m, v: m.BoundedBinarySemaphore(1, v),
    [("2", 2, ValueError, "max_value must be 0 or 1")],
)
for cls in ("CapacityLimiter", "RCapacityLimiter"):
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        bad_ints("total_tokens"),
        D,
    )
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        _too_many("total_tokens"),
    )
ctor(
    "CountdownEvent(v)",
    lambda m, v: m.CountdownEvent(v),
    bad_ints("initial_value"),
    D,
)
for cls in ("Latch", "Barrier", "RBarrier"):
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        bad_ints("parties"),
        D,
    )
for cls in ("Queue", "LifoQueue", "PriorityQueue"):
    ctor(
        f"{cls}(maxsize=v)",
        lambda m, v, cls=cls: getattr(m, cls)(maxsize=v),
        [
            ("0", 0, ValueError, "maxsize must be >= 1 or None"),
            ("-1", -1, ValueError, "maxsize must be >= 1 or None"),
            ("False", False, ValueError, "maxsize must be >= 1 or None"),
            ("-inf", -inf, ValueError, "maxsize must be >= 1 or None"),
            ("-2**63", -BIG, ValueError, "maxsize must be >= 1 or None"),
            ("str", "2", TypeError, None),
            ("list", [], TypeError, None),
        ],
    )
    ctor(
        f"{cls}(maxsize=v)",
        lambda m, v, cls=cls: getattr(m, cls)(maxsize=v),
        [("nan", nan, ValueError, "maxsize must be >= 1 or None")],
        D,
    )
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        [
            ("0", 0, ValueError, "maxsize must be >= 1 or None"),
            ("1.5", 1.5, TypeError, None),  # not an int: taken as items
            ("object", object(), TypeError, None),
        ],
    )
for cls in ("SimpleQueue", "SimpleLifoQueue"):
    ctor(
        f"{cls}(v)",
        lambda m, v, cls=cls: getattr(m, cls)(v),
        [("int", 3, TypeError, None), ("None", None, TypeError, None)],
    )
ctor(
    "ResourceGuard(v)",
    lambda m, v: m.ResourceGuard(v),
    [
        (
            "str",
            "using",
            ValueError,
            "the first argument should not have been passed",
        ),
        ("None", None, ValueError, None),
    ],
)
ctor(
    "synchronized(v)",
    lambda m, v: m.synchronized(v),
    [
        ("int", 42, TypeError, None),
        ("None", None, TypeError, None),
        ("str", "lock", TypeError, None),
    ],
    D,
)
ctor(
    "Flag().get(default_factory=v)",
    lambda m, v: m.Flag().get(default_factory=v),
    [("int", 42, TypeError, None)],
)

# low-level calls
for name in ("green_sleep", "async_sleep"):
    ctor(
        f"lowlevel.{name}(v)",
        lambda m, v, name=name: getattr(m.lowlevel, name)(v),
        [
            *bad_timeouts("seconds")[:6],
            ("None", None, TypeError, None),
        ],
        D,
    )
for name in ("green_sleep_until", "async_sleep_until"):
    ctor(
        f"lowlevel.{name}(v)",
        lambda m, v, name=name: getattr(m.lowlevel, name)(v),
        [
            ("nan", nan, ValueError, "deadline must be non-NaN"),
            ("str", "1", TypeError, None),
        ],
        D,
    )
for name in ("shield", "enable_checkpoints", "disable_checkpoints"):
    ctor(
        f"lowlevel.{name}(v)",
        lambda m, v, name=name: getattr(m.lowlevel, name)(v),
        [("int", 42, TypeError, None)],
        D,
    )


def _constructor_table():
    for label, call, values, marks in CONSTRUCTORS:
        for value_id, value, exc, match in values:
            yield pytest.param(
                call,
                value,
                exc,
                match,
                id=f"{label}-{value_id}-{exc.__name__}",
                marks=marks,
            )


@pytest.mark.parametrize("call, value, exc, match", list(_constructor_table()))
def test_bad_constructor_or_function(impl, call, value, exc, match):
    # async functions (async_sleep, ...) are run by asyncio
    _check_raises(exc, match, lambda: call(impl, value))


# -- removed and absent calls


@pytest.mark.parametrize(
    "cls, name",
    [
        ("CapacityLimiter", "acquire_on_behalf_of"),
        ("CapacityLimiter", "green_acquire_on_behalf_of"),
        ("CapacityLimiter", "async_acquire_on_behalf_of"),
        ("RCapacityLimiter", "release_on_behalf_of"),
        ("Lock", "acquire"),
        ("RLock", "release"),
        ("RLock", "level"),
        ("Queue", "put"),
        ("Queue", "get_nowait"),
    ],
)
def test_removed_call(impl, cls, name):
    # removed in 0.15 (``*_on_behalf_of``, ``level``) or never there
    assert not hasattr(getattr(impl, cls)(), name)


@pytest.mark.parametrize(
    "kind, call",
    [
        ("Lock", lambda o: o.green_acquire(True)),
        ("Semaphore(1)", lambda o: o.green_acquire(True)),
        ("CapacityLimiter", lambda o: o.async_acquire(True)),
        ("Queue(1) empty", lambda o: o.green_get(True)),
        ("Queue(1) empty", lambda o: o.green_put(1, True)),
        ("RWLock", lambda o: o.writer.green_acquire(True)),
        ("Event", lambda o: o.set(True)),
        ("Condition", lambda o: o.notify_all(1)),
        ("Latch(2)", lambda o: o.abort(True)),
    ],
    ids=lambda p: p if isinstance(p, str) else "",
)
def test_keyword_only_arguments(impl, kind, call):
    # ``blocking``/``timeout`` are keyword-only, ``set()`` takes nothing
    kind = K[kind]
    obj = kind.make(impl)
    before = kind.state(obj)
    _check_raises(TypeError, None, lambda: call(obj))
    assert kind.state(obj) == before
    kind.use(obj)


# -- edge values that must be accepted

#: (kind, label, call(obj) -> result, expected result)
ACCEPTED = [
    # no timeout: inf, and integers beyond a float
    (
        "Lock",
        "green_acquire(timeout=inf)",
        lambda o: o.green_acquire(timeout=inf),
        True,
    ),
    (
        "Lock",
        "green_acquire(timeout=10**400)",
        lambda o: o.green_acquire(timeout=OVERFLOW),
        True,
    ),
    (
        "Lock",
        "async_acquire(timeout=2**63)",
        lambda o: o.async_acquire(timeout=BIG),
        True,
    ),
    (
        "Semaphore(1)",
        "green_acquire(timeout=True)",
        lambda o: o.green_acquire(timeout=True),
        True,
    ),
    ("Event", "wait(0)", lambda o: o.wait(0), False),
    ("Event", "wait(-0.0)", lambda o: o.wait(-0.0), False),
    ("Event", "with_(0)", lambda o: o.with_(0), False),
    # blocking=False ignores the timeout entirely, even a bad one
    (
        "Lock",
        "green_acquire(blocking=False, timeout=-1)",
        lambda o: o.green_acquire(blocking=False, timeout=-1),
        True,
    ),
    (
        "Semaphore(0)",
        "green_acquire(blocking=False, timeout=nan)",
        lambda o: o.green_acquire(blocking=False, timeout=nan),
        False,
    ),
    (
        "Queue(1) empty",
        "green_put(x, blocking=False, timeout='x')",
        lambda o: o.green_put(1, blocking=False, timeout="x"),
        None,
    ),
    (
        "RWLock",
        "reader.async_acquire(blocking=False, timeout=-1)",
        lambda o: o.reader.async_acquire(blocking=False, timeout=-1),
        True,
    ),
    # bool is an int; 0 is a no-op count
    ("RLock", "green_acquire(True)", lambda o: o.green_acquire(True), True),
    ("Semaphore(0)", "release(0)", lambda o: o.release(0), None),
    ("BoundedSemaphore(1, 3)", "release(2)", lambda o: o.release(2), None),
    ("CountdownEvent(1)", "up(0)", lambda o: o.up(0), None),
    # notify counts as in the stdlib: below 1 notifies nobody
    ("Condition (held)", "notify(-1)", lambda o: o.notify(-1), 0),
    ("Condition (held)", "notify(nan)", lambda o: o.notify(nan), 0),
    ("Condition (held)", "notify(10**100)", lambda o: o.notify(HUGE), 0),
]


@pytest.mark.parametrize(
    "kind, call, expected",
    [
        pytest.param(K[kind], call, expected, id=f"{kind}.{label}")
        for kind, label, call, expected in ACCEPTED
    ],
)
def test_accepted_edge_value(impl, kind, call, expected):
    obj = kind.make(impl)
    assert _run(call(obj)) == expected
    assert getattr(obj, "waiting", 0) == 0


@pytest.mark.parametrize(
    "cls, args, expected",
    [
        ("Semaphore", (True,), 1),
        ("CountdownEvent", (2**63,), 2**63),
        ("Latch", (10**100,), 10**100),
        ("BoundedSemaphore", (1, sys.maxsize), 1),
        ("Queue", (None,), 0),
        ("Queue", ((), 1.5), 1.5),
        ("Queue", ((), inf), inf),
        ("Queue", ((), 10**100), 10**100),
    ],
    ids=repr,
)
def test_accepted_constructor(impl, cls, args, expected):
    obj = getattr(impl, cls)(*args)
    for name in ("value", "parties", "maxsize"):
        if hasattr(obj, name):
            assert getattr(obj, name) == expected
            break
    else:
        pytest.fail(f"{obj!r} has no value to compare")
