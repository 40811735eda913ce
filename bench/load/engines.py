"""The two engines a run measures and their bench databases: SQLite in a file under /tmp,
PostgreSQL in its own database on 127.0.0.1:5432."""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
# Not "sitracker_bench": bench/review_bench.py keeps its data there between runs.
PG_DATABASE = "sitracker_bench_load"


@dataclass
class Engine:
    key: str
    label: str
    url: str
    version: str = ""

    def create(self) -> None:
        if self.key == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
            return
        self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {PG_DATABASE}")

    def exists(self) -> bool:
        if self.key == "sqlite":
            return Path(self.url.removeprefix("sqlite:///")).exists()
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", PG_DATABASE))

    def drop(self) -> None:
        if self.key == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
        else:
            self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")

    def autovacuum_off(self) -> bool:
        return self.key == "postgresql" and self._admin("SHOW autovacuum")[0][0] == "off"

    def describe(self) -> str:
        if self.key == "sqlite":
            return f"SQLite {sqlite3.sqlite_version} (file under /tmp, WAL, IMMEDIATE)"
        version = self._admin("SHOW server_version")[0][0]
        return f"PostgreSQL {version.split()[0]} (127.0.0.1:5432)"

    def connections(self) -> int | None:
        """PostgreSQL's connections to the bench database now (None on SQLite)."""
        if self.key == "sqlite":
            return None
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        return int(self._admin(sql, PG_DATABASE)[0][0])

    def _admin(self, sql: str, *params: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []
