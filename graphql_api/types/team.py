import uuid

import strawberry
from strawberry import relay

from domain.team.models import Team as TeamRow


@strawberry.type(description="Sales, support, product, marketing…, with its Slack channel.")
class Team(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str
    slack_channel_id: str | None

    @classmethod
    def from_row(cls, row: TeamRow) -> "Team":
        return cls(id=row.id, name=row.name, slack_channel_id=row.slack_channel_id)
