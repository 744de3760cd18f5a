"""Logging as a staff member, and the cross-team view of a stage."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from domain.errors import ValidationError
from domain.observation import member_logging, team_views
from domain.observation.models import Observation
from domain.workspace import service as workspace_service
from tests.support.factories import (
    make_journey,
    make_member,
    make_observation,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)


async def test_log_as_member_carries_the_team_and_logs_once_per_key(session):
    workspace = await make_workspace(session)
    support = await make_team(session, workspace, "Support")
    stages = await stages_of(session, await make_journey(session, workspace))
    checkout = await make_touchpoint(session, stages[2], "Checkout")
    await make_member(session, workspace, "U1", support)
    logged = [
        await member_logging.log_as_member(
            session,
            workspace_id=workspace.id,
            author_id="U1",
            author_name="dana",
            text="Coupon box confuses people",
            touchpoint="chekout",
            idempotency_key="slack:view:V1",
        )
        for _ in range(2)
    ]
    assert logged[0].observation.id == logged[1].observation.id
    assert logged[0].observation.author_team_id == support.id
    assert logged[0].team_name == "Support"
    assert logged[0].observation.touchpoint_id == checkout.id
    assert logged[0].where.startswith("Checkout (")


async def test_log_as_member_offers_similar_observations_at_the_stage(session):
    workspace = await make_workspace(session)
    support = await make_team(session, workspace, "Support")
    stages = await stages_of(session, await make_journey(session, workspace))
    await make_member(session, workspace, "U1", support)
    earlier = await make_observation(session, stage=stages[2])
    await make_observation(session, stage=stages[2], text="the search bar returns no results")

    async def log(text, key):
        return await member_logging.log_as_member(
            session,
            workspace_id=workspace.id,
            author_id="U1",
            author_name="dana",
            text=text,
            stage_id=stages[2].id,
            idempotency_key=key,
        )

    logged = await log("shipping costs shown too late at checkout", "slack:view:V1")
    assert [o.id for o in logged.similar] == [earlier.id]
    assert (await log("shipping costs shown too late", "slack:view:V1")).similar == ()
    assert (await log("the coupon box confuses people", "slack:view:V2")).similar == ()


async def test_log_as_member_without_a_team_names_the_teams(session):
    workspace = await make_workspace(session)
    await make_team(session, workspace, "Support")
    stages = await stages_of(session, await make_journey(session, workspace))
    with pytest.raises(ValidationError, match="Teams: Support"):
        await member_logging.log_as_member(
            session,
            workspace_id=workspace.id,
            author_id="U1",
            author_name="dana",
            text="x",
            stage_id=stages[0].id,
        )


async def test_stage_by_team_counts_recent_observations_per_team(session):
    workspace = await make_workspace(session)
    sales, support = (
        await make_team(session, workspace, "Sales"),
        await make_team(session, workspace, "Support"),
    )
    stage = (await stages_of(session, await make_journey(session, workspace)))[2]
    for i in range(4):
        await make_observation(session, stage=stage, team=support, text=f"support {i}")
    await make_observation(session, stage=stage, team=sales, text="sales")
    old = await make_observation(session, stage=stage, team=sales, text="old")
    await session.execute(
        update(Observation)
        .where(Observation.id == old.id)
        .values(created_at=datetime.now(UTC) - timedelta(days=40))
    )
    views = await team_views.stage_by_team(session, workspace_id=workspace.id, stage_id=stage.id)
    assert [(v.team_name, v.count, len(v.latest)) for v in views] == [
        ("Support", 4, 3),
        ("Sales", 1, 1),
    ]
    assert all(o.text.startswith("support") for o in views[0].latest)


async def test_a_chat_team_links_once_and_can_be_relinked(session):
    acme = await make_workspace(session, "acme")
    linked = await workspace_service.for_chat_team(
        session, chat_team_id="T1", chat_team_name="acme", one_per_team=False
    )
    assert linked.id == acme.id
    globex = await make_workspace(session, "globex")
    assert (
        await workspace_service.for_chat_team(
            session, chat_team_id="T1", chat_team_name="acme", one_per_team=False
        )
    ).id == acme.id
    await workspace_service.link_chat_team(session, name="globex", chat_team_id="T1")
    assert globex.slack_team_id == "T1" and acme.slack_team_id is None
