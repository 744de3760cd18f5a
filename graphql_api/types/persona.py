import uuid

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain.persona.models import Persona as PersonaRow


@strawberry.type(description="A customer segment, e.g. “budget-conscious shopper”.")
class Persona(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str
    description: str
    goals: list[str]
    needs: list[str]
    attributes: JSON

    @classmethod
    def from_row(cls, row: PersonaRow) -> "Persona":
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            goals=list(row.goals),
            needs=list(row.needs),
            attributes=dict(row.attributes),
        )
