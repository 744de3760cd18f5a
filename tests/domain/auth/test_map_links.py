"""Personal map links: one exchange each, within their lifetime, for a session that lasts its
own; members of a team may edit, others read; either credential authenticates the map."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import credentials, map_links
from domain.auth.map_links import LINK_LIFETIME, SESSION_LIFETIME, LinkRefused, Refusal
from domain.auth.models import MapSignIn
from domain.vocabulary import TokenScope
from tests.support import factories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _link(session, workspace, person_id="U0001", now=NOW, **options) -> str:
    issued = await map_links.issue(
        session,
        workspace_id=workspace.id,
        person_id=person_id,
        person_name="Dana S.",
        now=now,
        **options,
    )
    assert issued.expires_at == now + options.get("valid_for", LINK_LIFETIME)
    return issued.secret


async def test_a_link_opens_one_session_stored_only_as_hashes(session):
    workspace = await factories.make_workspace(session)
    link = await _link(session, workspace)
    opened = await map_links.exchange(session, link=link, now=NOW + timedelta(minutes=1))
    assert link.startswith("jol_") and opened.secret.startswith("jos_")
    assert opened.expires_at == NOW + timedelta(minutes=1) + SESSION_LIFETIME
    assert opened.person_name == "Dana S."
    [row] = (await session.execute(MapSignIn.__table__.select())).all()
    stored = " ".join(str(value) for value in row)
    assert link not in stored and opened.secret not in stored
    assert link.removeprefix("jol_") not in stored

    found = await credentials.authenticate(session, secret=opened.secret, now=NOW)
    assert found is not None
    assert (found.workspace_id, found.person_id, found.name) == (workspace.id, "U0001", "Dana S.")
    # The link itself is no credential, before or after its exchange.
    assert await credentials.authenticate(session, secret=link, now=NOW) is None


async def test_a_link_works_once(session):
    workspace = await factories.make_workspace(session)
    link = await _link(session, workspace)
    await map_links.exchange(session, link=link, now=NOW)
    with pytest.raises(LinkRefused) as refused:
        await map_links.exchange(session, link=link, now=NOW)
    assert refused.value.refusal is Refusal.USED
    assert "used already" in refused.value.message
    assert "/journey map" in refused.value.message


async def test_a_link_expires_at_its_last_instant(session):
    workspace = await factories.make_workspace(session)
    link = await _link(session, workspace)
    late = await _link(session, workspace)
    last_instant = NOW + LINK_LIFETIME - timedelta(microseconds=1)
    assert (await map_links.exchange(session, link=link, now=last_instant)).secret
    with pytest.raises(LinkRefused) as refused:
        await map_links.exchange(session, link=late, now=NOW + LINK_LIFETIME)
    assert refused.value.refusal is Refusal.EXPIRED
    assert "15 minutes" in refused.value.message


@pytest.mark.parametrize("forged", ["jol_made-up", "jo_something", "", "jol_"])
async def test_a_forged_link_is_refused(session, forged):
    workspace = await factories.make_workspace(session)
    await _link(session, workspace)
    with pytest.raises(LinkRefused) as refused:
        await map_links.exchange(session, link=forged, now=NOW)
    assert refused.value.refusal is Refusal.UNKNOWN


async def test_a_session_ends_after_its_lifetime(session):
    workspace = await factories.make_workspace(session)
    opened = await map_links.exchange(session, link=await _link(session, workspace), now=NOW)
    end = NOW + SESSION_LIFETIME
    assert await credentials.authenticate(
        session, secret=opened.secret, now=end - timedelta(seconds=1)
    )
    assert await credentials.authenticate(session, secret=opened.secret, now=end) is None


async def test_members_of_a_team_may_edit_and_others_read(session):
    workspace = await factories.make_workspace(session)
    team = await factories.make_team(session, workspace, "Support")
    await factories.make_member(session, workspace, "U0001", team)
    member = await map_links.exchange(session, link=await _link(session, workspace), now=NOW)
    visitor = await map_links.exchange(
        session, link=await _link(session, workspace, person_id="U0009"), now=NOW
    )
    assert member.scope is TokenScope.WRITE
    assert visitor.scope is TokenScope.READ


async def test_api_tokens_still_authenticate(session):
    workspace = await factories.make_workspace(session)
    secret = await factories.make_token(session, workspace, "read")
    found = await credentials.authenticate(session, secret=secret, now=NOW)
    assert found is not None and found.scope is TokenScope.READ and found.person_id is None


async def test_issuing_a_link_deletes_the_workspaces_long_expired_ones(session):
    workspace = await factories.make_workspace(session)
    await _link(session, workspace, now=NOW - timedelta(days=3))
    kept = await _link(session, workspace, now=NOW - timedelta(hours=1))
    await _link(session, workspace)
    hashes = set(
        await session.scalars(MapSignIn.__table__.select().with_only_columns(MapSignIn.link_hash))
    )
    assert len(hashes) == 2
    assert (await map_links.exchange(session, link=kept, now=NOW - timedelta(hours=1))).secret
