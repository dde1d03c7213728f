# SPDX-License-Identifier: MIT

"""A producer thread and consumer threads around one Condition."""

import threading

import aiologic

cond = aiologic.Condition()  # over a new aiologic.RLock
items = []
taken = []


def consume():
    with cond:
        assert cond.wait_for(lambda: items, timeout=5)  # the lock is held
        taken.append(items.pop(0))


consumers = [threading.Thread(target=consume) for _ in range(3)]
for thread in consumers:
    thread.start()
for item in range(3):
    with cond:
        items.append(item)
        cond.notify()  # wakes one waiter whose predicate is true
for thread in consumers:
    thread.join()
assert sorted(taken) == [0, 1, 2]

with cond:
    assert not cond.wait(timeout=0.01)  # False on timeout, lock held again
    assert cond.lock.green_owned()
print("taken:", taken)
