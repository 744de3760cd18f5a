"""Per-request DataLoaders: every list a query walks is fetched in one batched statement.

Each batch runs in a short unit of work of its own, so loaders may run concurrently and no
connection stays checked out while a response is written or a subscription waits. A whole
journey map (journeys → stages → touchpoints → owner teams and observation counts) costs one
statement per level, however big the journey is.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from domain.action import service as action_service
from domain.action.models import Action as ActionRow
from domain.alert import service as alert_service
from domain.alert.models import Alert as AlertRow
from domain.alert_rule import service as alert_rule_service
from domain.alert_rule.models import AlertRule as AlertRuleRow
from domain.errors import DomainError
from domain.journey.models import Journey as JourneyRow
from domain.lookup import get_many_in_workspace
from domain.mention import service as mention_service
from domain.observation import service as observation_service
from domain.observation.models import Observation as ObservationRow
from domain.persona.models import Persona as PersonaRow
from domain.stage import service as stage_service
from domain.stage.models import Stage as StageRow
from domain.team.models import Team as TeamRow
from domain.touchpoint import service as touchpoint_service
from domain.touchpoint.models import Touchpoint as TouchpointRow
from domain.unit_of_work import Transactions
from graphql_api.types.action import Action, ActionActivity
from graphql_api.types.alert import Alert, AlertActivity
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.journey import Journey
from graphql_api.types.observation import Mention, Observation
from graphql_api.types.persona import Persona
from graphql_api.types.stage import Stage
from graphql_api.types.team import Team
from graphql_api.types.touchpoint import Touchpoint

K = uuid.UUID
V = TypeVar("V")
Key = TypeVar("Key")
Batch = Callable[[AsyncSession, uuid.UUID, list[K]], Awaitable[dict[K, Any]]]


class Loader(DataLoader[Key, V]):
    """A DataLoader each resolver awaits through a shield of its own.

    Resolvers asking for the same key await one future (the load cached for the request), and
    cancelling a task cancels the future it awaits. graphql-core cancels the other fields of a
    parent when one of them fails: unshielded, one cancelled field cancelled the load under
    every other field waiting for it, which then failed with CancelledError. Shielded, the
    load runs on and a cancelled field only stops waiting."""

    def load(self, key: Key) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


class Loaders:
    def __init__(self, transaction: Transactions, workspace_id: uuid.UUID, *, cache: bool) -> None:
        self._transaction = transaction
        self._workspace_id = workspace_id
        self._cache = cache

        self.journey = self._by_id(JourneyRow, Journey.from_row)
        self.stage = self._by_id(StageRow, Stage.from_row)
        self.touchpoint = self._by_id(TouchpointRow, Touchpoint.from_row)
        self.team = self._by_id(TeamRow, Team.from_row)
        self.persona = self._by_id(PersonaRow, Persona.from_row)
        self.observation = self._by_id(ObservationRow, Observation.from_row)
        self.action = self._by_id(ActionRow, Action.from_row)
        self.alert_rule = self._by_id(AlertRuleRow, AlertRule.from_row)
        self.alert = self._by_id(AlertRow, Alert.from_row)

        self.stages_by_journey = self._grouped(
            lambda s, ws, ids: stage_service.list_for_journeys(s, workspace_id=ws, journey_ids=ids),
            Stage.from_row,
        )
        self.touchpoints_by_stage = self._grouped(
            lambda s, ws, ids: touchpoint_service.list_for_stages(
                s, workspace_id=ws, stage_ids=ids
            ),
            Touchpoint.from_row,
        )
        self.actions_by_journey = self._grouped(
            lambda s, ws, ids: action_service.list_for_journeys(
                s, workspace_id=ws, journey_ids=ids
            ),
            Action.from_row,
        )
        self.alert_rules_by_journey = self._grouped(
            lambda s, ws, ids: alert_rule_service.list_for_journeys(
                s, workspace_id=ws, journey_ids=ids
            ),
            AlertRule.from_row,
        )
        self.open_alerts_by_journey = self._grouped(
            lambda s, ws, ids: alert_service.unresolved_for_journeys(
                s, workspace_id=ws, journey_ids=ids
            ),
            Alert.from_row,
        )
        self.activity_by_alert = self._grouped(
            lambda s, ws, ids: alert_service.activity_for_alerts(s, workspace_id=ws, alert_ids=ids),
            AlertActivity.from_row,
        )
        self.activity_by_action = self._grouped(
            lambda s, ws, ids: action_service.activity_for_actions(
                s, workspace_id=ws, action_ids=ids
            ),
            ActionActivity.from_row,
        )
        self.observation_ids_by_action = self._loader(
            lambda s, ws, ids: action_service.observation_ids_for_actions(
                s, workspace_id=ws, action_ids=ids
            ),
            default=list,
        )
        self.mentions_by_observation = self._grouped(
            lambda s, ws, ids: mention_service.of_observations(
                s, workspace_id=ws, observation_ids=ids
            ),
            Mention.from_row,
        )
        self.raised = self._loader(
            lambda s, ws, ids: mention_service.raised(s, workspace_id=ws, observation_ids=ids)
        )
        self.first_observation_pages = Loader(load_fn=self._first_pages, cache=cache)
        self.observation_count = self._loader(
            lambda s, ws, ids: observation_service.count_by_touchpoint(
                s, workspace_id=ws, touchpoint_ids=ids
            ),
            default=int,
        )

    async def _first_pages(self, keys: list[tuple[K, int]]) -> list[Any]:
        """First observation pages keyed by (stage id, page size); a refused page size fails
        only the keys that asked for it."""
        by_size: dict[int, list[K]] = defaultdict(list)
        for stage_id, first in keys:
            by_size[first].append(stage_id)
        pages: dict[tuple[K, int], Any] = {}
        async with self._transaction() as session:
            for first, stage_ids in by_size.items():
                try:
                    found = await observation_service.first_pages_for_stages(
                        session, workspace_id=self._workspace_id, stage_ids=stage_ids, first=first
                    )
                except DomainError as error:
                    found = dict.fromkeys(stage_ids, error)
                pages.update({(stage_id, first): page for stage_id, page in found.items()})
        return [pages[key] for key in keys]

    def _loader(self, batch: Batch, *, default: Callable[[], Any] = lambda: None) -> Loader:
        async def load(keys: list[K]) -> Sequence[Any]:
            async with self._transaction() as session:
                found = await batch(session, self._workspace_id, keys)
            return [found.get(key, default()) for key in keys]

        return Loader(load_fn=load, cache=self._cache)

    def _by_id(self, model: type, convert: Callable[[Any], V]) -> Loader[K, V | None]:
        """Rows by id; an id of another workspace loads as None, like an unknown one."""

        async def batch(session: AsyncSession, workspace_id: uuid.UUID, ids: list[K]) -> dict:
            rows = await get_many_in_workspace(session, model, workspace_id=workspace_id, ids=ids)
            return {id: convert(row) for id, row in rows.items()}

        return self._loader(batch)

    def _grouped(self, batch: Batch, convert: Callable[[Any], V]) -> Loader[K, list[V]]:
        async def converted(session: AsyncSession, workspace_id: uuid.UUID, ids: list[K]) -> dict:
            grouped = await batch(session, workspace_id, ids)
            return {key: [convert(row) for row in rows] for key, rows in grouped.items()}

        return self._loader(converted, default=list)
