"""graphql-http's audit of the GraphQL over HTTP spec, run with node against a real server.

CI installs the pinned audit with `npm ci --prefix tests/graphql_api/audit`; on a checkout
without it the test installs it the same way (the npm registry must be reachable).
"""

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.live_servers import serving

AUDIT = Path(__file__).resolve().parent / "audit"

# Queries by GET are refused (a GET can be triggered cross-site without the token); these three
# notices, the spec's MAYs about GET, are all that may remain.
GET_NOTICES = {
    "5A70",  # MAY accept application/x-www-form-urlencoded formatted GET requests
    "D6D5",  # MAY allow URL-encoded JSON string {variables} in GETs (graphql-response+json)
    "6A70",  # MAY allow URL-encoded JSON string {variables} in GETs (application/json)
}


async def run(*command: str, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=AUDIT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, f"{' '.join(command)} failed:\n{err.decode()}"
    return out.decode()


async def audit(url: str, token: str) -> list[dict]:
    if not (AUDIT / "node_modules" / "graphql-http").exists():
        await run("npm", "ci", "--no-audit", "--no-fund")
    env = {**os.environ, "GRAPHQL_AUDIT_TOKEN": token}
    return json.loads(await run("node", "audit.mjs", url, env=env))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the audit is JS)")
async def test_the_graphql_over_http_audit_has_no_errors_or_warnings(
    db, database_url, workspace, make_token
):
    """Issue 9: 8 warnings, all for want of application/graphql-response+json (request errors
    answered 200 with `"data": null`)."""
    token = await make_token(workspace, "write")
    async with serving(database_url) as server:
        results = await audit(f"http://{server.address}/graphql", token)

    by_status: dict[str, list[dict]] = {}
    for result in results:
        by_status.setdefault(result["status"], []).append(result)
    assert len(results) > 40, "the audit ran hardly any checks"
    assert by_status.get("error", []) == []
    assert by_status.get("warn", []) == []
    assert {r["id"] for r in by_status.get("notice", [])} == GET_NOTICES
