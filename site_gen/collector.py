"""The cyclic garbage collector during a build's stages.

A build keeps hundreds of thousands of objects alive (records, rows, the site model) and
makes few reference cycles; each full pass of the collector would walk all of them again,
longer the more records there are. Stages that make many long-lived objects pause it;
stages that make much short-lived garbage leave it on but freeze what already exists.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off, and back as it was after (nesting is fine, on one thread: the
    data thread of a long-lived build uses frozen() only)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_depth = [0]  # frozen() blocks open: gc.freeze does not nest, so the last one out unfreezes
_depth_lock = threading.Lock()  # a long-lived build's data stage opens one on a thread


@contextmanager
def frozen() -> Iterator[None]:
    """The collector kept off every object alive now, still collecting what comes after.
    Within another such block (the data stage runs within the render stage's, or beside it on
    a thread) the objects made since are frozen too, and all stay frozen until the last block
    open ends."""
    with _depth_lock:
        gc.freeze()
        _depth[0] += 1
    try:
        yield
    finally:
        with _depth_lock:
            _depth[0] -= 1
            if _depth[0] == 0:
                gc.unfreeze()
