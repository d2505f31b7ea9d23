"""Giving memory a build freed back to the system, where the C library allows it.

A forked process starts with the parent's resident pages counted as its own, and freed
blocks inside the C heap stay resident until the heap is trimmed. glibc's `malloc_trim`
returns every free page; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import cache


@cache
def _trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def give_back() -> None:
    """Return the free pages of the C heap to the system (a few milliseconds)."""
    trim = _trim()
    if trim is not None:
        trim(0)
