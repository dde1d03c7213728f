# SPDX-License-Identifier: MIT

"""Locks shared by plain threads: Lock, RLock and synchronized."""

import threading

import aiologic

lock = aiologic.Lock()
counter = 0


def work():
    global counter
    for _ in range(1000):
        with lock:  # blocks this thread only
            counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert counter == 4000


# while the main thread holds it, another thread gives up
def try_it(results):
    results.append(lock.green_acquire(blocking=False))  # never waits
    results.append(lock.green_acquire(timeout=0.05))  # waits 50 ms


results = []
with lock:
    thread = threading.Thread(target=try_it, args=(results,))
    thread.start()
    thread.join()
assert results == [False, False]

rlock = aiologic.RLock()  # reentrant: its owner may take it again


def nested():
    with rlock:  # the owner takes it again: no deadlock
        return rlock.count


with rlock:
    assert nested() == 2
assert not rlock.locked()


class Account:
    def __init__(self):
        self.balance = 0

    @aiologic.synchronized  # one caller at a time, per instance
    def deposit(self, amount):
        self.balance += amount


account = Account()
threads = [
    threading.Thread(target=account.deposit, args=(10,)) for _ in range(5)
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert account.balance == 50
print("counter:", counter, "balance:", account.balance)
