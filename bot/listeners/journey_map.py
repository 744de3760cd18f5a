"""`/journey map`: the journey stage by stage, with a personal link that signs the asker in to
the web map (domain.auth.map_links), then the map's picture attached in the channel.

The reply goes first, through the response_url, so the link arrives at once. The picture is the
one the page and the exports draw (domain.journey_map.picture), drawn off the event loop
(infrastructure.drawing) and uploaded with files.uploadV2; when that fails (the app lacks
`files:write`, or the bot may not post in the channel), the person is told, and the link they
got still works.
"""

import logging

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import blocks
from bot.listeners.reply import Reply, send
from bot.middleware import Who
from domain.auth import map_links
from domain.by_name import journey as journey_by_name
from domain.errors import DomainError
from domain.journey.summary import JourneyMap as Summary
from domain.journey_map import picture
from domain.journey_map import service as map_service
from infrastructure.addresses import journey_map_url
from infrastructure.drawing import DrawingFailed, draw

log = logging.getLogger(__name__)

# What Slack's refusals mean to the person who asked, by its error code.
UPLOAD_REFUSALS = {
    "missing_scope": "the JourneyOps app may not upload files here yet (it needs the "
    "`files:write` scope; ask whoever installed it to reinstall it)",
    "not_in_channel": "JourneyOps is not in this channel (invite it with `/invite @JourneyOps`)",
    "channel_not_found": "JourneyOps cannot post in this conversation",
}


async def show(person: Who, journey: str | None, channel_id: str, respond) -> None:
    """Answer with the summary and a personal sign-in link, then attach the picture."""
    name = await person.name()
    try:
        async with person.runtime.transaction() as session:
            summary = await journey_by_name.summarise(
                session, workspace_id=person.workspace_id, journey=journey
            )
            link = await map_links.issue(
                session,
                workspace_id=person.workspace_id,
                person_id=person.user_id,
                person_name=name,
                now=person.runtime.clock(),
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
        return
    url = journey_map_url(
        person.runtime.settings.base_url,
        summary.journey.id,
        days=summary.days,
        sign_in=link.secret,
    )
    await send(respond, Reply(blocks.map_message(summary, url, link), summary.journey.name))
    await attach_picture(person, summary, channel_id, respond)


async def attach_picture(person: Who, summary: Summary, channel_id: str, respond) -> None:
    """Upload the map's PNG into the channel; say so to the person when Slack refuses."""
    async with person.runtime.transaction() as session:
        journey_map = await map_service.journey_map(
            session,
            workspace_id=person.workspace_id,
            journey_id=summary.journey.id,
            days=summary.days,
        )
    try:
        png = await draw(journey_map, picture.Format.PNG)
    except DrawingFailed as failure:
        log.warning("the map's picture was not drawn: %s", failure)
        message = "The map's picture could not be drawn. The link above still works."
        await send(respond, Reply(blocks.error_message(message), message))
        return
    try:
        await person.client.files_upload_v2(
            channel=channel_id,
            file=png,
            filename=picture.file_name(journey_map, picture.Format.PNG),
            title=f"{journey_map.journey.name}: the last {summary.days} days",
            alt_txt=picture.description(journey_map)[:1000],
        )
    except SlackClientError as error:
        code = error.response.get("error") if isinstance(error, SlackApiError) else None
        log.warning("slack: the map's picture was not uploaded: %s", code or error)
        why = UPLOAD_REFUSALS.get(code or "", "Slack did not take the upload")
        message = f"The map's picture could not be attached: {why}. The link above still works."
        await send(respond, Reply(blocks.error_message(message), message))
