"""A broken template is a problem at its file and line, like a broken record, never a traceback."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2

from site_gen.problems import Problem, ProblemsFound
from site_gen.schemas import DEFAULTS

TEMPLATE_SUFFIXES = (".html", ".xml", ".txt")


def _where(project: Path, filename: str | None) -> str:
    """The template's path as an editor knows it: in the project, or in site-gen's theme."""
    if not filename:
        return "templates"
    path = Path(filename).resolve()
    for base, shown in ((project.resolve(), ""), (DEFAULTS.resolve(), "<site-gen>/")):
        if path.is_relative_to(base):
            return shown + path.relative_to(base).as_posix()
    return path.name


def template_problem(error: jinja2.TemplateError, project: Path) -> Problem:
    """Locate a template error: the syntax error's line, else the template line that ran."""
    filename, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    if not isinstance(error, jinja2.TemplateSyntaxError):
        frames = [f for f in traceback.extract_tb(error.__traceback__)
                  if f.filename.endswith(TEMPLATE_SUFFIXES)]
        if frames:
            filename, line = frames[-1].filename, frames[-1].lineno
    message = " ".join(str(error.message or type(error).__name__).split())
    if isinstance(error, jinja2.TemplateNotFound):
        message = f"no template named {message}"
    return Problem(_where(project, filename), line or 1, 1, "template",
                   f"the template cannot be rendered: {message}")


@contextmanager
def template_problems(project: Path) -> Iterator[None]:
    """Turn a template error raised inside the block into ProblemsFound."""
    try:
        yield
    except jinja2.TemplateError as error:
        raise ProblemsFound([template_problem(error, project)]) from None
