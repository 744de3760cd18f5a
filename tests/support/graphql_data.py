"""What GraphQL tests point at: the global id clients see for a row, and one small seeded
journey map."""

from dataclasses import dataclass
from typing import Any

from graphql_api.ids import encode
from tests.support import factories


def gid(type_name: str, row) -> str:
    """The global id clients see for a domain row."""
    return encode(type_name, row.id)


@dataclass
class Seeded:
    """One small journey map: a team, a journey with three stages, two touchpoints."""

    team: Any
    journey: Any
    stages: list
    touchpoints: list
    observation: Any


async def seed(db, workspace) -> Seeded:
    async with db.begin() as session:
        team = await factories.make_team(session, workspace, name="support")
        journey = await factories.make_journey(
            session, workspace, name="Online shop", stages=("awareness", "decision", "retention")
        )
        stages = await factories.stages_of(session, journey)
        touchpoints = [
            await factories.make_touchpoint(
                session, stages[0], name="Social ad", channel="social", event_names=("Ad Clicked",)
            ),
            await factories.make_touchpoint(
                session,
                stages[1],
                name="Checkout",
                key="checkout",
                owner=team,
                event_names=("Order Completed",),
            ),
        ]
        observation = await factories.make_observation(
            session, touchpoint=touchpoints[1], team=team
        )
    return Seeded(team, journey, stages, touchpoints, observation)
