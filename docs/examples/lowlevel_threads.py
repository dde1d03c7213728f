# SPDX-License-Identifier: MIT

"""Identity, library detection, checkpoints and low-level events in
threads."""

import threading

from aiologic import lowlevel

library, ident = lowlevel.current_green_task_ident()
assert library == "threading" and ident == threading.get_ident()
assert lowlevel.current_green_library() == "threading"
print("core:", lowlevel.IMPLEMENTATION)  # "cython" or "python"

with lowlevel.enable_checkpoints():  # this thread only, for this block
    assert lowlevel.green_checkpoint_enabled()
    lowlevel.green_checkpoint()  # yields once to the other threads

# a one-shot event: one waiter, set() from anywhere, exactly once
event = lowlevel.create_green_event()
threading.Timer(0.01, event.set).start()
assert event.wait(timeout=5)
assert event.is_set() and not event.set()  # set once only

late = lowlevel.create_green_event()
assert not late.wait(timeout=0.01)  # timed out: cancelled for good
assert late.cancelled() and not late.set()
print("ok")
