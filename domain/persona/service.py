import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customer.models import Customer, CustomerPersona
from domain.errors import ValidationError
from domain.journey.models import Journey
from domain.lookup import ensure_name_free, get_in_workspace
from domain.metrics import fold, progress_rows
from domain.observation.models import Observation
from domain.persona.models import Persona
from domain.pg import connection_of
from domain.validation import (
    TEXT_MAX,
    UNSET,
    Unset,
    optional_text,
    required_text,
    storable_json,
)

LIST_ITEMS_MAX = 50


def _items(values: list[str] | None, *, field: str, label: str) -> list[str]:
    items = [optional_text(v, field=field, label=label, max_length=500) for v in values or []]
    items = [item for item in items if item]
    if len(items) > LIST_ITEMS_MAX:
        raise ValidationError(f"At most {LIST_ITEMS_MAX} {label.lower()}s.", field=field)
    return items


def _attributes(value: dict[str, Any] | None) -> dict[str, Any]:
    if value is not None and not isinstance(value, dict):
        raise ValidationError(
            'Attributes must be an object of names and values, e.g. {"age": "30-45"}.',
            field="attributes",
        )
    attributes = dict(value or {})
    if len(attributes) > LIST_ITEMS_MAX:
        raise ValidationError(f"At most {LIST_ITEMS_MAX} attributes.", field="attributes")
    return storable_json(attributes, field="attributes", label="The attributes")


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, persona_id: uuid.UUID) -> Persona:
    return await get_in_workspace(
        session,
        Persona,
        workspace_id=workspace_id,
        id=persona_id,
        field="personaId",
        label="persona",
    )


async def list_all(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Persona]:
    return list(
        await session.scalars(
            select(Persona).where(Persona.workspace_id == workspace_id).order_by(Persona.name)
        )
    )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    description: str = "",
    goals: list[str] | None = None,
    needs: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Persona:
    """Create a customer segment such as "budget-conscious shopper"."""
    name = required_text(name, field="name", label="Persona name")
    await ensure_name_free(session, Persona, workspace_id=workspace_id, name=name, label="persona")
    persona = Persona(
        workspace_id=workspace_id,
        name=name,
        description=optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        ),
        goals=_items(goals, field="goals", label="Goal"),
        needs=_items(needs, field="needs", label="Need"),
        attributes=_attributes(attributes),
    )
    session.add(persona)
    await session.flush()
    return persona


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    persona_id: uuid.UUID,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    goals: list[str] | Unset = UNSET,
    needs: list[str] | Unset = UNSET,
    attributes: dict[str, Any] | Unset = UNSET,
) -> Persona:
    persona = await get(session, workspace_id=workspace_id, persona_id=persona_id)
    if not isinstance(name, Unset):
        name = required_text(name, field="name", label="Persona name")
        await ensure_name_free(
            session,
            Persona,
            workspace_id=workspace_id,
            name=name,
            label="persona",
            exclude=persona.id,
        )
        persona.name = name
    if not isinstance(description, Unset):
        persona.description = optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        )
    if not isinstance(goals, Unset):
        persona.goals = _items(goals, field="goals", label="Goal")
    if not isinstance(needs, Unset):
        persona.needs = _items(needs, field="needs", label="Need")
    if not isinstance(attributes, Unset):
        persona.attributes = _attributes(attributes)
    await session.flush()
    return persona


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, persona_id: uuid.UUID) -> None:
    """Delete a persona; journeys drawn for it become journeys for all customers, customers
    who had it have none, and observations about it are about all customers.

    Holds the workspace's fold lock (after folding what is pending), so that no fold names the
    persona while its references are cleared: no foreign key guards them (migration 0024)."""
    persona = await get(session, workspace_id=workspace_id, persona_id=persona_id)
    await fold.catch_up(session, workspace_id=workspace_id, lock=True)
    await progress_rows.forget_persona(await connection_of(session), workspace_id, persona.id)
    for model in (Journey, Customer, CustomerPersona, Observation):
        await session.execute(
            sa.update(model)
            .where(model.workspace_id == workspace_id, model.persona_id == persona.id)
            .values(persona_id=None)
        )
    await session.execute(
        sa.update(Customer)
        .where(Customer.workspace_id == workspace_id, Customer.earlier_persona_id == persona.id)
        .values(earlier_persona_id=None)
    )
    await session.delete(persona)
    await session.flush()
