/* SPDX-License-Identifier: MIT */

/*
 * An awaitable that completes at once with a value, without yielding.
 *
 * `async with lock:` awaits what __aenter__ and __aexit__ return; when the
 * lock is taken (or released) without waiting, there is nothing left to
 * do, and a coroutine object would cost an allocation, a frame and a
 * StopIteration for nothing. This object is its own iterator: on Python
 * 3.10+ `await` asks am_send, which hands the value back directly; on
 * older versions tp_iternext raises StopIteration(value). It also has the
 * generator methods (send, throw, close) for code that drives awaitables
 * by hand.
 */

#ifndef AIOLOGIC_READY_H
#define AIOLOGIC_READY_H

#include <Python.h>

typedef struct {
    PyObject_HEAD
    PyObject *value;
} aiologic_ready;

static void
aiologic_ready_dealloc(PyObject *self)
{
    Py_XDECREF(((aiologic_ready *)self)->value);
    PyObject_Free(self);
}

static PyObject *
aiologic_ready_await(PyObject *self)
{
    Py_INCREF(self);
    return self;
}

static PyObject *
aiologic_ready_next(PyObject *self)
{
    PyObject *value = ((aiologic_ready *)self)->value;
    if (value != Py_None) {
        /* the values are never tuples or exceptions: no wrapping needed */
        PyErr_SetObject(PyExc_StopIteration, value);
    }
    return NULL;
}

#if PY_VERSION_HEX >= 0x030A0000
static PySendResult
aiologic_ready_send(PyObject *self, PyObject *arg, PyObject **result)
{
    (void)arg;
    *result = ((aiologic_ready *)self)->value;
    Py_INCREF(*result);
    return PYGEN_RETURN;
}
#endif

static PyObject *
aiologic_ready_send_method(PyObject *self, PyObject *arg)
{
    (void)arg;
    /* the values are never tuples or exceptions: no wrapping needed */
    PyErr_SetObject(PyExc_StopIteration, ((aiologic_ready *)self)->value);
    return NULL;
}

static PyObject *
aiologic_ready_throw(PyObject *self, PyObject *args)
{
    /* like a generator that has not started: the exception propagates */
    PyObject *type, *value = NULL, *tb = NULL;
    (void)self;
    if (!PyArg_UnpackTuple(args, "throw", 1, 3, &type, &value, &tb)) {
        return NULL;
    }
    if (PyExceptionInstance_Check(type)) {
        PyErr_SetObject((PyObject *)Py_TYPE(type), type);
    } else if (PyExceptionClass_Check(type)) {
        PyErr_SetObject(type, value != NULL ? value : Py_None);
    } else {
        PyErr_SetString(PyExc_TypeError,
                        "exceptions must derive from BaseException");
    }
    return NULL;
}

static PyObject *
aiologic_ready_close(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    Py_RETURN_NONE;
}

static PyMethodDef aiologic_ready_methods[] = {
    {"send", aiologic_ready_send_method, METH_O, NULL},
    {"throw", aiologic_ready_throw, METH_VARARGS, NULL},
    {"close", aiologic_ready_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyAsyncMethods aiologic_ready_as_async = {
    aiologic_ready_await, /* am_await */
    0,                    /* am_aiter */
    0,                    /* am_anext */
#if PY_VERSION_HEX >= 0x030A0000
    aiologic_ready_send, /* am_send */
#endif
};

static PyTypeObject aiologic_ready_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    "aiologic._aiologic_core.ready", /* tp_name */
    sizeof(aiologic_ready),         /* tp_basicsize */
};

/* Call once at module initialisation. */
static int
aiologic_ready_init(void)
{
    aiologic_ready_type.tp_dealloc = aiologic_ready_dealloc;
    aiologic_ready_type.tp_as_async = &aiologic_ready_as_async;
    aiologic_ready_type.tp_iter = PyObject_SelfIter;
    aiologic_ready_type.tp_iternext = aiologic_ready_next;
    aiologic_ready_type.tp_methods = aiologic_ready_methods;
    aiologic_ready_type.tp_flags = Py_TPFLAGS_DEFAULT;
#ifdef Py_TPFLAGS_HAVE_AM_SEND
    aiologic_ready_type.tp_flags |= Py_TPFLAGS_HAVE_AM_SEND;
#endif
    aiologic_ready_type.tp_doc =
        "An awaitable that completes at once with a value.";
    return PyType_Ready(&aiologic_ready_type);
}

/* A new reference to an awaitable completing with *value*. */
static PyObject *
aiologic_ready_new(PyObject *value)
{
    aiologic_ready *self = PyObject_New(aiologic_ready, &aiologic_ready_type);
    if (self == NULL) {
        return NULL;
    }
    Py_INCREF(value);
    self->value = value;
    return (PyObject *)self;
}

#endif /* AIOLOGIC_READY_H */
