"""A valid `input` for every mutation, on a seeded workspace, and every text field they take.

Hostile-input tests start from a valid input and spoil one field, so that the only thing wrong
with the request is the field under test.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLType,
)
from sqlalchemy import text

from domain.action import service as action_service
from graphql_api.ids import encode
from graphql_api.schema import schema
from tests.support import factories

_numbers = itertools.count(1)


def fresh(prefix: str) -> str:
    """A name no other row has (names are unique per workspace)."""
    return f"{prefix} #{next(_numbers)}"


@dataclass
class World:
    """Global ids of one of everything a mutation can point at."""

    team: str
    persona: str
    journey: str
    stages: list[str]
    touchpoint: str
    observation: str
    action: str
    alert_rule: str
    alert: str


async def build_world(db, workspace) -> World:
    async with db.begin() as session:
        team = await factories.make_team(session, workspace)
        persona = await factories.make_persona(session, workspace)
        journey = await factories.make_journey(session, workspace, stages=("seen", "bought"))
        stages = await factories.stages_of(session, journey)
        touchpoint = await factories.make_touchpoint(session, stages[0], owner=team)
        observation = await factories.make_observation(session, touchpoint=touchpoint)
        action = await action_service.create(
            session, workspace_id=workspace.id, journey_id=journey.id, title="Show costs early"
        )
        rule = await factories.make_alert_rule(session, journey, stages[0])
        alert = await factories.make_alert(session, rule, stages[0])
    return World(
        team=encode("Team", team.id),
        persona=encode("Persona", persona.id),
        journey=encode("Journey", journey.id),
        stages=[encode("Stage", stage.id) for stage in stages],
        touchpoint=encode("Touchpoint", touchpoint.id),
        observation=encode("Observation", observation.id),
        action=encode("Action", action.id),
        alert_rule=encode("AlertRule", rule.id),
        alert=encode("Alert", alert.id),
    )


VALID_INPUTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "createTeam": lambda w: {"name": fresh("team")},
    "updateTeam": lambda w: {"id": w.team},
    "createPersona": lambda w: {"name": fresh("persona")},
    "updatePersona": lambda w: {"id": w.persona},
    "createJourney": lambda w: {"name": fresh("journey"), "stages": [{"name": "seen"}]},
    "updateJourney": lambda w: {"id": w.journey},
    "addStage": lambda w: {"journeyId": w.journey, "name": fresh("stage")},
    "updateStage": lambda w: {"id": w.stages[0]},
    "addTouchpoint": lambda w: {"stageId": w.stages[0], "name": fresh("tp"), "channel": "WEB"},
    "updateTouchpoint": lambda w: {"id": w.touchpoint},
    "logObservation": lambda w: {
        "touchpointId": w.touchpoint,
        "kind": "INSIGHT",
        "text": "people compare prices",
    },
    "mentionObservation": lambda w: {"observationId": w.observation},
    "createAction": lambda w: {"journeyId": w.journey, "title": fresh("action")},
    "updateAction": lambda w: {"id": w.action},
    "assignAlert": lambda w: {
        "id": w.alert,
        "assigneeSlackUserId": "U024BE7LH",
        "assigneeName": "Dana",
    },
}


def _unwrap(graphql_type: GraphQLType) -> tuple[GraphQLType, bool]:
    """The named type inside NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


@dataclass(frozen=True)
class TextField:
    mutation: str
    path: tuple[str, ...]  # within `input`; a list of input objects is entered at its first item
    is_list: bool
    is_json: bool

    def __str__(self) -> str:
        return f"{self.mutation}.{'.'.join(self.path)}"

    @property
    def error_field(self) -> str:
        """How a payload error names this field ("stages.0.name" inside a list of inputs)."""
        return ".0.".join(self.path)

    def spoiled(self, world: World, value: Any) -> dict[str, Any]:
        """The mutation's valid input with this field set to `value`."""
        data = VALID_INPUTS[self.mutation](world)
        target = data
        for name in self.path[:-1]:
            target = target[name][0] if isinstance(target[name], list) else target[name]
        target[self.path[-1]] = [value] if self.is_list else value
        return data


def _text_fields(
    mutation: str, input_type: GraphQLInputObjectType, path: tuple[str, ...]
) -> Iterator[TextField]:
    for name, field in input_type.fields.items():
        named, is_list = _unwrap(field.type)
        if isinstance(named, GraphQLInputObjectType):
            yield from _text_fields(mutation, named, (*path, name))
        elif isinstance(named, GraphQLScalarType) and named.name in ("String", "JSON"):
            yield TextField(mutation, (*path, name), is_list, named.name == "JSON")


def text_fields() -> list[TextField]:
    """Every String and JSON field of every mutation's input, from the schema itself."""
    mutations = schema._schema.mutation_type
    assert mutations is not None
    found = []
    for name, field in mutations.fields.items():
        input_type, _ = _unwrap(field.args["input"].type)
        assert isinstance(input_type, GraphQLInputObjectType)
        found.extend(_text_fields(name, input_type, ()))
    return found


def holding(field: TextField, text: str) -> Any:
    """`text` the way `field` takes it: as is, in a list, or as a JSON value and key."""
    return {"value": text, text: "key"} if field.is_json else text


async def stored_state(db) -> dict[str, str]:
    """A digest of every row of every table: equal before and after means nothing was written
    (or rolled back)."""
    async with db() as session:
        tables = await session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        )
        union = " UNION ALL ".join(
            f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM "{table}" t'
            for table in tables
        )
        return {table: digest for table, digest in await session.execute(text(union))}


def mutation_document(name: str) -> str:
    input_type = f"{name[0].upper()}{name[1:]}Input"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        "{ errors { field message code } } }"
    )
