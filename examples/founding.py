# SPDX-License-Identifier: MIT

"""One lock, two threads, two event loops of different libraries.

Each of two threads runs its own event loop with ``anyio.run()``: the
first on the trio backend, the second on the asyncio backend. Each loop
runs two tasks, and all four tasks take turns on the same ``aiologic.Lock``
with ``async with lock:``. Nothing here polls and no thread is started per
waiting task: a release hands the lock to the next waiter in FIFO order,
in whichever thread and loop it is waiting.

Every acquisition is printed as it happens; at the end the script checks
that the lock was never held by two tasks at once.
"""

from __future__ import annotations

import sys
import threading

import anyio

import aiologic

ROUNDS = 3
HOLD_SECONDS = 0.05

lock = aiologic.Lock()

# Bookkeeping only, kept apart from the lock under test: a plain thread
# lock guards the counters and keeps printed lines whole.
stats_lock = threading.Lock()
holders = 0
max_holders = 0
order: list[int] = []  # thread number of each acquisition


def say(line: str) -> None:
    with stats_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


async def worker(thread_no: int, name: str) -> None:
    global holders, max_holders

    for _ in range(ROUNDS):
        async with lock:
            with stats_lock:
                holders += 1
                max_holders = max(max_holders, holders)
                order.append(thread_no)
            say(f"{name} acquired")
            await anyio.sleep(HOLD_SECONDS)
            say(f"{name} releasing")
            with stats_lock:
                holders -= 1


async def main(thread_no: int, backend: str) -> None:
    async with anyio.create_task_group() as tg:
        for task_no in (1, 2):
            name = f"thread {thread_no} ({backend}) task {task_no}"
            tg.start_soon(worker, thread_no, name)


def run_thread(thread_no: int, backend: str, start: threading.Barrier):
    start.wait()  # both loops start together, so their tasks contend
    anyio.run(main, thread_no, backend, backend=backend)


def run() -> None:
    start = threading.Barrier(2)
    threads = [
        threading.Thread(target=run_thread, args=(1, "trio", start)),
        threading.Thread(target=run_thread, args=(2, "asyncio", start)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    handoffs = sum(a != b for a, b in zip(order, order[1:]))
    print()
    print(f"acquisitions: {len(order)}, across threads: {handoffs}")
    print(f"most tasks holding the lock at once: {max_holders}")

    assert max_holders == 1, "the lock was held by two tasks at once"
    assert len(order) == 4 * ROUNDS, order
    assert not lock.locked(), lock
    assert lock.waiting == 0, lock


if __name__ == "__main__":
    run()
