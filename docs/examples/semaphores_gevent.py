# SPDX-License-Identifier: MIT

"""A semaphore shared by greenlets and threads."""

import threading
import time

import gevent

import aiologic

slots = aiologic.Semaphore(2)
inside = []
most = []


def work(name, sleep):
    with slots:  # a greenlet waits in the hub, a thread blocks
        inside.append(name)
        most.append(len(inside))
        sleep(0.001)  # some work
        inside.remove(name)


threads = [
    threading.Thread(target=work, args=(f"t{n}", time.sleep)) for n in range(3)
]
for thread in threads:
    thread.start()
gevent.joinall([gevent.spawn(work, f"g{n}", gevent.sleep) for n in range(5)])
for thread in threads:
    thread.join()
assert max(most) <= 2 and slots.value == 2
print("at most", max(most), "inside")
