# SPDX-License-Identifier: MIT

"""A cyclic barrier: three threads meet, round after round."""

import threading

import aiologic

barrier = aiologic.Barrier(3)
indexes = []


def work():
    for _ in range(2):  # two rounds
        indexes.append(barrier.wait(timeout=5))  # 0, 1 or 2


threads = [threading.Thread(target=work) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert sorted(indexes) == [0, 0, 1, 1, 2, 2]

# a timeout breaks the barrier for everyone
lonely = aiologic.Barrier(2)
try:
    lonely.wait(timeout=0.01)
except aiologic.BrokenBarrierError:
    assert lonely.broken
print("indexes:", indexes)
