"""Touchpoints by key or name, and a name run on into the text of a quick log."""

import pytest

from domain.by_name import touchpoint as touchpoint_by_name
from domain.by_name.matching import Unknown
from tests.support.factories import make_journey, make_touchpoint, make_workspace, stages_of


async def test_a_touchpoint_by_key_or_name_and_its_name_run_on_into_the_text(session):
    workspace = await make_workspace(session)
    stage = (await stages_of(session, await make_journey(session, workspace, "Online")))[2]
    page = await make_touchpoint(session, stage, "Product page", key="pdp")
    for said in ("PDP", "product_page", "prodct page"):
        found = await touchpoint_by_name.find(session, workspace_id=workspace.id, query=said)
        assert found.id == page.id and found.label == "Product page (Online › decision)"
    with pytest.raises(Unknown, match="No touchpoint is called “zeppelin”"):
        await touchpoint_by_name.find(session, workspace_id=workspace.id, query="zeppelin")
    split = touchpoint_by_name.split_name
    assert await split(
        session, workspace_id=workspace.id, first="product", rest="Page  Reviews are hidden"
    ) == ("product Page", "Reviews are hidden")
    assert await split(
        session, workspace_id=workspace.id, first="checkout", rest="page is slow"
    ) == ("checkout", "page is slow")
