"""Record pages in two processes: a build that renders most of them forks once, on Linux.

Jinja renders in one thread at a time, and record pages are most of a cold build's render
stage. A forked child shares the site model, the compiled templates and the staging folder
without copying or pickling any of them (the collector is frozen while rendering, so the
pages stay shared); it renders every other record, writes its pages into the same staging
folder, and sends back through a pipe only what the parent must know: how each file was
staged and each page's key. It leaves with os._exit, so none of the parent's clean-up (such
as removing the staging folder on an error) runs twice.

Only a build with no keys from a previous one forks (a cold build, or the first build of
`site-gen serve`); an edit renders a handful of pages, where a fork would cost more than it
saves. Records the child rendered leave no components for the next build to reuse; the next
build renders them again when a page needs them.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

import jinja2

from site_gen.memo import Memo
from site_gen.render_errors import TEMPLATE_SUFFIXES
from site_gen.write import Staging

T = TypeVar("T")
MIN_ITEMS = 2000  # below this a fork (~10 ms, and pages copied as they are touched) is waste


def worth_forking(count: int, memo: Memo | None) -> bool:
    return (sys.platform == "linux" and (os.cpu_count() or 1) > 1 and count >= MIN_ITEMS
            and (memo is None or not memo.previous)
            and os.environ.get("SITE_GEN_PROCESSES") != "1")


def in_two(items: list[T], make: Callable[[T], list[str]],
           files: MutableMapping[str, bytes], memo: Memo | None) -> None:
    """Call `make` on every item, half of them in a forked child when that pays.

    `make` puts its outputs into `files` (and their keys into `memo`) and returns their
    paths. An error in either process is raised here, the child's as it was raised there."""
    if not worth_forking(len(items), memo):
        for item in items:
            make(item)
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        _child(items[1::2], make, files, memo, write)
    os.close(write)
    try:
        for item in items[0::2]:
            make(item)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.close(read)
        os.waitpid(pid, 0)
        raise
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not report:
        raise RuntimeError(f"the process rendering half of the record pages ended without a "
                           f"report (wait status {status})")
    outcome, staged, keys, kept = pickle.loads(report)
    if outcome == "error":
        raise staged
    if isinstance(files, Staging):
        files.adopt(staged)
    else:
        files.update(staged)
    if memo is not None:
        memo.current.update(keys)
        memo.kept.update(kept)


def _child(items: list[T], make: Callable[[T], list[str]], files: MutableMapping[str, bytes],
           memo: Memo | None, write: int) -> None:
    code = 0
    try:
        paths = [path for item in items for path in make(item)]
        made = [path for path in paths if path in files]
        staged: Any = (files.export(made) if isinstance(files, Staging)
                       else {path: files[path] for path in made})
        keys = {path: memo.current[path] for path in paths} if memo is not None else {}
        kept = [path for path in paths if memo is not None and path in memo.kept]
        report = pickle.dumps(("done", staged, keys, kept), pickle.HIGHEST_PROTOCOL)
    except BaseException as error:
        code = 1
        report = pickle.dumps(("error", _portable(error), {}, []), pickle.HIGHEST_PROTOCOL)
    try:
        with os.fdopen(write, "wb") as pipe:
            pipe.write(report)
    finally:
        os._exit(code)


def _portable(error: BaseException) -> BaseException:
    """The error as the parent can raise it: a template error keeps the template line that
    ran (its traceback does not cross the pipe); anything else keeps the child's traceback
    as a note."""
    if isinstance(error, jinja2.TemplateError) and not isinstance(
            error, jinja2.TemplateSyntaxError):
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename.endswith(TEMPLATE_SUFFIXES)]
        if frames:
            error.filename, error.lineno = frames[-1].filename, frames[-1].lineno  # type: ignore[attr-defined]
    else:
        error.add_note("".join(traceback.format_exception(error)))
    try:
        pickle.loads(pickle.dumps(error, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
