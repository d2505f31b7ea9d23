"""Work shared with forked processes, on Linux: loading, record pages, validation, data and
search.

Jinja renders in one thread at a time, and record pages are most of a cold build's render
stage. A forked child shares the site model, the compiled templates and the staging folder
without copying or pickling any of them (the collector is frozen while rendering, so the
pages stay shared); it renders every other record, writes its pages into the same staging
folder, and sends back through a pipe only what the parent must know: the paths it made, how
each file was staged and each page's key. It leaves with os._exit, so none of the parent's
clean-up (such as removing the staging folder on an error) runs twice. A one-off build
has a second child render the other half, so that its own heap, which the data stage then
starts from, does not grow with the pages.

Only a build with no keys from a previous one forks the record pages (a cold build, or the
first build of `site-gen serve`); an edit renders a handful of pages, where a fork would
cost more than it saves. Records the child rendered leave no components for the next build
to reuse; the next build renders them again when a page needs them. A one-off build of many
records also makes its search index in a child while it publishes the data (build.py), and
validates its package in a child (`Beside`) while it charts and renders (package.py), and
has a child read part of the record files while it reads the rest (load.py).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, Generic, TypeVar

from site_gen.memo import Memo
from site_gen.write import Staging

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent ends
MIN_ITEMS = 2000  # below this a fork (~10 ms, and pages copied as they are touched) is waste


def can_fork() -> bool:
    """Whether a second process can share the work: Linux, two cores or more, and not
    turned off (SITE_GEN_PROCESSES=1)."""
    return (sys.platform == "linux" and (os.cpu_count() or 1) > 1
            and os.environ.get("SITE_GEN_PROCESSES") != "1")


def worth_forking(count: int, memo: Memo | None) -> bool:
    return can_fork() and count >= MIN_ITEMS and (memo is None or not memo.previous)


def in_two(items: list[T], make: Callable[[T], list[str]],
           files: MutableMapping[str, bytes], memo: Memo | None,
           fork: bool | None = None, stay: bool = True,
           meanwhile: Callable[[], None] | None = None) -> list[str]:
    """Call `make` on every item, half of them in a forked child when that pays (or when
    `fork` says so); the paths made, those of the second half (every other item, from the
    second) last.

    With `stay` false, the first half is made in a second child too, and this process only
    takes the reports: what making half the record pages leaves in a process's heap (about
    260 MB at 100,000 records: the cards, and memory the allocator cannot give back) then
    never adds to this one, which goes on to the data stage. A one-off build asks for it.

    `meanwhile` is called here once while the children make their halves (after this
    process's own half, if it makes one), and after every item when no child is forked: a
    one-off build publishes its data then, on the core the children leave. If it raises,
    the children are ended and the error goes on.

    `make` puts its outputs into `files` (and their keys into `memo`) and returns their
    paths. If any process fails, the items are made again here, one after the other,
    from the first one that may have failed (the first if the first half failed, else the
    second half's first), so that the error raised is the one a single process meets first;
    if none is met (a child died of something else), the build fails all the same, since the
    child may have left files in the staging folder that nothing accounts for. When the
    system cannot fork (no memory or processes to spare), the items are made here."""
    forked = None
    if worth_forking(len(items), memo) if fork is None else fork and can_fork():
        forked = _forked(items, make, files, memo, stay, meanwhile)
    if forked is None:
        paths = [path for item in items for path in make(item)]
        if meanwhile is not None:
            meanwhile()
        return paths
    paths, failure, again = forked
    if failure:
        for item in items[again:]:
            make(item)
        raise RuntimeError(failure)
    return paths


def _forked(items: list[T], make: Callable[[T], list[str]], files: MutableMapping[str, bytes],
            memo: Memo | None, stay: bool, meanwhile: Callable[[], None] | None
            ) -> tuple[list[str], str, int] | None:
    """Make the items in two processes (or two children): the paths made, what went wrong
    ("" if nothing did) and the first item to make again if anything did; None if no
    process was forked."""
    halves = (items[0::2], items[1::2])
    children: dict[int, tuple[int, int]] = {}  # the half's first item -> (pid, read end)
    for first in ((1,) if stay else (1, 0)):
        child = _spawn(halves[first], make, files, memo,
                       [read for _, read in children.values()])
        if child is None:  # the first half is then made here
            break
        children[first] = child
    if not children:
        return None
    paths: list[str] = []
    if 0 not in children:
        try:
            paths = [path for item in halves[0] for path in make(item)]
        except BaseException as error:
            _end(children)
            if isinstance(error, Exception):
                return [], f"making the files in two processes failed: {error}", 0
            raise
    try:
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        _end(children)
        raise
    failures: list[tuple[int, str]] = []
    waiting = dict(children)
    try:
        for first in sorted(children):
            report, status = _report(*waiting.pop(first))
            if not report:
                failures.append((first, "a second process making the files ended without a "
                                        f"report (wait status {status})"))
                continue
            outcome, made, staged, keys, kept = pickle.loads(report)
            if outcome == "error":
                failures.append((first, "a second process making the files failed"))
                continue
            if isinstance(files, Staging):
                files.adopt(staged)
            else:
                files.update(staged)
            if memo is not None:
                memo.current.update(keys)
                memo.kept.update(kept)
            paths += made
    except BaseException:  # interrupted: no child outlives this process's wait
        _end(waiting)
        raise
    if failures:
        first, failure = min(failures)
        return [], failure, first
    return paths, "", 0


def _report(pid: int, read: int) -> tuple[bytes, int]:
    """What the child wrote, once it has ended, and its wait status; no bytes unless it
    exited 0, which it does only once its report is whole. If the wait is interrupted, the
    child is killed and waited for."""
    try:
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    return (report if os.waitstatus_to_exitcode(status) == 0 else b""), status


def _end(children: dict[int, tuple[int, int]]) -> None:
    """Kill the children and wait for them, so that none writes on after the caller fails."""
    for pid, read in children.values():
        os.kill(pid, signal.SIGKILL)
        os.close(read)
    for pid, _ in children.values():
        os.waitpid(pid, 0)


def _spawn(items: list[T], make: Callable[[T], list[str]], files: MutableMapping[str, bytes],
           memo: Memo | None, others: list[int]) -> tuple[int, int] | None:
    """Fork a child that makes the items and reports on a pipe: (its pid, the pipe's read
    end), or None if the system cannot fork. `others` are the read ends of children forked
    before, which this one closes."""
    return _fork(lambda: _child(items, make, files, memo), others)


def _fork(report: Callable[[], bytes], others: Sequence[int] = ()) -> tuple[int, int] | None:
    """Fork a child that writes what `report` returns into a pipe and leaves: (its pid, the
    pipe's read end), or None if the system cannot fork. The child closes `others`."""
    read, write = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: whatever happens, it never returns into the caller
        code = 1
        try:
            _die_with(parent)
            for handle in (read, *others):
                os.close(handle)
            data = report()
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _die_with(parent: int) -> None:
    """Have the kernel end this child when the thread that forked it ends, as when the
    build is killed: an orphan would go on writing into a staging folder that a later build
    removes and makes again, and whose files it then publishes."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux's C library: nothing to ask
        return
    if os.getppid() != parent:  # the parent was gone before the request took hold
        os._exit(1)


def _child(items: list[T], make: Callable[[T], list[str]], files: MutableMapping[str, bytes],
           memo: Memo | None) -> bytes:
    """Make the items; the report says how each file was staged and each page's key, or on
    an error only that there was one (the parent makes everything again to find it)."""
    try:
        paths = [path for item in items for path in make(item)]
        made = [path for path in paths if path in files]
        staged: Any = (files.export(made) if isinstance(files, Staging)
                       else {path: files[path] for path in made})
        keys = {path: memo.current[path] for path in paths} if memo is not None else {}
        kept = [path for path in paths if memo is not None and path in memo.kept]
        return pickle.dumps(("done", paths, staged, keys, kept), pickle.HIGHEST_PROTOCOL)
    except BaseException:
        return pickle.dumps(("error", [], None, {}, []), pickle.HIGHEST_PROTOCOL)


class Beside(Generic[T]):
    """A call made in a forked child while this process goes on (`result` waits for it),
    or here when `result` is asked for if the system cannot fork (`forked` says which). Its
    value comes back pickled. If the child fails, the call is made again here, so that the
    error raised is the one the call meets: the call must not depend on anything this
    process changes in the meantime."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._child = _fork(lambda: _reported(call))
        self.forked = self._child is not None

    def result(self) -> T:
        child, self._child = self._child, None
        if child is not None:
            report, _ = _report(*child)
            if report:
                outcome, value = pickle.loads(report)
                if outcome == "done":
                    return value  # type: ignore[no-any-return]
        return self._call()

    def cancel(self) -> None:
        """End the child, if it is still there, without waiting for its value."""
        child, self._child = self._child, None
        if child is not None:
            _end({0: child})


def _reported(call: Callable[[], Any]) -> bytes:
    try:
        return pickle.dumps(("done", call()), pickle.HIGHEST_PROTOCOL)
    except BaseException:
        return pickle.dumps(("error", None), pickle.HIGHEST_PROTOCOL)
