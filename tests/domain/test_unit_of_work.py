"""The unit of work every door runs its use cases in: commit, rollback, races, after-commit."""

import logging
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain import unit_of_work
from domain.errors import Conflict, ErrorCode, ValidationError
from domain.member.models import Member
from domain.unit_of_work import RACE_LOST, Transactions
from domain.workspace.models import Workspace
from tests.support.factories import make_team, make_workspace, send, track


async def workspaces_called(db, name: str) -> int:
    async with db() as session:
        return await session.scalar(
            select(func.count()).select_from(Workspace).where(Workspace.name == name)
        )


async def test_the_work_is_committed_when_the_block_ends(db):
    async with Transactions(db)() as session:
        await make_workspace(session, "acme")
    assert await workspaces_called(db, "acme") == 1


async def test_a_domain_error_rolls_everything_back_and_reaches_the_door(db):
    ran: list[str] = []
    with pytest.raises(ValidationError, match="no good"):
        async with Transactions(db)() as session:
            await make_workspace(session, "acme")
            unit_of_work.after_commit(session, lambda: ran.append("hook"))
            raise ValidationError("no good")
    assert await workspaces_called(db, "acme") == 0
    assert ran == []


async def test_hooks_run_in_order_only_once_the_work_is_committed(db):
    ran: list[tuple[str, bool]] = []
    async with Transactions(db)() as session:
        await make_workspace(session, "acme")
        for name in ("first", "second"):
            unit_of_work.after_commit(
                session, lambda name=name: ran.append((name, session.in_transaction()))
            )
        assert ran == []
    assert ran == [("first", False), ("second", False)]
    assert await workspaces_called(db, "acme") == 1


async def test_a_failing_hook_is_logged_and_the_others_still_run(db, caplog):
    ran: list[str] = []

    def failing() -> None:
        raise RuntimeError("folder gone")

    async with Transactions(db)() as session:
        await make_workspace(session, "acme")
        unit_of_work.after_commit(session, failing)
        unit_of_work.after_commit(session, lambda: ran.append("second"))
    assert ran == ["second"]
    assert await workspaces_called(db, "acme") == 1
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "after-commit hook failed" in record.getMessage()


async def _two_members_with_one_user_id(session) -> None:
    """What two requests that both passed `member.join`'s check would write."""
    workspace = await make_workspace(session)
    team = await make_team(session, workspace)
    for _ in range(2):
        session.add(Member(workspace_id=workspace.id, user_id="U1", team_id=team.id))
        await session.flush()


async def test_a_unique_key_race_becomes_the_domains_conflict(db):
    ran: list[str] = []
    with pytest.raises(Conflict) as caught:
        async with Transactions(db)() as session:
            unit_of_work.after_commit(session, lambda: ran.append("hook"))
            await _two_members_with_one_user_id(session)
    assert (caught.value.message, caught.value.code, caught.value.field) == (
        RACE_LOST,
        ErrorCode.CONFLICT,
        None,
    )
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert ran == []
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_any_other_integrity_error_stays_a_bug(db):
    with pytest.raises(IntegrityError):
        async with Transactions(db)() as session:
            workspace = await make_workspace(session)
            session.add(Member(workspace_id=workspace.id, user_id="U1", team_id=uuid.uuid4()))
            await session.flush()  # no such team: a foreign key violation, not a race


async def test_a_stored_batch_is_announced_once_committed_and_a_refused_one_never(db):
    stored: list[uuid.UUID] = []
    transaction = Transactions(db, on_batch_stored=stored.append)
    async with transaction() as session:
        workspace = await make_workspace(session)
        await send(session, workspace, {"type": "track"})  # rejected: nothing stored
        assert stored == []
    assert stored == []
    async with transaction() as session:
        await send(session, workspace, track("ann", "Product Viewed", "2026-11-20T10:00:00Z"))
        assert stored == []
    assert stored == [workspace.id]
    with pytest.raises(ValidationError):
        async with transaction() as session:
            await send(session, workspace, track("bob", "Product Viewed", "2026-11-20T10:00:00Z"))
            raise ValidationError("changed my mind")
    assert stored == [workspace.id]
