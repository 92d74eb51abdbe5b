"""A throwaway PostgreSQL cluster for the tests and benchmarks (``initdb`` in a temp dir, a unix socket only),
and a plain connection to a ledger database on either backend.

Debian's ``postgresql`` package (``scripts/setup-system``) puts the server
binaries in ``/usr/lib/postgresql/<version>/bin``.  PostgreSQL refuses to run
as root, so under root (CI) the cluster belongs to the ``postgres`` user the
package creates.  The server listens on a unix socket in its own directory and
on no TCP address at all (``listen_addresses=''``), so nothing outside the
machine can reach it.  :meth:`Cluster.database` makes a fresh database per
test; :meth:`Cluster.stop` removes everything.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any


def plain_query(url: str, sql: str, **params: Any) -> list[tuple]:
    """Rows from a new connection of the plain driver (no ledger code), for either backend."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def binaries() -> Path | None:
    """The newest PostgreSQL server bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def unavailable() -> str | None:
    """Why no cluster can be started here (None when one can)."""
    if binaries() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (scripts/setup-system installs them)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to own the cluster"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    return None


class Cluster:
    """One ``postgres`` server in a temp dir.  ``settings`` are extra ``-c name=value`` options."""

    def __init__(self, settings: dict[str, Any] | None = None, port: int = 5432):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError(unavailable() or "no PostgreSQL")
        # short: a unix socket path must fit in 107 bytes
        self.dir = Path(tempfile.mkdtemp(prefix="nbwpg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = port
        self.settings = {"fsync": "off", "full_page_writes": "off", "max_connections": "200",
                         "shared_buffers": "128MB", **(settings or {})}
        self.owner: str | None = "postgres" if os.getuid() == 0 else None
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.dir.chmod(0o755)
        self.superuser = "nbwarden"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], user=self.owner, capture_output=True, text=True,
                              timeout=timeout, check=True, cwd=self.dir)

    def start(self) -> Cluster:
        self._run(self.bin / "initdb", "-D", self.data, "-U", self.superuser, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self.pg_ctl("start")
        return self

    def pg_ctl(self, action: str, *extra: str, timeout: float = 60) -> None:
        """``pg_ctl start|stop|restart`` on this cluster (``-w``: return when it is done)."""
        options = f"-k {self.dir} -c listen_addresses='' -p {self.port} " + " ".join(
            f"-c {k}={v}" for k, v in self.settings.items())
        args = [self.bin / "pg_ctl", "-D", self.data, "-w", "-t", str(int(timeout)), "-l", self.log]
        if action in ("start", "restart"):
            args += ["-o", options]
        self._run(*args, action, *extra, timeout=timeout + 10)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.superuser}@/{database}?host={self.dir}&port={self.port}"

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(host=str(self.dir), port=self.port, user=self.superuser, dbname=database,
                             autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate")
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
