"""What every mutation shares: one transaction per use case, DomainErrors as payload errors."""

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DomainError
from domain.validation import UNSET
from graphql_api import ids
from graphql_api.auth import CanWrite
from graphql_api.context import Info
from graphql_api.errors import UserError

T = TypeVar("T")

write_mutation = functools.partial(strawberry.mutation, permission_classes=[CanWrite])


async def in_transaction(
    info: Info,
    use_case: Callable[[AsyncSession, uuid.UUID], Awaitable[T]],
    *,
    id_field: str | None = None,
) -> tuple[T | None, list[UserError]]:
    """Run `use_case(session, workspace_id)` in its own unit of work (domain.unit_of_work):
    committed when it returns, rolled back when it raises. A DomainError (a lost race too)
    becomes the payload's errors.

    `id_field` is the domain's name (e.g. "teamId") for what the input calls `id`."""
    context = info.context
    try:
        async with context.runtime.transaction() as session:
            result = await use_case(session, context.workspace_id)
    except DomainError as error:
        field = "id" if id_field is not None and error.field == id_field else error.field
        return None, [UserError(field=field, message=error.message, code=error.code)]
    context.forget_loaded()
    return result, []


def given(value: Any) -> Any:
    """An input field the client left out means "leave as is" to the domain."""
    return UNSET if value is strawberry.UNSET else value


def given_id(value: Any, type_name: str, *, field: str) -> Any:
    """Like `given`, for an id that may also be null ("clear it")."""
    if value is strawberry.UNSET or value is None:
        return given(value)
    return ids.decode(value, type_name, field=field)


@strawberry.type(description="What a delete mutation did.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The id of what was deleted; null when nothing was."
    )
    errors: list[UserError]
