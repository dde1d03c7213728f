# SPDX-License-Identifier: MIT

"""Greenlets wait on an Event that a plain thread sets."""

import threading

import gevent

import aiologic

ready = aiologic.Event()


def waiter(name):
    assert ready.wait(timeout=5)  # blocks this greenlet only
    return name


greenlets = [gevent.spawn(waiter, name) for name in "ab"]
threading.Timer(0.01, ready.set).start()
gevent.joinall(greenlets, raise_error=True)
assert [g.value for g in greenlets] == ["a", "b"]
print("woken")
