"""The foreign keys that the check stage proves, which Frictionless need not look up again.

To check a foreign key, Frictionless reads the whole table it points to, once per key: at
100,000 records that is more rows read than the package has, about a third of the
validation. The check stage already proves every single-field reference to a collection's
id, and reports each broken one at the very position Frictionless would (the field's value,
the list item, or the record's id), where the gather keeps the first problem only.
"""

from __future__ import annotations

from typing import Any

from site_gen.records import COLLECTIONS
from site_gen.schemas import Catalog, TableSpec


def _target(key: Any) -> tuple[str, str] | None:
    """The field and collection of a foreign key from one field to a collection's id."""
    if not isinstance(key, dict):
        return None
    fields, reference = key.get("fields"), key.get("reference")
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or len(fields) != 1 or not isinstance(reference, dict):
        return None
    resource, to = reference.get("resource"), reference.get("fields")
    if resource not in COLLECTIONS or to not in ("id", ["id"]):
        return None
    return fields[0], resource


def _proven(spec: TableSpec, catalog: Catalog, key: Any) -> bool:
    target = _target(key)
    if target is None:
        return False
    name, resource = target
    link = spec.link
    if link is None:
        # check_value: a text value is looked up among the ids, any other is a type problem.
        field = spec.field(name)
        return spec.name in COLLECTIONS and field is not None and not field.derived \
            and field.type == "string" and not field.partial_date \
            and field.reference == resource \
            and catalog.record_fields(spec.name).get(name) is field
    if catalog.record_fields(link.collection).get(link.field) != link:
        return False
    if name == link.value:  # check_list: each text item is looked up among the ids
        return resource == link.reference
    # The key is the record's id, or "" where the id is not text, which the check of ids
    # reports at the id (or the record, when it has none).
    return name == link.key and resource == link.collection


def unproven_schema(spec: TableSpec, catalog: Catalog) -> dict[str, Any]:
    """The table's schema without the foreign keys that the check stage proves."""
    keys = spec.schema.get("foreignKeys")
    if not isinstance(keys, list):
        return spec.schema
    left = [key for key in keys if not _proven(spec, catalog, key)]
    if len(left) == len(keys):
        return spec.schema
    schema = {k: v for k, v in spec.schema.items() if k != "foreignKeys"}
    if left:
        schema["foreignKeys"] = left
    return schema

