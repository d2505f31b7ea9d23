"""A Jinja environment for one build: templates are looked up and given their context cheaply.

A cold build renders tens of thousands of pages, each with several includes, and Jinja pays
for every one twice over: `get_template` goes through a locked LRU cache, and every new
context iterates the template's globals, a ChainMap over the environment's, which is slow to
iterate. With no auto-reload and globals set once before the first template is loaded, a
plain dict of each does the same job.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from jinja2 import Environment, Template


class BuildEnvironment(Environment):
    """An Environment whose loaded templates never change for its lifetime (auto_reload off),
    whose globals are not changed after the first template is loaded, and whose join_path is
    Jinja's own (a name means the same template whichever template names it)."""

    def __init__(self, **options: Any) -> None:
        options["auto_reload"] = False
        super().__init__(**options)
        self._loaded: dict[str, Template] = {}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict: copying it into each context is a dict copy."""
        return {**self.globals, **(d or {})}

    def get_template(self, name: str | Template, parent: str | None = None,
                     globals: MutableMapping[str, Any] | None = None) -> Template:
        """The compiled template by name, from a dict once it is loaded."""
        if globals is None and isinstance(name, str):
            found = self._loaded.get(name)
            if found is None:
                found = super().get_template(name, parent)
                self._loaded[name] = found
            return found
        return super().get_template(name, parent, globals)
