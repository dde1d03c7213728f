# SPDX-License-Identifier: MIT

"""Worker threads, task_done() and join(), then shutdown()."""

import threading

import aiologic

jobs = aiologic.Queue(maxsize=4)  # puts wait while four items are queued
results = []


def worker():
    while True:
        try:
            job = jobs.green_get()
        except aiologic.QueueShutDown:  # shut down and drained
            return
        try:
            results.append(job * job)
        finally:
            jobs.task_done()


workers = [threading.Thread(target=worker) for _ in range(3)]
for thread in workers:
    thread.start()
for job in range(10):
    jobs.green_put(job)
assert jobs.green_join(timeout=5)  # every job is done
jobs.shutdown()  # the workers return
for thread in workers:
    thread.join()
assert sorted(results) == [n * n for n in range(10)]

try:
    jobs.green_put(10)
except aiologic.QueueShutDown:
    print("shut down:", jobs.is_shutdown)

empty = aiologic.Queue()
try:
    empty.green_get(timeout=0.01)
except aiologic.QueueEmpty:
    print("empty")
