"""Opaque global ids ("Journey:<uuid>" in base64, via strawberry's relay GlobalID).

Ids given as input are decoded here into the row's uuid. A malformed id, or one of another type,
is a validation error; a well-formed id of a row that does not exist *or belongs to another
workspace* is left to the domain, which answers both with the same NotFound.
"""

import uuid

from strawberry import ID
from strawberry.relay import GlobalID, GlobalIDValueError

from domain.errors import ErrorCode, ValidationError


def parse(value: str) -> tuple[str, uuid.UUID] | None:
    """(type name, uuid) of a global id, or None when it is not one this API gave out."""
    try:
        global_id = GlobalID.from_id(value)
        return global_id.type_name, uuid.UUID(global_id.node_id)
    except (GlobalIDValueError, ValueError, TypeError):
        return None


def decode(value: ID | str, type_name: str, *, field: str) -> uuid.UUID:
    """The uuid inside a global id of `type_name`, or a ValidationError naming `field`."""
    parsed = parse(value)
    if parsed is None or parsed[0] != type_name:
        raise ValidationError(
            f"“{str(value)[:60]}” is not a {type_name} id; pass the `id` of a {type_name}.",
            field=field,
            code=ErrorCode.INVALID,
        )
    return parsed[1]


def decode_optional(value: ID | str | None, type_name: str, *, field: str) -> uuid.UUID | None:
    return None if value is None else decode(value, type_name, field=field)


def decode_many(values: list[ID], type_name: str, *, field: str) -> list[uuid.UUID]:
    return [decode(value, type_name, field=field) for value in values]


def encode(type_name: str, id: uuid.UUID) -> ID:
    return ID(str(GlobalID(type_name=type_name, node_id=str(id))))
