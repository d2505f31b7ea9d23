"""A Jinja environment for one build: templates looked up, given a context and escaped cheaply.

A cold build renders tens of thousands of pages, each with several includes, and Jinja pays
for every one: `get_template` goes through a locked LRU cache, and every new context
iterates the template's globals, a ChainMap over the environment's, which is slow to
iterate. With no auto-reload and globals set once before the first template is loaded, a
plain dict of each does the same job. Every value a page outputs is escaped the same way
as before, without a Markup object made for each.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from types import CodeType
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup, escape

try:  # MarkupSafe 3: the escaped text as str, without the Markup around it
    from markupsafe import _escape_inner as escape_text
except ImportError:  # pragma: no cover - MarkupSafe 2
    escape_text = escape


def output_escape(value: Any) -> Any:
    """What a template writes for `{{ value }}`: text escaped, markup as it is.

    Compiled templates call `escape` on every value they output and join the results as
    text. markupsafe's escape wraps each result in a new Markup through a Python-level
    constructor; for the join the escaped text itself is enough, and markup (the output of
    the site's filters) is already escaped. A plain number (counts: `|length`) has nothing to
    escape. Anything else goes through markupsafe."""
    kind = type(value)
    if kind is str:
        return escape_text(value)
    if kind is Markup:
        return value
    if kind is int or kind is float:
        return str(value)
    return escape(value)


class BuildTemplate(Template):
    """A template whose output escaping is `output_escape`."""

    @classmethod
    def from_code(cls, environment: Environment, code: CodeType,
                  globals: MutableMapping[str, Any],
                  uptodate: Callable[[], bool] | None = None) -> Template:
        namespace: dict[str, Any] = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)
        namespace["escape"] = output_escape  # the name the compiled code looks up
        template = cls._from_namespace(environment, namespace, globals)
        template._uptodate = uptodate
        return template


# What `getattr` finds on a plain dict: its methods and the attributes of every object.
DICT_ATTRIBUTES = frozenset(dir(dict))


class BuildEnvironment(Environment):
    """An Environment whose loaded templates never change for its lifetime (auto_reload off),
    whose globals are not changed after the first template is loaded, and whose join_path is
    Jinja's own (a name means the same template whichever template names it)."""

    def __init__(self, **options: Any) -> None:
        options["auto_reload"] = False
        super().__init__(**options)
        self._loaded: dict[str, Template] = {}
        self.template_class = BuildTemplate

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

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template, as Jinja looks it up: the attribute, else the item.

        A plain dict (a record's `ref`) has no attribute but its class's, so its item is
        looked up without first raising and catching an AttributeError."""
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)
