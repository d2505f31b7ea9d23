"""The theme: Jinja templates and static assets, the project's own overriding the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from site_gen import filters
from site_gen.jinja_env import BuildEnvironment
from site_gen.jsonld import ENCODE
from site_gen.schemas import DEFAULTS

DEFAULT_TEMPLATES = DEFAULTS / "templates"


def template_dirs(project: Path) -> list[Path]:
    own = project / "templates"
    dirs = [own] if own.is_dir() and own.resolve() != DEFAULT_TEMPLATES.resolve() else []
    return [*dirs, DEFAULT_TEMPLATES]


def script_json(value: Any) -> Markup:
    """JSON safe inside <script>: no `</script>`, `<!--`, U+2028 or U+2029 can break out."""
    text = ENCODE(value)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)


def relative_root(path: str) -> str:
    """The relative prefix from an output file back to the site root: "" or "../../"."""
    depth = path.count("/")
    return "../" * depth


def base_context(config: Any, path: str) -> dict[str, Any]:
    """What base.html needs on every page, whichever stage renders the page.

    `root` prefixes every internal link, so the site works under any base path; `canonical`
    is the page's absolute URL when the site has a base_url, else ""; `section` is the first
    folder of the path, for marking the current item of the navigation.
    """
    url = filters.url_of(path)
    return {
        "site": config,
        "root": relative_root(path),
        "path": path,
        "canonical": config.base_url + url if config.base_url else "",
        "section": path.split("/", 1)[0] if "/" in path else "",
    }


def make_env(project: Path) -> Environment:
    """One compiled environment per build: autoescape everywhere, undefined names are errors."""
    env = BuildEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(project)]),
        autoescape=True,  # every template, whatever its name: HTML, XML and text alike
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build, one compile: no stat() per include
    )
    env.filters["script_json"] = script_json
    filters.register(env)
    return env


def assets(project: Path) -> dict[str, bytes]:
    """Static files of the theme, keyed by their path in the output (assets/...)."""
    files: dict[str, bytes] = {}
    for base in reversed(template_dirs(project)):
        folder = base / "assets"
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                files["assets/" + path.relative_to(folder).as_posix()] = path.read_bytes()
    return files
