"""What an edit changed, told by object identity.

In a long-lived build the load stage hands out the very record of the last build for a file
whose bytes are unchanged, and the tables stage the very rows of such a record; nothing
changes a record or a row once made. So an item that is the same object at the same place as
in the last build is unchanged, found by comparing pointers rather than by reading it: at
10,000 records, the first read of each scattered object misses the cache, and a pass that
reads them all costs more than the work an edit needs. Whoever compares must hold the old
items alive until it is done, so that no new object can take an old one's identity.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import compress, count
from typing import Any


def same_items(new: Sequence[Any], old: Sequence[Any]) -> bool:
    """Whether `new` holds the very objects of `old`, in the same order."""
    return len(new) == len(old) and all(map(operator.is_, new, old))


def changed_at(new: Sequence[Any], old: Sequence[Any]) -> list[int] | None:
    """The places where `new` holds another object than `old`; None when their lengths
    differ (items added or removed move the others, so places tell nothing)."""
    if len(new) != len(old):
        return None
    return list(compress(count(), map(operator.is_not, new, old)))
