"""Problems are values: every checking stage returns a list of them instead of raising."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True, slots=True)
class Pos:
    """Where something was written: a path relative to the project, 1-based line and column.

    Every field of every record keeps one (millions at 100,000 records): slots halve them."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the project, located in the file an editor has to change."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "error"

    @classmethod
    def at(cls, pos: Pos, code: str, message: str) -> Problem:
        return cls(pos.path, pos.line, pos.col, code, message)

    def text(self) -> str:
        """One line per problem, even when the message quotes a value with line breaks."""
        return (f"{_one_line(self.path)}:{self.line}:{self.col}: "
                f"{self.severity}[{self.code}]: {_one_line(self.message)}")

    def github(self) -> str:
        message = _github_escape(f"[{self.code}] {self.message}")
        path = _github_escape(self.path, prop=True)
        return f"::{self.severity} file={path},line={self.line},col={self.col}::{message}"


def _one_line(value: str) -> str:
    return value.replace("\r", "\\r").replace("\n", "\\n")


def _github_escape(value: str, prop: bool = False) -> str:
    """Escape a workflow-command value so that content cannot inject commands."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


class ProblemsFound(Exception):
    """Raised by a pipeline that cannot go on; carries every problem collected so far."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any problem is an error (a warning alone stops nothing)."""
    return any(p.severity == "error" for p in problems)


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Sort problems by file and position and drop exact repeats, so output is stable."""
    return sorted(set(problems))


def summary(problems: list[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    files = len({p.path for p in problems})
    noun = "error" if errors == 1 else "errors"
    where = "file" if files == 1 else "files"
    return f"{errors} {noun} in {files} {where}"


def format_problems(problems: list[Problem], fmt: str) -> str:
    """Render problems for the terminal (`text`), GitHub Actions (`github`) or tools (`json`)."""
    if fmt == "json":
        return json.dumps(
            {"problems": [asdict(p) for p in problems], "count": len(problems)},
            ensure_ascii=False,
            indent=2,
        )
    lines = [p.github() if fmt == "github" else p.text() for p in problems]
    if problems:
        lines.append(summary(problems))
    return "\n".join(lines)
