# SPDX-License-Identifier: MIT

"""Greenlets and a plain thread share one lock (no monkey-patching)."""

import threading

import gevent

import aiologic

lock = aiologic.Lock()
holders = []


def greenlet_work(name):
    for _ in range(3):
        with lock:  # blocks this greenlet only: the others keep running
            holders.append(name)
            gevent.sleep(0)


def thread_work():
    for _ in range(3):
        with lock:  # blocks this thread
            holders.append("thread")


thread = threading.Thread(target=thread_work)
thread.start()
gevent.joinall([gevent.spawn(greenlet_work, name) for name in "ab"])
thread.join()
assert sorted(holders) == ["a"] * 3 + ["b"] * 3 + ["thread"] * 3
print("order:", holders)
