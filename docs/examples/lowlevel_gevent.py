# SPDX-License-Identifier: MIT

"""Inside a greenlet, the green library is gevent."""

import gevent

from aiologic import lowlevel


def in_a_greenlet():
    assert lowlevel.current_green_library() == "gevent"
    library, ident = lowlevel.current_green_task_ident()
    assert (library, ident) == ("gevent", id(gevent.getcurrent()))
    event = lowlevel.create_green_event()
    gevent.spawn_later(0.01, event.set)
    return event.wait(timeout=5)  # switches to the hub meanwhile


greenlet = gevent.spawn(in_a_greenlet)
greenlet.join()
assert greenlet.value is True
print("ok")
