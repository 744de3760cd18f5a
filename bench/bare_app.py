"""The baseline for bench/slack_commands.py: a Starlette endpoint that reads the body and
answers 200, served by the same uvicorn, so the difference is what the bot adds."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def events(request: Request) -> Response:
    await request.body()
    return Response(status_code=200)


app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
