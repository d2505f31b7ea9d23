"""The site model of this build: the last one updated in place when a long-lived builder's
edit allows it (site_model_update), else one built from nothing."""

from __future__ import annotations

from site_gen.memo import Memo
from site_gen.render_scope import Before, LastRender, cards_of, old_side, usable
from site_gen.site_model import SiteModel, build_model
from site_gen.site_model_update import apply_changes, find_changes
from site_gen.validate import Gathered


def next_model(gathered: Gathered, last: LastRender | None, memo: Memo | None,
               fingerprint: str) -> tuple[SiteModel, Before | None]:
    """The model to render, and, when it is the last one updated in place, the cards and
    pages that showed the changed records before (the update leaves no other trace of them).

    The cards that show a changed record, in the last model or this one, lose their markup:
    each record outside them keeps its own, made from the same records as now."""
    assert gathered.config is not None and gathered.catalog is not None
    if last is not None and usable(last, memo, fingerprint):
        model = last.model
        changes = find_changes(model, gathered.tables, gathered.catalog)
        if changes is not None:
            # From here the last model is this build's: should this build fail, the next
            # one must not take it for the one the memo's keys were made from.
            last.memo = None
            before = old_side(model, changes.keys)
            apply_changes(model, changes, gathered.tables, gathered.catalog, gathered.config)
            before.cards |= cards_of(model, changes.keys)
            for collection, record_id in before.cards:
                entry = model.entries[collection].get(record_id)
                if entry is not None:
                    entry.rendered = {}
            return model, before
    return build_model(gathered.tables, gathered.catalog, gathered.config), None
