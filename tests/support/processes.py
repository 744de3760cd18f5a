"""The Procfile's processes, each a separate OS process as a platform runs them.

Each runs the installed `journeyops` command (the script next to this interpreter, as the
Procfile calls it) in a session of its own, so that `kill()` is a crash: SIGKILL to the whole
process group, a web server's children included, with no chance to clean up. Output goes to a
log file per process, kept across restarts, so a failing test can show what each one said.
"""

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

JOURNEYOPS = str(Path(sys.executable).with_name("journeyops"))
START_SECONDS = 60.0  # a cold start of four interpreters on two busy cores
STOP_SECONDS = 10.0
LOG_TAIL_LINES = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_command(*args: str, env: dict[str, str], cwd: Path) -> str:
    """Run one `journeyops` command to completion; its standard output (it must succeed)."""
    process = await asyncio.create_subprocess_exec(
        JOURNEYOPS,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), START_SECONDS)
    assert process.returncode == 0, (
        f"`journeyops {shlex.join(args)}` exited {process.returncode}:\n"
        f"{out.decode()}\n{err.decode()}"
    )
    return out.decode()


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        assert self.popen is None or self.popen.poll() is not None, f"{self.name} is running"
        with self.log_path.open("ab") as log:
            log.write(f"--- journeyops {shlex.join(self.args)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                [JOURNEYOPS, *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """Crash it: SIGKILL to the process and every child it started."""
        assert self.popen is not None
        with self.log_path.open("ab") as log:
            log.write(b"--- killed with SIGKILL\n")
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        """SIGTERM, as a platform stops a process; SIGKILL if it does not exit in time, and to
        whatever of its group outlived it."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def check_running(self) -> None:
        assert self.popen is not None
        code = self.popen.poll()
        assert code is None, f"{self.name} exited with {code}:\n{self.log_tail()}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclass
class WebServer(Process):
    """`journeyops serve --workers 2` on its own port."""

    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_healthy(self) -> None:
        """Until /healthz answers 200 (bounded; fails at once if the server died)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_SECONDS
        last = "no answer"
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while loop.time() < deadline:
                self.check_running()
                try:
                    answer = await http.get("/healthz")
                    if answer.status_code == 200:
                        return
                    last = f"{answer.status_code} {answer.text}"
                except httpx.TransportError as error:
                    last = repr(error)
                await asyncio.sleep(0.1)
        raise AssertionError(
            f"{self.name} not healthy in {START_SECONDS:.0f}s ({last}):\n{self.log_tail()}"
        )
