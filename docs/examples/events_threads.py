# SPDX-License-Identifier: MIT

"""Events between threads: Event, CountdownEvent, REvent; Flag and
ResourceGuard."""

import threading

import aiologic

ready = aiologic.Event()
done = aiologic.CountdownEvent(3)  # set once it is down to zero


def worker():
    assert ready.wait(timeout=5)  # True once set, False on timeout
    done.down()


threads = [threading.Thread(target=worker) for _ in range(3)]
for thread in threads:
    thread.start()
assert not ready.wait(timeout=0.01)  # nobody set it yet
ready.set()  # wakes every waiter, from any thread
assert done.wait(timeout=5)
for thread in threads:
    thread.join()

toggle = aiologic.REvent()  # reusable
toggle.set()
toggle.clear()
assert not toggle.is_set()

winner = aiologic.Flag()  # set once: the first marker is kept
assert winner.set("first")
assert not winner.set("second")
assert winner.get() == "first"

guard = aiologic.ResourceGuard(action="writing to")
with guard:
    try:
        with guard:  # a second user at the same time raises
            pass
    except aiologic.BusyResourceError as exc:
        print("refused:", exc)
print("all", done.initial_value, "workers passed")
