# SPDX-License-Identifier: MIT

# Task identity and checkpoint decisions, cheap for the common cases.
#
# A task is ``(library, id)`` in Python. Here it is two C words: the
# library as a small number (its index in _LIBRARIES) and the id. The
# common cases are answered in C: a plain thread when neither gevent nor
# eventlet is imported, an asyncio task when trio is not imported and
# sniffio names no library. Everything else asks aiologic.lowlevel, the
# reference, and converts its answer.

import os as _os
import sys

from aiologic.lowlevel import _checkpoints, _identity, _libraries

cdef extern from "running_loop.h":
    PyObject *aiologic_peek_running_loop(long pid)

cdef extern from "imported.h":
    enum:
        AIOLOGIC_GEVENT
        AIOLOGIC_EVENTLET
        AIOLOGIC_TRIO
    int aiologic_watch_modules() except -1
    bint aiologic_may_be_imported(int which) noexcept

aiologic_watch_modules()

cdef extern from "Python.h":
    unsigned long PyThread_get_thread_ident()
    PyObject *PyImport_GetModuleDict()
    PyObject *PyDict_GetItemWithError(object mp, object key) except? NULL

cdef enum:
    _NO_TASK = 0
    _THREADING = 1
    _ASYNCIO = 4
    _TRIO = 5

# the index of a name is its number (0: no task)
cdef tuple _LIBRARIES = (
    None,
    "threading",
    "gevent",
    "eventlet",
    "asyncio",
    "trio",
    "curio",
)

cdef object _current_green_task_ident = _identity.current_green_task_ident
cdef object _current_async_task_ident = _identity.current_async_task_ident
cdef object _green_checkpoint = _checkpoints.green_checkpoint
cdef object _checkpoints_cvar = _checkpoints._checkpoints_cvar
cdef object _sniffio_cvar = _libraries._sniffio_cvar
cdef object _async_library_tlocal = _libraries.current_async_library_tlocal
# computed once at import from the environment, as in aiologic.lowlevel
cdef bint _ANY_GREEN_CHECKPOINTS = _checkpoints._ANY_GREEN_ENABLED
cdef bint _ANY_ASYNC_BUT_TRIO_CHECKPOINTS = (
    _checkpoints._ANY_ASYNC_BUT_TRIO_ENABLED
)
cdef bint _TRIO_CHECKPOINTS = _checkpoints._TRIO_CHECKPOINTS_ENABLED
cdef bint _ASYNCIO_CHECKPOINTS = _checkpoints._ASYNCIO_CHECKPOINTS_ENABLED
cdef object _async_checkpoint = _checkpoints.async_checkpoint

# for aiologic_peek_running_loop(): the pid that a loop running in this
# process has recorded
cdef long _pid = _os.getpid()


def _after_fork_in_child():
    global _pid
    _pid = _os.getpid()


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)


cdef inline bint _imported(int which, str name) except -1:
    # whether sys.modules holds *name* (imported.h numbers it *which*)
    if not aiologic_may_be_imported(which):
        return False
    return PyDict_Contains(<object>PyImport_GetModuleDict(), name)


cdef int _task_from_object(object task, Py_ssize_t *kind, size_t *ident) \
        except -1:
    # Convert a ``(library, id)`` tuple, or None, to two words.
    if task is None:
        kind[0] = _NO_TASK
        ident[0] = 0
        return 0
    library, value = task
    try:
        kind[0] = _LIBRARIES.index(library, 1)
    except ValueError:
        raise ValueError(f"unsupported library {library!r}") from None
    ident[0] = value
    return 0


cdef object _task_to_object(Py_ssize_t kind, size_t ident):
    if kind == _NO_TASK:
        return None
    return (_LIBRARIES[kind], ident)


cdef int _green_task(Py_ssize_t *kind, size_t *ident) except -1:
    # The current green task; see current_green_task_ident().
    if not _imported(AIOLOGIC_GEVENT, "gevent") and not _imported(
        AIOLOGIC_EVENTLET, "eventlet"
    ):
        # no hub can exist: a plain thread
        kind[0] = _THREADING
        ident[0] = PyThread_get_thread_ident()
        return 0
    return _task_from_object(_current_green_task_ident(), kind, ident)


cdef int _async_task(Py_ssize_t *kind, size_t *ident) except -1:
    # The current async task; see current_async_task_ident().
    cdef PyObject *events
    cdef PyObject *running
    cdef PyObject *task
    cdef object loop
    cdef object current
    cdef object current_tasks
    cdef object name
    if _imported(AIOLOGIC_TRIO, "trio"):
        # trio names itself in this thread-local while it runs
        name = getattr(_async_library_tlocal, "name", None)
        if name is not None:
            if name == "trio":
                current = _trio_current_task()
                kind[0] = _TRIO
                ident[0] = <size_t><PyObject *>current
                return 0
            return _task_from_object(_current_async_task_ident(), kind, ident)
    if _sniffio_cvar is None or get_value(_sniffio_cvar) is None:
        # only asyncio can be running (no asyncio module: no loop)
        events = PyDict_GetItemWithError(
            <object>PyImport_GetModuleDict(), "asyncio.events"
        )
        if events is not NULL:
            entry_points = _asyncio_entry_points
            if entry_points is None:
                entry_points = _find_asyncio_entry_points(<object>events)
            get_running_loop, current_tasks, current_task = entry_points
            running = aiologic_peek_running_loop(_pid)
            if running is NULL:
                loop = get_running_loop()
            else:
                loop = <object>running
            if loop is not None:
                kind[0] = _ASYNCIO
                if current_tasks is not None:
                    task = PyDict_GetItem(current_tasks, loop)
                    if task is NULL:
                        task = <PyObject *>None
                    ident[0] = <size_t>task
                else:
                    current = current_task(loop)
                    ident[0] = <size_t><PyObject *>current
                return 0
    return _task_from_object(_current_async_task_ident(), kind, ident)


# asyncio's own entry points, found once asyncio is imported: its
# _get_running_loop(), the dict of current tasks by loop that the C part
# of asyncio keeps up to Python 3.13 (or None), and current_task(). One
# tuple, so that a thread sees all three or none.
cdef object _asyncio_entry_points = None
cdef object _entry_points_guard = object()


cdef object _find_asyncio_entry_points(object events):
    global _asyncio_entry_points
    import asyncio.tasks

    current_tasks = getattr(asyncio.tasks, "_current_tasks", None)
    # Python 3.14 keeps the current task of a C task elsewhere
    if type(current_tasks) is not dict or sys.version_info >= (3, 14):
        current_tasks = None
    entry_points = (
        events._get_running_loop,
        current_tasks,
        asyncio.tasks.current_task,
    )
    with cython.critical_section(_entry_points_guard):
        if _asyncio_entry_points is None:
            _asyncio_entry_points = entry_points
        entry_points = _asyncio_entry_points
    return entry_points


cdef inline size_t _thread_ident() noexcept:
    return PyThread_get_thread_ident()


cdef int _green_checkpoint_if_enabled() except -1:
    # green_checkpoint(), deciding the common "disabled" case here
    if not _ANY_GREEN_CHECKPOINTS and get_value(_checkpoints_cvar) is None:
        return 0
    _green_checkpoint()
    return 0


cdef bint _async_checkpoint_may_yield() except -1:
    # False when async_checkpoint() would certainly not yield
    if get_value(_checkpoints_cvar) is not None:
        return True
    if _ANY_ASYNC_BUT_TRIO_CHECKPOINTS:
        return True
    return _TRIO_CHECKPOINTS and _imported(AIOLOGIC_TRIO, "trio")


cdef object _async_checkpoint_here():
    # What async_checkpoint() returns in the current task, or None when it
    # would not yield (trio being imported is not enough to ask the task)
    cdef Py_ssize_t kind
    cdef size_t ident
    if not _async_checkpoint_may_yield():
        return None
    _async_task(&kind, &ident)
    return _async_checkpoint_for(kind)


cdef object _async_checkpoint_for(Py_ssize_t kind):
    # What async_checkpoint() returns in a task of *kind*, or None when
    # it would not yield; trio's own checkpoint is taken directly.
    if get_value(_checkpoints_cvar) is None:
        if kind == _ASYNCIO and not _ASYNCIO_CHECKPOINTS:
            return None
        if kind == _TRIO:
            if not _TRIO_CHECKPOINTS:
                return None
            return _trio_entry_points()[1]()
    return _async_checkpoint()


# trio's current_task() and checkpoint(), found once trio runs; one tuple,
# so that a thread sees both or none
cdef object _trio_functions = None


cdef object _trio_entry_points():
    global _trio_functions
    functions = _trio_functions
    if functions is None:
        from trio.lowlevel import checkpoint, current_task

        functions = (current_task, checkpoint)
        with cython.critical_section(_entry_points_guard):
            if _trio_functions is None:
                _trio_functions = functions
            functions = _trio_functions
    return functions


cdef inline object _trio_current_task():
    return _trio_entry_points()[0]()
