"""`GET /healthz`: is the process up, and can it reach its database at the current schema?"""

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from journeyops.migrations import head_revision


async def healthz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    try:
        async with runtime.engine.connect() as connection:
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as error:  # any failure to reach the database means unhealthy
        return JSONResponse(
            {"status": "unhealthy", "database": "unreachable", "error": type(error).__name__},
            status_code=503,
        )
    expected = head_revision()
    if revision != expected:
        return JSONResponse(
            {
                "status": "unhealthy",
                "database": "schema outdated: run `journeyops migrate`",
                "schemaRevision": revision,
                "expectedRevision": expected,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "schemaRevision": revision})
