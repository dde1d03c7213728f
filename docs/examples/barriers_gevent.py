# SPDX-License-Identifier: MIT

"""Greenlets and a thread meet at one barrier."""

import threading

import gevent

import aiologic

barrier = aiologic.RBarrier(3)  # cyclic, and reset() repairs it


def party():
    return barrier.wait(timeout=5)


thread_result = []
thread = threading.Thread(target=lambda: thread_result.append(party()))
thread.start()
greenlets = [gevent.spawn(party) for _ in range(2)]
gevent.joinall(greenlets, raise_error=True)
thread.join()
indexes = sorted([g.value for g in greenlets] + thread_result)
assert indexes == [0, 1, 2]
barrier.abort()
barrier.reset()  # usable again
assert not barrier.broken
print("indexes:", indexes)
