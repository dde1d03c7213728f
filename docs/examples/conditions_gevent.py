# SPDX-License-Identifier: MIT

"""Greenlets consume what a plain thread produces, under one Condition."""

import threading

import gevent

import aiologic

cond = aiologic.Condition()
items = []


def consume():
    with cond:  # blocks this greenlet only
        cond.wait_for(lambda: items)
        return items.pop(0)


def produce():
    for item in ("x", "y"):
        with cond:
            items.append(item)
            cond.notify()


greenlets = [gevent.spawn(consume) for _ in range(2)]
gevent.sleep(0)  # let the consumers start waiting
thread = threading.Thread(target=produce)
thread.start()
gevent.joinall(greenlets, raise_error=True)
thread.join()
assert sorted(g.value for g in greenlets) == ["x", "y"]
print("consumed")
