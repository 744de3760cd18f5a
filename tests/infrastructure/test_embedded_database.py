"""The embedded PostgreSQL lives as long as the JourneyOps processes that use it, each run here
as an OS process of its own, as a newcomer runs `journeyops demo` or the tests."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Uses the server, says so, then either exits at once or holds on until its stdin closes.
USER = """
import sys
from pathlib import Path
from infrastructure.database import start_embedded_postgres
start_embedded_postgres(Path(sys.argv[1]), keep_running=sys.argv[2] == "keep")
print("ready", flush=True)
if sys.argv[2] == "hold":
    sys.stdin.read()
"""


@pytest.fixture
def data_dir():
    path = ROOT / ".journeyops" / f"embedded-test-{uuid.uuid4().hex[:8]}"
    yield path
    postmaster = _postmaster(path)
    if postmaster is not None:  # a failed test must not leave its server behind either
        postmaster.kill()
    shutil.rmtree(path, ignore_errors=True)


def _postmaster(data_dir: Path) -> psutil.Process | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return psutil.Process(pid) if psutil.pid_exists(pid) else None


def _use(data_dir: Path, mode: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", USER, str(data_dir), mode],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ready", result.stderr


def _hold(data_dir: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", USER, str(data_dir), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def test_the_server_stops_when_the_last_process_using_it_exits(data_dir):
    holder = _hold(data_dir)
    _use(data_dir, "exit")
    assert _postmaster(data_dir) is not None  # another process still uses it

    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0
    assert _postmaster(data_dir) is None


def test_a_killed_process_does_not_keep_the_server_running_for_ever(data_dir):
    holder = _hold(data_dir)
    holder.kill()
    holder.wait(timeout=10)
    assert _postmaster(data_dir) is not None  # nobody stopped it: the killed one could not

    _use(data_dir, "exit")  # the next process strikes the dead one off, and is the last
    assert _postmaster(data_dir) is None


def test_keep_running_leaves_the_server_up_for_later_processes(data_dir):
    _use(data_dir, "keep")
    assert _postmaster(data_dir) is not None
    _use(data_dir, "exit")
    assert _postmaster(data_dir) is None
