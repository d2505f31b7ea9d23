"""Page chrome rendered once per distinct input: the header and footer of thousands of pages.

base.html shows the same header (the site title and the navigation with its current item)
on every page of a depth and section, and the same footer on every page of a depth. The
`fragment` filter renders such an include once per site and per the values it is given,
then returns the same markup for every page: `{{ "includes/site_header.html"|fragment(
root=root, current=...) }}`. The include sees `site` and those values only, so no value it
could show is left out of the key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def fragment_filter() -> Callable[..., Markup]:
    """A filter that renders an include once per site and keyword values, for one environment."""
    cache: dict[tuple[Hashable, ...], tuple[Any, Markup]] = {}

    @pass_context
    def fragment(context: Context, name: str, **values: Hashable) -> Markup:
        site = context["site"]
        # One entry per include and values: a later build's site replaces the last one's.
        key = (name, *values.items())
        hit = cache.get(key)
        if hit is None or hit[0] is not site:
            template = context.environment.get_template(name)
            # The include is an autoescaped template: its output is already safe markup.
            hit = (site, Markup(template.render(site=site, **values)))
            cache[key] = hit
        return hit[1]

    return fragment
