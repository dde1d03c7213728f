# SPDX-License-Identifier: MIT

"""Wait/wake backends, one module per library, imported on first use.

Each module defines the event classes bound to its library: ``GreenEvent``
in the green ones (threading, gevent, eventlet), ``AsyncEvent`` in the
async ones (asyncio, trio).
"""
