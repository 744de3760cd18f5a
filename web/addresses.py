"""Ids in the page's addresses: a row's UUID (as Slack links carry it) or its GraphQL global
id ("Type:<uuid>" in base64)."""

import base64
import uuid


def node_uuid(raw: str, type_name: str) -> uuid.UUID | None:
    """The UUID a path or query segment names for `type_name`, or None when it names none."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        pass
    try:
        found, _, node_id = base64.b64decode(raw, validate=True).decode().partition(":")
        return uuid.UUID(node_id) if found == type_name else None
    except ValueError:
        return None


def global_id(type_name: str, id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{id}".encode()).decode()
