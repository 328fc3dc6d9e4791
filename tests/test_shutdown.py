"""Shutting down: real signals to a real `python -m app` that started its own embedded PostgreSQL.

SIGTERM and SIGINT both let an in-flight call finish and stop the embedded server; after a
`kill -9` the server outlives the process, and the next start takes it over and stops it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import pytest

from tests.support.servers import ROOT, free_port, wait_ready

START_SECONDS = 180  # first start: initdb, the schema, the local engine's warm-up


class App:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="helpdesk-shutdown-", suffix=".log")[1])
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            WORKERS="1",
            APP_ENV="test",
            DATA_DIR=str(data_dir),
            HF_HUB_OFFLINE="1",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT
        )
        wait_ready(self.process, self.url, self.log_path, seconds=START_SECONDS)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self) -> int:
        try:
            return self.process.wait(90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"the app did not exit:\n{self.log()}") from None


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])


def handles(data_dir: Path) -> list[int]:
    path = data_dir / "postgres" / ".handle_pids.json"
    return json.loads(path.read_text() or "[]") if path.exists() else []


def gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-shutdown-data-"))
    os.chmod(folder, 0o755)  # the embedded server runs as its own system user when we are root
    yield folder
    if (folder / "postgres" / "postmaster.pid").exists():  # a failed test left it running
        psutil.Process(postmaster_pid(folder)).terminate()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_lets_the_call_in_flight_finish_then_stops_postgres(data_dir: Path, stop: signal.Signals) -> None:
    app = App(data_dir)
    postgres = postmaster_pid(data_dir)
    assert handles(data_dir) == [app.process.pid]
    received: list[str] = []
    first = threading.Event()

    def listen() -> None:
        # Three beats a second apart: the signal arrives after the first.
        query = quote(json.dumps({"count": 3, "intervalMs": 1000}))
        with httpx.stream(
            "GET", f"{app.url}/api/trpc/system.heartbeat?input={query}", headers={"accept": "text/event-stream"}, timeout=30
        ) as response:
            for line in response.iter_lines():
                received.append(line)
                if line.startswith("data:") and '"n"' in line:
                    first.set()

    listener = threading.Thread(target=listen)
    listener.start()
    assert first.wait(30), app.log()
    app.process.send_signal(stop)
    listener.join(30)
    assert not listener.is_alive()
    beats = [line for line in received if line.startswith("data:") and '"n"' in line]
    assert len(beats) == 3 and "event: return" in received, received
    assert app.wait() == 0, app.log()
    assert gone(postgres), f"PostgreSQL {postgres} still runs after {stop.name}:\n{app.log()}"
    assert handles(data_dir) == []
    assert "Traceback" not in app.log(), app.log()


def test_after_kill_9_the_next_start_takes_over_postgres_and_stops_it(data_dir: Path) -> None:
    killed = App(data_dir)
    postgres = postmaster_pid(data_dir)
    killed.process.kill()
    killed.process.wait(30)
    assert not gone(postgres, seconds=1)  # the embedded server outlived the process that started it
    assert handles(data_dir) == [killed.process.pid]  # a stale handle

    app = App(data_dir)
    assert postmaster_pid(data_dir) == postgres  # the running server is reused...
    assert handles(data_dir) == [app.process.pid]  # ...and the dead process's handle forgotten
    assert httpx.get(f"{app.url}/api/trpc/system.status", timeout=10).status_code == 200
    app.process.send_signal(signal.SIGTERM)
    assert app.wait() == 0, app.log()
    assert gone(postgres), f"PostgreSQL {postgres} still runs:\n{app.log()}"
