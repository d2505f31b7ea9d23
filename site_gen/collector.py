"""The cyclic garbage collector during a build's stages.

A build keeps hundreds of thousands of objects alive (records, rows, the site model) and
makes few reference cycles; each full pass of the collector would walk all of them again,
longer the more records there are. Stages that make many long-lived objects pause it;
stages that make much short-lived garbage leave it on but freeze what already exists.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off, and back as it was after (nesting is fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_depth = [0]  # frozen() blocks open: gc.freeze does not nest, so the outermost one unfreezes


@contextmanager
def frozen() -> Iterator[None]:
    """The collector kept off every object alive now, still collecting what comes after.
    Within another such block (the data stage runs within the render stage's) the objects
    made since are frozen too, and all stay frozen until the outer block ends."""
    gc.freeze()
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        if _depth[0] == 0:
            gc.unfreeze()
