# SPDX-License-Identifier: MIT

"""Thread-safety of the fast paths: many OS threads on one primitive.

Threads start together at a barrier and hammer one primitive with blocking,
non-blocking and timed calls mixed at random (seeded; the seed is in every
failure message), then the invariants are checked: mutual exclusion,
permits conserved, items neither lost nor duplicated, every wake-up
delivered. With the GIL, a tiny switch interval makes threads interleave
inside the library; on a free-threaded build they run truly in parallel.
``AIOLOGIC_STRESS=N`` repeats each test N times as often.
"""

from __future__ import annotations

import random
import sys
import threading

import pytest
import support
from support import seeds

pytestmark = pytest.mark.timeout(300)

THREADS = 8
ROUNDS = 300  # operations per thread


@pytest.fixture(autouse=True)
def fine_switching():
    """Switch threads as often as the interpreter allows (GIL builds)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def run_threads(body, count=THREADS):
    """Run ``body(index)`` in *count* threads started at one barrier."""
    barrier = threading.Barrier(count)
    errors = []

    def target(index):
        try:
            barrier.wait()
            body(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=target, args=(i,)) for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
        assert not thread.is_alive(), "a thread hung"
    if errors:
        raise errors[0]


@pytest.mark.parametrize("seed", seeds(3))
@pytest.mark.parametrize("name", ["Lock", "RLock", "BinarySemaphore"])
def test_mutual_exclusion(impl, name, seed):
    lock = getattr(impl, name)()
    inside = []
    entries = [0] * THREADS

    def body(index):
        rng = random.Random(seed * 100 + index)
        for _ in range(ROUNDS):
            how = rng.random()
            if how < 0.6:
                ok = lock.green_acquire()
            elif how < 0.8:
                ok = lock.green_acquire(blocking=False)
            else:
                ok = lock.green_acquire(timeout=rng.random() / 1000)
            if not ok:
                continue
            inside.append(index)
            assert len(inside) == 1, f"seed={seed}: {inside} inside at once"
            entries[index] += 1
            inside.remove(index)
            lock.green_release()

    run_threads(body)
    assert not lock.locked() if name != "BinarySemaphore" else lock.value == 1
    assert lock.waiting == 0, f"seed={seed}"
    assert sum(entries) > 0


@pytest.mark.parametrize("seed", seeds(3))
@pytest.mark.parametrize("name", ["Semaphore", "BoundedSemaphore"])
def test_semaphore_permits_conserved(impl, name, seed):
    permits = 3
    sem = getattr(impl, name)(permits)
    holding = []

    def body(index):
        rng = random.Random(seed * 100 + index)
        for _ in range(ROUNDS):
            how = rng.random()
            if how < 0.5:
                ok = sem.green_acquire()
            elif how < 0.75:
                ok = sem.green_acquire(blocking=False)
            else:
                ok = sem.green_acquire(timeout=rng.random() / 1000)
            if not ok:
                continue
            holding.append(index)
            assert len(holding) <= permits, f"seed={seed}: {holding}"
            holding.remove(index)
            sem.green_release()

    run_threads(body)
    assert sem.value == permits, f"seed={seed}: {sem!r}"
    assert sem.waiting == 0, f"seed={seed}"


@pytest.mark.parametrize("seed", seeds(3))
def test_limiter_tokens_conserved(impl, seed):
    tokens = 2
    limiter = impl.RCapacityLimiter(tokens)

    def body(index):
        rng = random.Random(seed * 100 + index)
        for _ in range(ROUNDS):
            depth = rng.randint(1, 3)
            if not limiter.green_acquire(depth, timeout=rng.random() / 500):
                continue
            assert limiter.green_count() == depth, f"seed={seed}"
            assert len(limiter.borrowers) <= tokens, f"seed={seed}"
            limiter.green_release(depth)

    run_threads(body)
    assert limiter.available_tokens == tokens, f"seed={seed}"
    assert not limiter.borrowers and limiter.waiting == 0


@pytest.mark.parametrize("seed", seeds(3))
def test_simple_queue_items_conserved(impl, seed):
    queue = impl.SimpleQueue()
    producers = THREADS // 2
    taken = [[] for _ in range(THREADS)]

    def body(index):
        rng = random.Random(seed * 100 + index)
        if index < producers:
            for i in range(ROUNDS):
                queue.put((index, i))
        else:
            for _ in range(ROUNDS):
                if rng.random() < 0.3:
                    try:
                        taken[index].append(queue.green_get(blocking=False))
                        continue
                    except impl.QueueEmpty:
                        pass
                taken[index].append(queue.green_get(timeout=30))

    run_threads(body)
    got = sorted(item for items in taken for item in items)
    expected = sorted((p, i) for p in range(producers) for i in range(ROUNDS))
    assert got == expected, f"seed={seed}: items lost or duplicated"
    assert len(queue) == 0 and queue.waiting == 0


@pytest.mark.parametrize("seed", seeds(3))
def test_event_wakes_every_waiter(impl, seed):
    rng = random.Random(seed)
    for _ in range(20):
        event = impl.Event()
        woken = []

        def body(index, event=event, woken=woken):
            if index == 0:
                support.wait_until(lambda: event.waiting >= rng.randint(0, 3))
                event.set()
            else:
                assert event.wait(timeout=30), f"seed={seed}: not woken"
                woken.append(index)

        run_threads(body)
        assert sorted(woken) == list(range(1, THREADS)), f"seed={seed}"
        assert event.is_set() and event.waiting == 0
