# SPDX-License-Identifier: MIT

"""A plain thread feeds greenlets through one queue."""

import threading

import gevent

import aiologic

queue = aiologic.Queue()


def consume():
    items = []
    while True:
        item = queue.green_get()  # blocks this greenlet only
        if item is None:
            return items
        items.append(item)


def produce():
    for item in range(6):
        queue.green_put(item)
    queue.green_put(None)  # one stop marker per consumer
    queue.green_put(None)


greenlets = [gevent.spawn(consume) for _ in range(2)]
thread = threading.Thread(target=produce)
thread.start()
gevent.joinall(greenlets, raise_error=True)
thread.join()
assert sorted(greenlets[0].value + greenlets[1].value) == list(range(6))
print("consumed")
