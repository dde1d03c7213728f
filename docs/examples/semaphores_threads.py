# SPDX-License-Identifier: MIT

"""A semaphore lets three threads in at a time; a bounded semaphore
refuses to be released too often."""

import threading
import time

import aiologic

slots = aiologic.Semaphore(3)
inside = 0
most = 0
count_lock = threading.Lock()


def work():
    global inside, most
    with slots:  # waits while three threads are inside
        with count_lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.001)  # some work
        with count_lock:
            inside -= 1


threads = [threading.Thread(target=work) for _ in range(10)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert most <= 3 and slots.value == 3

bounded = aiologic.BoundedSemaphore(2)
bounded.green_acquire()
bounded.release()
try:
    bounded.release()  # above max_value
except RuntimeError as exc:
    print("refused:", exc)
else:
    raise AssertionError("over-release accepted")
print("at most", most, "threads inside")
