import pytest

from domain.auth import service as auth_service
from domain.errors import ValidationError
from domain.vocabulary import TokenScope


async def test_a_token_is_shown_once_and_stored_only_as_a_hash(session):
    token, secret = await auth_service.create(session, workspace_name="Acme", scope="write")
    assert secret.startswith("jo_") and len(secret) > 40
    assert secret not in (token.token_hash, token.name)
    assert await auth_service.authenticate(session, secret=secret) is token
    assert await auth_service.authenticate(session, secret=secret + "x") is None
    assert await auth_service.authenticate(session, secret="Bearer nonsense") is None


async def test_a_new_workspace_name_creates_it_and_an_existing_one_is_reused(session):
    first, _ = await auth_service.create(session, workspace_name="Acme", scope="read")
    second, _ = await auth_service.create(session, workspace_name=" Acme ", scope="admin")
    assert first.workspace_id == second.workspace_id


async def test_a_revoked_token_no_longer_authenticates(session):
    token, secret = await auth_service.create(session, workspace_name="Acme", scope="read")
    await auth_service.revoke(session, workspace_id=token.workspace_id, token_id=token.id)
    assert await auth_service.authenticate(session, secret=secret) is None


async def test_an_unknown_scope_is_refused(session):
    with pytest.raises(ValidationError, match="read, write, admin"):
        await auth_service.create(session, workspace_name="Acme", scope="root")


@pytest.mark.pure
def test_scopes_include_the_ones_before_them():
    assert TokenScope.ADMIN.allows(TokenScope.WRITE)
    assert TokenScope.WRITE.allows(TokenScope.READ)
    assert not TokenScope.READ.allows(TokenScope.WRITE)
