/* SPDX-License-Identifier: MIT */

/*
 * The running asyncio loop of this thread, read where asyncio keeps it.
 *
 * On CPython 3.8 to 3.11, asyncio._get_running_loop() makes a getpid()
 * system call on every call (to ignore a loop inherited through fork()),
 * which costs more than all the rest of an uncontended lock acquire. The
 * C part of asyncio there keeps the running loop in a small holder object
 * in the thread state dict; this reads the holder directly and compares
 * its pid with the one the caller keeps up to date across fork().
 *
 * aiologic_peek_running_loop() returns a borrowed reference to the loop,
 * Py_None when asyncio runs no loop in this thread, or NULL (no error
 * set) when it cannot tell: no holder yet, an unexpected object, another
 * Python version. The caller then asks asyncio itself.
 */

#ifndef AIOLOGIC_RUNNING_LOOP_H
#define AIOLOGIC_RUNNING_LOOP_H

#include <Python.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030C0000 && !defined(PYPY_VERSION) \
    && !defined(Py_GIL_DISABLED)

/* the layout of _asyncio's _RunningLoopHolder in these versions */
typedef struct {
    PyObject_HEAD
    PyObject *rl_loop;
#if defined(HAVE_GETPID) && !defined(MS_WINDOWS)
    pid_t rl_pid;
#endif
} aiologic_running_loop_holder;

static PyObject *aiologic_running_loop_key = NULL;

static PyObject *
aiologic_peek_running_loop(long pid)
{
    PyObject *state, *holder;

    if (aiologic_running_loop_key == NULL) {
        aiologic_running_loop_key =
            PyUnicode_InternFromString("__asyncio_running_event_loop__");
        if (aiologic_running_loop_key == NULL) {
            PyErr_Clear();
            return NULL;
        }
    }
    state = PyThreadState_GetDict();
    if (state == NULL) {
        return NULL;
    }
    holder = PyDict_GetItem(state, aiologic_running_loop_key);
    if (holder == NULL
        || strcmp(Py_TYPE(holder)->tp_name, "_RunningLoopHolder") != 0
        || Py_TYPE(holder)->tp_basicsize
               != sizeof(aiologic_running_loop_holder)) {
        return NULL;
    }
#if defined(HAVE_GETPID) && !defined(MS_WINDOWS)
    if (((aiologic_running_loop_holder *)holder)->rl_pid != (pid_t)pid) {
        return Py_None;  /* inherited through fork(): not running here */
    }
#endif
    return ((aiologic_running_loop_holder *)holder)->rl_loop;
}

#else

static PyObject *
aiologic_peek_running_loop(long pid)
{
    (void)pid;
    return NULL;  /* asyncio._get_running_loop() is cheap here */
}

#endif

#endif /* AIOLOGIC_RUNNING_LOOP_H */
