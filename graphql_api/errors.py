"""How failures reach clients.

Mutations return expected failures as data: a payload's `errors: [UserError!]!`. Queries raise
them as GraphQL errors carrying the same `code` and `field` in `extensions`. Anything else
(a bug, a lost database) is masked to "Unexpected error." for the client; the log keeps it.
"""

import contextlib
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode, name="ErrorCode", description="What kind of failure a UserError is."
)


@strawberry.type(description="Why a mutation did not do what was asked, in words to show.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str
    code: ErrorCode


def query_error(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value, "field": error.field})


@contextlib.contextmanager
def domain_errors_as_graphql_errors() -> Iterator[None]:
    """For query resolvers that pass user input (filters, page sizes) to the domain."""
    try:
        yield
    except DomainError as error:
        raise query_error(error) from error


def should_mask(error: GraphQLError) -> bool:
    """Mask errors that come from unexpected exceptions; keep the ones meant for clients
    (syntax and validation errors, bad enum values, permission and query errors)."""
    original = error.original_error
    # Strawberry has already logged the original with its traceback (logger strawberry.execution).
    return original is not None and not isinstance(original, GraphQLError)
