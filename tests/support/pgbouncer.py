"""A real PgBouncer in transaction mode in front of the test PostgreSQL (Debian's `pgbouncer`).

Transaction pooling hands every transaction (every statement outside one) to whichever server
connection is free, so a named prepared statement made on one may be missing on the next. A pool
of 2 server connections for many client connections makes that happen at once, not by chance.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.support.servers import free_port, stop_process


@dataclass
class Bouncer:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def pgbouncer_path() -> str | None:
    return shutil.which("pgbouncer") or (os.path.exists("/usr/sbin/pgbouncer") and "/usr/sbin/pgbouncer") or None


def start_pgbouncer(database_url: str, server_connections: int = 2) -> Bouncer:
    """PgBouncer (transaction mode) on 127.0.0.1 for the embedded server at `database_url`."""
    binary = pgbouncer_path()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
    parsed = urlparse(database_url)
    socket_dir = parse_qs(parsed.query).get("host", [parsed.hostname or "127.0.0.1"])[0]
    database = parsed.path.lstrip("/") or "postgres"
    user = parsed.username or "postgres"
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-pgbouncer-"))
    os.chmod(folder, 0o755)
    config = folder / "pgbouncer.ini"
    server_port = parsed.port or 5432
    config.write_text(
        f"""[databases]
{database} = host={socket_dir} port={server_port} dbname={database} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {server_connections}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
"""
    )
    config.chmod(0o644)
    command = [binary, str(config)]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        command[1:1] = ["-u", os.environ.get("PGBOUNCER_USER", "pgserver")]
    log = (folder / "log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {(folder / 'log').read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    url = f"postgresql://{user}@127.0.0.1:{port}/{database}"
    return Bouncer(url, process, folder)
