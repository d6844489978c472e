"""The versioned schema of a namespace: the DDL of each migration, in order.

A namespace at an older version is upgraded in place: the store runs the missing steps
in one transaction under a database-wide advisory lock, so that two processes migrating
at once (say, two replicas starting) apply each step exactly once, and a failed step
leaves nothing behind (PostgreSQL's DDL is transactional). Each applied step is
recorded in the namespace's ``_migrations`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from psycopg import sql

from sessionjar_postgres._sql import Statements

__all__ = [
    "LOCK_KEY",
    "Migration",
    "migrations",
    "LATEST_VERSION",
    "bootstrap",
    "migrated",
    "too_new",
]

LOCK_KEY: Final = 0x73_6A_5F_6D_69_67_72_74
"""The advisory lock every sessionjar migration takes (``"sj_migrt"`` as 64 bits)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema."""

    version: int
    """The schema version once the step is applied (1, 2, ...)."""
    description: str
    """What the step does, recorded with it."""
    statements: tuple[sql.Composed, ...]
    """The DDL, run in order in the migration's transaction."""


def bootstrap(names: Statements, create_schema: bool) -> list[sql.Composed]:
    """Return the DDL that creates the schema (if asked) and the migrations table."""
    ddl = [
        sql.SQL(
            "CREATE TABLE {} (version integer PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(names.migrations)
    ]
    if create_schema:
        ddl.insert(0, sql.SQL("CREATE SCHEMA {}").format(names.schema))
    return ddl


def migrations(names: Statements) -> list[Migration]:
    """Return every migration of a namespace, oldest first."""
    return [
        Migration(1, "sessions and signing keys", _version_1(names)),
        Migration(2, "device of each session", _version_2(names)),
    ]


LATEST_VERSION: Final = 2
"""The schema version this driver writes and reads."""


def migrated(namespace: str, before: int) -> str:
    """Return the sentence saying what a migration from schema version ``before`` did."""
    if before == LATEST_VERSION:
        return f"already at schema version {LATEST_VERSION}"
    if before == 0:
        return f"created the tables of namespace {namespace!r} (schema version {LATEST_VERSION})"
    return f"upgraded namespace {namespace!r} from schema version {before} to {LATEST_VERSION}"


def too_new(namespace: str, version: int) -> str:
    """Return the message for tables at a schema version this driver does not know."""
    return (
        f"the tables of namespace {namespace!r} are at schema version {version}, newer than "
        f"this sessionjar-postgres knows ({LATEST_VERSION}): upgrade sessionjar-postgres"
    )


def _version_1(names: Statements) -> tuple[sql.Composed, ...]:
    sessions = sql.SQL(
        """CREATE TABLE {} (
            handle text COLLATE "C" PRIMARY KEY,
            tenant text COLLATE "C" NOT NULL,
            user_id text COLLATE "C" NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            absolute_deadline timestamptz,
            access_payload jsonb NOT NULL CHECK (jsonb_typeof(access_payload) = 'object'),
            session_data jsonb NOT NULL CHECK (jsonb_typeof(session_data) = 'object'),
            refresh_hash text NOT NULL,
            prev_refresh_hash text,
            rotated_at timestamptz,
            version bigint NOT NULL
        )"""
    ).format(names.sessions)
    signing_keys = sql.SQL(
        """CREATE TABLE {} (
            kid text COLLATE "C" PRIMARY KEY,
            algorithm text NOT NULL,
            private_jwk jsonb NOT NULL CHECK (jsonb_typeof(private_jwk) = 'object'),
            created_at timestamptz NOT NULL,
            not_before timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )"""
    ).format(names.signing_keys)
    return (
        sessions,
        sql.SQL("CREATE INDEX {} ON {} (tenant, user_id)").format(
            names.user_index, names.sessions
        ),
        sql.SQL("CREATE INDEX {} ON {} (expires_at)").format(names.expiry_index, names.sessions),
        signing_keys,
    )


def _version_2(names: Statements) -> tuple[sql.Composed, ...]:
    # A constant default is kept in the catalog: no table rewrite, and every row written
    # before devices reads as {} (the client told us nothing then). NOT VALID: the check
    # holds for every write from now on without scanning the table under its lock, since
    # the rows already there hold the default, an object.
    return (
        sql.SQL("ALTER TABLE {} ADD COLUMN device jsonb NOT NULL DEFAULT '{{}}'::jsonb").format(
            names.sessions
        ),
        sql.SQL("ALTER TABLE {} ADD CHECK (jsonb_typeof(device) = 'object') NOT VALID").format(
            names.sessions
        ),
    )
