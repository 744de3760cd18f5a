"""App Home: published each time someone opens the tab (a retried event republishes, which
changes nothing) and after they log from it."""

from slack_bolt.context.async_context import AsyncBoltContext

from bot.home import home_view
from bot.middleware import Who, who
from bot.send import safely
from domain.action import views as action_views
from domain.alert import named_list
from domain.observation import team_views

HOME_ALERTS_MAX = 10
HOME_ACTIONS_PER_STATUS = 5


async def publish(person: Who, client) -> None:
    async with person.runtime.transaction() as session:
        overview = await team_views.staff_overview(
            session, workspace_id=person.workspace_id, user_id=person.user_id
        )
        # The member's team's journeys; everyone's until they say which team they are on.
        alerts = await named_list.open_alerts(
            session,
            workspace_id=person.workspace_id,
            journey_ids=[j.id for j in overview.journeys] if overview.team else None,
            limit=HOME_ALERTS_MAX,
        )
        actions = (
            await action_views.by_status(
                session,
                workspace_id=person.workspace_id,
                team_id=overview.team.id,
                per_status=HOME_ACTIONS_PER_STATUS,
            )
            if overview.team
            else None
        )
    view = home_view(overview, person.runtime.settings.base_url, alerts, actions)
    await safely(client.views_publish(user_id=person.user_id, view=view), "views.publish")


async def opened(event: dict, client, context: AsyncBoltContext) -> None:
    if event.get("tab") == "home":
        await publish(who(context), client)
