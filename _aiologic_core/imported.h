/* SPDX-License-Identifier: MIT */

/*
 * "Is gevent (eventlet, trio) imported?", asked on every acquire and
 * release to know whether a plain thread or asyncio answers for the
 * current task.
 *
 * A lookup in sys.modules is cheap with the GIL, but on a free-threaded
 * CPython it costs as much as the rest of an uncontended `with lock:`.
 * From CPython 3.12 on, a dict watcher on sys.modules notes when one of
 * those names is added, so that a library never imported is known without
 * a lookup; once noted (or when no watcher can be had), a lookup answers
 * exactly, as before.
 *
 * The order makes it safe: the words start at 0, the watcher is installed,
 * the names already present are noted, and only then are the words
 * trusted. A name added at any moment after the watcher was installed is
 * noted by the callback, which runs before the addition takes effect.
 */

#ifndef AIOLOGIC_IMPORTED_H
#define AIOLOGIC_IMPORTED_H

#include <Python.h>

#include "atomics.h"

enum {
    AIOLOGIC_GEVENT = 0,
    AIOLOGIC_EVENTLET = 1,
    AIOLOGIC_TRIO = 2,
    AIOLOGIC_WATCHED_NAMES = 3
};

static const char *const aiologic_watched_names[AIOLOGIC_WATCHED_NAMES] = {
    "gevent",
    "eventlet",
    "trio",
};

/* 1 once the name may have been imported */
static Py_ssize_t aiologic_noted[AIOLOGIC_WATCHED_NAMES];

/* 1 once the words above can be trusted */
static Py_ssize_t aiologic_watching;

#if PY_VERSION_HEX >= 0x030C0000
static int
aiologic_modules_changed(PyDict_WatchEvent event, PyObject *dict,
                         PyObject *key, PyObject *new_value)
{
    int i;
    (void)dict;
    (void)new_value;
    if (event == PyDict_EVENT_CLONED) {
        /* filled from another dict at once: anything may be there */
        for (i = 0; i < AIOLOGIC_WATCHED_NAMES; i++) {
            aiologic_store(&aiologic_noted[i], 1);
        }
    } else if ((event == PyDict_EVENT_ADDED
                || event == PyDict_EVENT_MODIFIED)
               && key != NULL && PyUnicode_Check(key)) {
        for (i = 0; i < AIOLOGIC_WATCHED_NAMES; i++) {
            if (PyUnicode_CompareWithASCIIString(
                    key, aiologic_watched_names[i]) == 0) {
                aiologic_store(&aiologic_noted[i], 1);
            }
        }
    }
    return 0;
}
#endif

/* Call once at module initialisation; without a watcher, every question
 * is answered by a lookup. */
static int
aiologic_watch_modules(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *modules = PyImport_GetModuleDict();
    int watcher, i, found;
    watcher = PyDict_AddWatcher(aiologic_modules_changed);
    if (watcher < 0) {
        PyErr_Clear(); /* all watcher slots are taken */
        return 0;
    }
    if (PyDict_Watch(watcher, modules) < 0) {
        PyErr_Clear();
        PyDict_ClearWatcher(watcher);
        PyErr_Clear();
        return 0;
    }
    for (i = 0; i < AIOLOGIC_WATCHED_NAMES; i++) {
        found = PyMapping_HasKeyString(modules, aiologic_watched_names[i]);
        if (found) {
            aiologic_store(&aiologic_noted[i], 1);
        }
    }
    aiologic_store(&aiologic_watching, 1);
#endif
    return 0;
}

/* 0 when the name *which* is certainly not in sys.modules; 1 when only a
 * lookup can tell. */
static AIOLOGIC_INLINE int
aiologic_may_be_imported(int which)
{
    return !aiologic_load(&aiologic_watching)
           || aiologic_load(&aiologic_noted[which]) != 0;
}

#endif /* AIOLOGIC_IMPORTED_H */
