"""One JourneyOps deployment as the Procfile runs it, on a PostgreSQL database of its own.

`release` (`journeyops migrate`), then two `web` (`journeyops serve --workers 2`, each on its
own port) and two `worker` processes, configured only through the environment, with
`bot/local_slack.py` (in the test's process, so the test sees every call) as Slack's Web API.
Slack is either one workspace (`SLACK_BOT_TOKEN`) or installed through OAuth
(`SLACK_CLIENT_ID`/`SECRET`, no bot token): then the installation is in slack_sdk's
installation store, where the OAuth flow puts it, and the Slack team is linked to the
workspace with `journeyops slack-link`, as a second install would need.

The journey map is the demo's (`journeyops/demo_data.py`), made through GraphQL with a write
token from `journeyops token create`, the token the pipelines then send events with.
"""

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import installations
from bot.app import BOT_SCOPES
from bot.local_slack import BOT, LocalSlack
from infrastructure.database import create_engine
from journeyops import demo_data
from tests.support.processes import Process, WebServer, free_port, run_command

SINGLE_WORKSPACE, OAUTH = "single-workspace", "oauth"
SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-e2e-single-workspace"  # single-workspace mode's SLACK_BOT_TOKEN
INSTALLED_BOT_TOKEN = "xoxb-e2e-installed"  # OAuth mode: only in the installation store
CLIENT_ID, CLIENT_SECRET = "1111.2222", "e2e-client-secret"
SLACK_TEAM = BOT["team_id"]  # the team local Slack's auth.test names
WORKSPACE = "Acme Outfitters"
JOURNEY = "Online purchase"
# Short clocks so the worker acts within the test (the defaults are 15 and 30 minutes).
WORKER_CLOCKS = {"JOURNEYOPS_ALERT_EVALUATION_EVERY": "1", "JOURNEYOPS_DIGESTS_EVERY": "1"}
# What the test's own environment may hold that would change the deployment's behaviour.
NOT_INHERITED = ("SLACK_", "JOURNEYOPS_", "DATABASE_URL", "PORT", "WEB_CONCURRENCY")


@dataclass
class Deployment:
    mode: str
    database_url: str
    slack: LocalSlack
    directory: Path
    webs: list[WebServer] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    write_token: str = ""
    journey_id: str = ""
    engine: AsyncEngine | None = None
    # The Procfile's processes as the e2e tests run them; a benchmark may run fewer.
    web_names: tuple[str, ...] = ("web-a", "web-b")
    web_workers: int = 2  # `serve --workers N`: 1 serves in the process itself
    worker_names: tuple[str, ...] = ("worker-a", "worker-b")
    worker_clocks: dict[str, str] = field(default_factory=lambda: dict(WORKER_CLOCKS))

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
        env |= {
            "DATABASE_URL": self.database_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "PYTHONUNBUFFERED": "1",
            # What a killed process leaves in its temporary files stays with the test's.
            "TMPDIR": str(self.directory),
            **self.worker_clocks,
        }
        if self.mode == SINGLE_WORKSPACE:
            env["SLACK_BOT_TOKEN"] = BOT_TOKEN
        else:
            env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
        return env | extra

    @property
    def slack_token(self) -> str:
        """The bot token every Web API call should carry in this mode."""
        return BOT_TOKEN if self.mode == SINGLE_WORKSPACE else INSTALLED_BOT_TOKEN

    async def start(self) -> None:
        self.engine = create_engine(self.database_url)
        await self.command("migrate")
        for name in self.web_names:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = self.env(PORT=str(port), JOURNEYOPS_PUBLIC_URL=url)
            serve = ["serve", "--workers", str(self.web_workers)]
            web = WebServer(name, serve, env, self.log_path(name), self.directory)
            web.port = port
            self.webs.append(web)
            web.start()
        # While the web servers boot:
        self.write_token = await self.token("write", "e2e pipeline")
        if self.mode == OAUTH:
            await self._install_slack_app()
        await asyncio.gather(*(web.wait_healthy() for web in self.webs))
        await self._map_the_journey()

    def start_workers(self) -> None:
        """The workers, left to the test that needs them (a test can ready Slack first)."""
        for name in self.worker_names:
            worker = Process(name, ["worker"], self.env(), self.log_path(name), self.directory)
            self.workers.append(worker)
            worker.start()

    async def stop(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in [*self.workers, *self.webs]))
        if self.engine is not None:
            await self.engine.dispose()

    def log_path(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def logs(self) -> list[tuple[str, str]]:
        return [(p.name, p.log_tail()) for p in [*self.webs, *self.workers]]

    async def command(self, *args: str) -> str:
        return await run_command(*args, env=self.env(), cwd=self.directory)

    async def token(self, scope: str, name: str) -> str:
        out = await self.command(
            "token", "create", "--workspace", WORKSPACE, "--scope", scope, "--name", name
        )
        return out.strip().splitlines()[0]

    async def scalar(self, sql: str, **params: Any) -> Any:
        assert self.engine is not None
        async with self.engine.connect() as connection:
            return await connection.scalar(text(sql), params)

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, web: int = 0
    ) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.webs[web].url, timeout=30) as http:
            answer = await http.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self.write_token}"},
            )
        body = answer.json()
        assert answer.status_code == 200 and not body.get("errors"), body
        return body["data"]

    async def mutate(self, mutation: str, input: dict[str, Any], selection: str) -> dict:
        """Run `mutation(input: …) { selection errors { message } }`; its payload."""
        query = (
            f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) "
            f"{{ {mutation}(input: $input) {{ {selection} errors {{ field message }} }} }}"
        )
        payload = (await self.graphql(query, {"input": input}))[mutation]
        assert payload["errors"] == [], (mutation, input, payload["errors"])
        return payload

    async def _map_the_journey(self) -> None:
        """The demo's teams, personas and online purchase journey, with a default alert rule."""
        teams = {}
        for name, channel in demo_data.TEAMS.items():
            team = {"name": name, "slackChannelId": channel}
            teams[name] = (await self.mutate("createTeam", team, "team { id }"))["team"]["id"]
        for persona in demo_data.PERSONAS:
            fields = {k: persona[k] for k in ("name", "description", "goals", "needs")}
            await self.mutate("createPersona", fields, "persona { id }")
        stages = [
            {"name": name, "customerGoal": goal, "expectedEmotion": emotion.upper()}
            for name, goal, emotion, _ in demo_data.ONLINE_PURCHASE
        ]
        journey = (
            await self.mutate(
                "createJourney",
                {"name": JOURNEY, "stages": stages},
                "journey { id stages { id } }",
            )
        )["journey"]
        self.journey_id = journey["id"]
        for stage, (*_, touchpoints) in zip(
            journey["stages"], demo_data.ONLINE_PURCHASE, strict=True
        ):
            for name, key, channel, owner, event_names in touchpoints:
                touchpoint = {
                    "stageId": stage["id"],
                    "name": name,
                    "key": key,
                    "channel": channel.upper(),
                    "ownerTeamId": teams[owner],
                    "eventNames": event_names,
                }
                await self.mutate("addTouchpoint", touchpoint, "touchpoint { id }")
        await self.mutate("createAlertRule", {"journeyId": self.journey_id}, "alertRule { id }")

    async def _install_slack_app(self) -> None:
        assert self.engine is not None
        store = installations.installation_store(self.engine, CLIENT_ID)
        await store.async_save(
            Installation(
                app_id="A0001",
                enterprise_id=None,
                team_id=SLACK_TEAM,
                team_name="acme",
                bot_token=INSTALLED_BOT_TOKEN,
                bot_id=BOT["bot_id"],
                bot_user_id=BOT["user_id"],
                bot_scopes=BOT_SCOPES,
                user_id="U0001",
                installed_at=time.time(),
            )
        )
        await self.command("slack-link", "--workspace", WORKSPACE, "--team", SLACK_TEAM)
