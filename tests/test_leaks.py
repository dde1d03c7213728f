# SPDX-License-Identifier: MIT

"""Leaks: many acquire, timeout, cancel and hand-off cycles keep memory flat.

The payload is ``support/leak_loop.py``, run in a subprocess per core (the
``impl`` fixture selects which) so that its measurements see only its own
allocations, threads and descriptors. Every library that can be imported
(threading, asyncio, trio, gevent, eventlet) runs in its own thread at the
same time; the payload fails if, between a warm-up and the end, the memory
traced by tracemalloc grew by more than 1 MiB (PyPy has no tracemalloc:
there its collector's heap, by 2 MiB), the RSS by more than 4 MiB (on
PyPy only reported: asyncio alone grows it there), the live objects of
any type by more than 100, or if anything is left at the end: a waiter, a
low-level event, a thread, a task, a file descriptor, a permit not given
back, a shared-queue item lost.

Why these bounds: a leaked waiter entry costs at least about 100 bytes
(the low-level event, the queue entry), and a cycle kind that leaks once
per cycle runs thousands of times here, so a real leak is far above
them; what stays below is allocator noise (pymalloc arenas of 1 MiB
hold on to pages, thread stacks and per-thread malloc arenas). The
type-count bound catches small leaks that the byte bounds would miss.

The default size runs in about 10 seconds per core on CPython 3.11;
``AIOLOGIC_STRESS`` multiplies it. The million cycles of the issue run in
``make stress``::

    python tests/support/leak_loop.py --cycles 1000000

(with ``AIOLOGIC_NO_EXTENSIONS=1`` for the pure-Python core).

Regression tests of leaks the loop found: the wake-up sockets of an
eventlet hub outlived the thread, and the pure-Python queues grew by an
entry for each task never marked done.
"""

from __future__ import annotations

import gc
import json
import os
import pathlib
import platform
import random
import subprocess
import sys
import threading

import pytest
import support

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SCRIPT = pathlib.Path(support.__file__).with_name("leak_loop.py")

#: cycles at the default AIOLOGIC_STRESS: about 10 seconds per core on
#: CPython 3.11 (tracemalloc is on: it slows the loop down about fourfold)
CYCLES = 50_000

PYPY = platform.python_implementation() == "PyPy"


def _seed():
    value = os.environ.get("AIOLOGIC_STRESS_SEED", "")
    if value:
        return int(value)
    return random.SystemRandom().randrange(2**32)


def _importable(lib):
    proc = subprocess.run(
        [sys.executable, "-c", f"import {lib}"],
        capture_output=True,
        check=False,
        cwd=support.SUBPROCESS_CWD,
    )
    return proc.returncode == 0


def test_cycles_keep_memory_flat(impl):
    """Acquire/release, non-blocking failures, timeouts, cancellations,
    interruptions and hand-offs on every primitive and library leave the
    memory flat and nothing behind."""
    seed = _seed()
    cycles = support.stress(CYCLES)
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(SCRIPT),
            "--cycles",
            str(cycles),
            "--seed",
            str(seed),
            "--max-type-growth",
            "100",
            "--watchdog",
            "840",
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=870,
        env=support.subprocess_env(),
        cwd=str(SCRIPT.parent),
    )
    context = f"AIOLOGIC_STRESS_SEED={seed}: {SCRIPT.name} --cycles {cycles}"
    output = proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{context}: no output\n{output[-4000:]}"
    try:
        report = json.loads(lines[-1])
    except ValueError:
        pytest.fail(f"{context}: no report\n{output[-4000:]}")
    print("\n".join(lines[:-1]))
    assert not report["failures"], f"{context}\n{output[-6000:]}"
    assert proc.returncode == 0, f"{context}\n{output[-4000:]}"

    assert report["implementation"] == impl.lowlevel.IMPLEMENTATION
    assert report["cycles"] == cycles, context
    expected = {"threading", "asyncio", "trio"}
    for lib in ("gevent", "eventlet"):
        if _importable(lib):
            expected.add(lib)
    assert set(report["libraries"]) == expected, context
    # every kind of cycle ran, many times
    for kind, count in report["kinds"].items():
        assert count >= cycles // 100, f"{context}: {kind} ran {count}"
    assert len(report["kinds"]) == 7, context

    gauges = report["memory"]["gauges"]
    bounds = {"traced": 1024, "heap": 2048, "rss": None if PYPY else 4096}
    expected = {"heap"} if PYPY else {"traced"}
    if os.path.exists("/proc/self/statm"):
        expected.add("rss")
    assert set(gauges) == expected, context
    for name, gauge in gauges.items():
        if bounds[name] is not None:
            assert gauge["growth_kib"] < bounds[name], f"{context}: {name}"
    before, after = report["threads"]
    assert after <= before, context
    before, after = report["fds"]
    if before is not None:
        assert after <= before, context


def _sockets():
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the descriptor of the listing itself
            continue
        if target.startswith("socket:"):
            found.append(target)
    return found


@pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd"
)
def test_eventlet_thread_exit_closes_the_wakeup_channel(impl):
    """A thread whose eventlet hub was woken from another thread leaves no
    socket behind when it exits (eventlet itself never frees that hub)."""
    support.require("eventlet")
    eventlet = support._import_eventlet()
    errors = []

    def run():
        try:
            eventlet.hubs.get_hub()
            event = impl.Event()
            # set from another thread: the hub's thread-safe channel
            setter = threading.Thread(target=event.set)
            waiter = eventlet.spawn(event.wait, support.DEFAULT_TIMEOUT)
            eventlet.sleep(0)
            setter.start()
            assert waiter.wait() is True
            setter.join()
        except BaseException as exc:
            errors.append(exc)

    gc.collect()
    before = _sockets()
    for _ in range(3):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(support.DEFAULT_TIMEOUT)
        assert not thread.is_alive()
    assert not errors, errors
    gc.collect()
    # no new socket (on PyPy, the collection may also close older ones)
    assert set(_sockets()) <= set(before)


QUEUES = (
    "SimpleQueue",
    "SimpleLifoQueue",
    "Queue",
    "LifoQueue",
    "PriorityQueue",
)


def _put(queue, item):
    if hasattr(queue, "put"):
        queue.put(item)  # the simple queues: lock-free, signal-safe
    else:
        queue.green_put(item)


@pytest.mark.skipif(PYPY, reason="PyPy has no tracemalloc")
@pytest.mark.parametrize("qname", QUEUES)
def test_tasks_never_marked_done_take_no_memory(impl, qname):
    """Most users never call task_done(): the count of unfinished tasks
    grows, the memory must not."""
    import tracemalloc

    queue = getattr(impl, qname)()
    cycles = 20_000
    for item in range(1000):  # warm-up
        _put(queue, item)
        queue.green_get()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for item in range(cycles):
            _put(queue, item)
            queue.green_get()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # 8 bytes a task would be 160 KB; a few deque blocks are allowed
    assert growth < 4096, f"{growth} bytes for {cycles} tasks"
    assert queue.unfinished_tasks == cycles + 1000
    for _ in range(cycles + 1000):
        queue.task_done()
    assert queue.unfinished_tasks == 0
    with pytest.raises(ValueError, match="task_done"):
        queue.task_done()
    assert queue.green_join(timeout=0)


@pytest.mark.parametrize("qname", ("SimpleQueue", "Queue"))
def test_unfinished_count_stays_exact_under_threads(impl, qname):
    """Puts from several threads and task_done() calls from others, many
    times over the size at which the count is compacted: the count stays
    exact and a join is woken at zero."""
    queue = getattr(impl, qname)()
    producers, consumers, per_producer = 4, 2, support.stress(5000)
    total = producers * per_producer
    taken = []
    errors = []

    def produce(base):
        try:
            for n in range(per_producer):
                _put(queue, base + n)
        except BaseException as exc:
            errors.append(exc)

    def consume(count):
        try:
            for _ in range(count):
                taken.append(queue.green_get(timeout=support.DEFAULT_TIMEOUT))
                queue.task_done()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=produce, args=(i * per_producer,))
        for i in range(producers)
    ]
    threads += [
        threading.Thread(target=consume, args=(total // consumers,))
        for _ in range(consumers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(support.DEFAULT_TIMEOUT * 3)
        assert not thread.is_alive()
    assert not errors, errors
    assert sorted(taken) == list(range(total))
    assert queue.unfinished_tasks == 0
    assert queue.green_join(timeout=0)
    with pytest.raises(ValueError, match="task_done"):
        queue.task_done()
