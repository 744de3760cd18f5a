"""`/journey`: acknowledge at once, then parse → one use case → render, answered through the
command's response_url (ephemeral unless asked to be public)."""

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.action_message import actions_message
from bot.commands import (
    AddAlertRule,
    Command,
    CreateAction,
    Help,
    OpenLogModal,
    QuickLog,
    RemoveAlertRule,
    SetTeam,
    ShowActions,
    ShowAlerts,
    ShowMap,
    ShowMetrics,
    ShowStage,
    Subscribe,
    Unsubscribe,
    parse,
)
from bot.listeners import actions, journey_map, log_modal, quick_log
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from bot.modal import as_uuid
from domain.alert import named_list
from domain.by_name import action as action_by_name
from domain.by_name import alert_rule as rule_by_name
from domain.by_name import matching
from domain.by_name import subscription as subscription_by_name
from domain.by_name import team as team_by_name
from domain.errors import DomainError, ErrorCode, ValidationError
from domain.member import service as member_service
from domain.metrics import trend
from domain.observation import team_views
from infrastructure.addresses import journey_map_url


async def journey(ack, command: dict, respond, client, context: AsyncBoltContext) -> None:
    await ack()
    parsed = parse(command.get("text", ""))
    person = who(context)
    if isinstance(parsed, OpenLogModal):
        await log_modal.open_modal(
            client,
            command["trigger_id"],
            person,
            log_modal.Context(channel_id=command["channel_id"]),
        )
        return
    if isinstance(parsed, ShowMap):
        await journey_map.show(person, parsed.journey, command.get("channel_id", ""), respond)
        return
    if isinstance(parsed, CreateAction):
        reply = await actions.from_command(
            person,
            client,
            command["trigger_id"],
            command.get("channel_id", ""),
            parsed.title,
            parsed.at,
        )
    elif isinstance(parsed, QuickLog):
        reply = await quick_log.log(parsed, person, key=f"slack:command:{command['trigger_id']}")
    else:
        try:
            reply = await answer(parsed, person, command.get("channel_id", ""))
        except DomainError as error:
            reply = Reply(blocks.error_message(error.message), error.message)
    if reply is not None:
        await send(respond, reply)


async def answer(command: Command, person: Who, channel_id: str) -> Reply:
    """Everything but logging and the map; DomainErrors are left to the caller to show."""
    transaction = person.runtime.transaction
    match command:
        case Help(unknown=unknown):
            return Reply(blocks.help_message(unknown), "How to use /journey")
        case ShowStage(name=name):
            if not name:
                raise ValidationError(
                    "Say which stage: `/journey stage decision`.", code=ErrorCode.REQUIRED
                )
            try:
                async with transaction() as session:
                    overview = await team_views.stage_overview(
                        session, workspace_id=person.workspace_id, stage=name
                    )
            except matching.Ambiguous as error:  # same-named stages of several journeys
                return Reply(blocks.stage_choices(error.message, error.candidates), error.message)
            return stage_reply(overview)
        case SetTeam(name=name):
            async with transaction() as session:
                if name:
                    team = await team_by_name.join(
                        session, workspace_id=person.workspace_id, user_id=person.user_id, team=name
                    )
                else:
                    team = await member_service.require_team(
                        session, workspace_id=person.workspace_id, user_id=person.user_id
                    )
            return Reply(blocks.team_message(team), f"You are on {team.name}")
        case Subscribe(journey=journey_name, stage=stage):
            if not journey_name:
                raise ValidationError(
                    "Say which journey: `/journey subscribe Online purchase > checkout`.",
                    code=ErrorCode.REQUIRED,
                )
            async with transaction() as session:
                _, covers = await subscription_by_name.subscribe(
                    session,
                    workspace_id=person.workspace_id,
                    channel_id=channel_id,
                    journey=journey_name,
                    stage=stage,
                )
            return Reply(blocks.subscribed_message(covers, channel_id), f"Subscribed to {covers}")
        case Unsubscribe(journey=journey_name):
            async with transaction() as session:
                removed = await subscription_by_name.unsubscribe(
                    session,
                    workspace_id=person.workspace_id,
                    channel_id=channel_id,
                    journey=journey_name,
                )
            return Reply(blocks.unsubscribed_message(removed, channel_id), "Unsubscribed")
        case ShowMetrics(journey=journey_name, stage=stage, days=days, public=public):
            async with transaction() as session:
                metrics = await trend.recent(
                    session,
                    workspace_id=person.workspace_id,
                    journey=journey_name,
                    stage=stage,
                    days=days,
                )
            url = journey_map_url(person.runtime.settings.base_url, metrics.journey.id)
            return Reply(
                blocks.metrics_message(metrics, url),
                f"Stage metrics of {metrics.journey.name}",
                public=public,
            )
        case ShowActions(of=of):
            async with transaction() as session:
                named = await action_by_name.listed(
                    session, workspace_id=person.workspace_id, user_id=person.user_id, name=of
                )
            return Reply(actions_message(named.actions, named.of), f"Actions {named.of}")
        case ShowAlerts(journey=journey_name):
            async with transaction() as session:
                alerts = await named_list.overview(
                    session,
                    workspace_id=person.workspace_id,
                    journey=journey_name,
                    at=person.runtime.clock(),
                    cohorts=person.runtime.cohorts,
                )
            return Reply(blocks.alerts_message(alerts), "Open alerts and alert rules")
        case (
            AddAlertRule(journey=journey_name, stage=stage)
            | RemoveAlertRule(journey=journey_name, stage=stage)
        ):
            adding = isinstance(command, AddAlertRule)
            verb = "add" if adding else "remove"
            if not journey_name:
                raise ValidationError(
                    f"Say which journey: `/journey alerts {verb} Online purchase > checkout`.",
                    code=ErrorCode.REQUIRED,
                )
            async with transaction() as session:
                if adding:
                    named = await rule_by_name.add_rule(
                        session,
                        workspace_id=person.workspace_id,
                        journey=journey_name,
                        stage=stage,
                        at=person.runtime.clock(),
                        cohorts=person.runtime.cohorts,
                    )
                else:
                    named = await rule_by_name.remove_rule(
                        session, workspace_id=person.workspace_id, journey=journey_name, stage=stage
                    )
            if adding:
                return Reply(blocks.rule_added_message(named), "Alert rule added")
            return Reply(blocks.rule_removed_message(named), "Alert rule removed")
    raise AssertionError(f"unhandled command {command!r}")


def stage_reply(overview: team_views.StageOverview) -> Reply:
    return Reply(
        blocks.stage_message(overview.place, overview.teams, overview.days), overview.place.label
    )


async def pick_stage(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    """A button from an ambiguous `stage <name>`: show that stage, in place of the question."""
    await ack()
    person = who(context)
    stage_id = as_uuid(action.get("value"))
    try:
        if stage_id is None:
            raise ValidationError("That button is stale.")
        async with person.runtime.transaction() as session:
            overview = await team_views.stage_overview(
                session, workspace_id=person.workspace_id, stage=stage_id
            )
        reply = stage_reply(overview)
    except DomainError as error:
        reply = Reply(blocks.error_message(error.message), error.message)
    await send(respond, reply, replace_original=True)
