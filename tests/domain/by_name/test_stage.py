"""Stages by name, told apart by their journey."""

import pytest

from domain.by_name import stage as stage_by_name
from domain.by_name.matching import Ambiguous
from tests.support.factories import make_journey, make_workspace, stages_of


async def test_same_named_stages_are_told_apart_by_their_journey(session):
    workspace = await make_workspace(session)
    online = await make_journey(session, workspace, "Online purchase")
    await make_journey(session, workspace, "Store visit")
    with pytest.raises(Ambiguous) as ambiguous:
        await stage_by_name.find(session, workspace_id=workspace.id, name="decision")
    assert [place.label for place in ambiguous.value.candidates] == [
        "Online purchase › decision",
        "Store visit › decision",
    ]
    decision = (await stages_of(session, online))[2]
    for said in ("online purchase > decision", "Online purchase › DECISION"):
        found = await stage_by_name.find(session, workspace_id=workspace.id, name=said)
        assert found.id == decision.id
    journey, place = await stage_by_name.find_in_journey(
        session, workspace_id=workspace.id, journey="online purchase decision", stage=None
    )
    assert journey is online and place is not None and place.id == decision.id
