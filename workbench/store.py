"""Where workshop sessions and submitted scenarios live: a SQLite file under ``var/`` by
default, PostgreSQL when ``FABRIQUE_DATABASE_URL`` (or ``Store(url)``) names one.

Why this module is over 450 lines: one schema and one set of queries for both backends
(SQLite, PostgreSQL), with the exactly-once rules that must stay in one place.

A submitted scenario is never lost: every write is one transaction, SQLite keeps a rollback
journal with ``synchronous=FULL`` (not WAL: see ``_sqlite_engine``), concurrent writers wait
for each other (``BEGIN IMMEDIATE`` and a busy timeout on SQLite, a row lock on the session
on PostgreSQL) instead of failing, and a client-generated idempotency key makes a retried
submit safe. Submissions of one session get increasing ids in commit order, so
``submissions(code, after_id)`` polling never skips one.

Text typed by participants is stored as typed (HTML included): whoever displays it escapes it.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from .errors import StoreError
from .paths import var_dir
from .text import (  # noqa: F401  (the limits are re-exported: the store's constraints)
    MAX_GROUP,
    MAX_PSEUDONYM,
    MAX_TEXT,
    MAX_TITLE,
    TextRefused,
    clean_line,
    clean_text,
)

__all__ = ["Ballot", "Draft", "Phase", "Store", "StoreError", "Submission", "Vote",
           "WorkshopSession",
           "current_futures", "format_code", "parse_code", "pseudonym_key"]

ENV_URL = "FABRIQUE_DATABASE_URL"
SQLITE_FILE = "fabrique.sqlite3"
SCHEMA_VERSION = 5  # 2: submissions carry the participant (workbench.identity); 3: drafts;
# 4: the vote on the consensus (ballots, votes); 5: the phase timer (phases)
BUSY_TIMEOUT_S = 15
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
MAX_LEVERS = 200
MAX_SHARE_CODE = 1000
MAX_META = 64  # model_version, territory, lever ids, idempotency key
MAX_DRAFT = 16_000  # characters of a draft's JSON: levers, join fields, a text being written
_PG_SCHEMA_LOCK = 0x0FAB2030  # advisory lock key taken while creating tables
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_LEVER_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

MSG_UNKNOWN_SESSION = "Aucun atelier ne correspond à ce code."
MSG_CLOSED = "Cet atelier est fermé : il n'accepte plus de nouveaux scénarios."
MSG_PSEUDONYM_TAKEN = ("Ce pseudonyme est déjà pris dans cet atelier par quelqu'un d'autre : "
                       "ajoutez une initiale ou choisissez-en un autre.")
MSG_NO_BALLOT = "Aucun vote n'est ouvert en ce moment dans cet atelier."
MSG_BALLOT_CHANGED = ("Le consensus soumis au vote vient de changer : relisez-le, puis "
                      "donnez votre avis.")
CHOICES = ("accord", "desaccord", "a_discuter")  # d'accord, pas d'accord, à discuter
MAX_THEMES = 32
MAX_PHASE = 80  # characters of a phase's name
MAX_PHASE_SECONDS = 4 * 3600
PHASE_OVER_SHOWN = 120  # s a phase's « Temps écoulé » stays on the pages
MSG_UNAVAILABLE = ("L'enregistrement est momentanément impossible. Réessayez dans un instant ; "
                   "si cela continue, prévenez l'animateur.")


class _UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

schema_table = Table(
    "fabrique_schema", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

sessions_table = Table(
    "fabrique_sessions", metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("title", String(MAX_TITLE), nullable=False),
    Column("created", _UTCDateTime(), nullable=False),
    Column("open", Boolean, nullable=False),
    CheckConstraint(f"length(title) BETWEEN 1 AND {MAX_TITLE}", name="ck_session_title"),
)

submissions_table = Table(
    "fabrique_submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(MAX_META), nullable=False, unique=True),
    Column("session_code", String(CODE_LENGTH), ForeignKey("fabrique_sessions.code"),
           nullable=False),
    Column("pseudonym", String(MAX_PSEUDONYM), nullable=False),
    # who sent it, as workbench.identity.participant_id (a hash); "" for rows of schema 1
    Column("participant", String(MAX_META), nullable=False, server_default=""),
    Column("group_name", String(MAX_GROUP), nullable=False),
    Column("levers", Text, nullable=False),  # JSON object: lever id -> value
    Column("share_code", String(MAX_SHARE_CODE), nullable=False),
    Column("text", Text, nullable=False),
    Column("model_version", String(MAX_META), nullable=False),
    Column("territory", String(MAX_META), nullable=False),
    Column("created", _UTCDateTime(), nullable=False),
    # The same limits as the validation below, so nothing invalid lands even if it is bypassed.
    CheckConstraint(f"length(pseudonym) BETWEEN 1 AND {MAX_PSEUDONYM}", name="ck_sub_pseudonym"),
    CheckConstraint(f"length(group_name) <= {MAX_GROUP}", name="ck_sub_group"),
    CheckConstraint(f"length(text) BETWEEN 1 AND {MAX_TEXT}", name="ck_sub_text"),
    Index("ix_fabrique_submissions_session_id", "session_code", "id"),
    sqlite_autoincrement=True,  # ids never reused
)

# What a page was doing, kept for its device so that a reload, a closed tab or a lost
# connection gives it back (workbench.app.draft). One row per owner, overwritten.
drafts_table = Table(
    "fabrique_drafts", metadata,
    Column("owner", String(MAX_META), primary_key=True),  # workbench.identity.draft_owner
    Column("data", Text, nullable=False),  # a JSON object, at most MAX_DRAFT characters
    Column("updated", _UTCDateTime(), nullable=False),
    CheckConstraint(f"length(data) <= {MAX_DRAFT}", name="ck_draft_data"),
)

# The vote on the consensus: the facilitator puts the panel's consensus (its share code) to
# the vote, theme by theme; each participant gives one choice per theme, which they may
# change while the vote is open. A new consensus put to the vote replaces the ballot; the
# votes on an older consensus are kept but no longer counted.
ballots_table = Table(
    "fabrique_ballots", metadata,
    Column("session_code", String(CODE_LENGTH), ForeignKey("fabrique_sessions.code"),
           primary_key=True),
    Column("share_code", String(MAX_SHARE_CODE), nullable=False),  # the consensus voted on
    Column("themes", Text, nullable=False),  # JSON list of the theme ids put to the vote
    Column("opened", _UTCDateTime(), nullable=False),
    Column("open", Boolean, nullable=False),
)

votes_table = Table(
    "fabrique_votes", metadata,
    Column("session_code", String(CODE_LENGTH), ForeignKey("fabrique_sessions.code"),
           primary_key=True),
    Column("participant", String(MAX_META), primary_key=True),  # identity.participant_id
    Column("theme", String(MAX_META), primary_key=True),
    Column("share_code", String(MAX_SHARE_CODE), nullable=False),
    Column("choice", String(16), nullable=False),
    Column("updated", _UTCDateTime(), nullable=False),
    CheckConstraint("choice IN ('accord', 'desaccord', 'a_discuter')", name="ck_vote_choice"),
)


# The facilitator's phase timer: the phase running in a session (its name, its length and
# when it started), so that a reloaded Plénière and every participant's page count down
# to the same end. Starting a phase replaces the previous one; stopping removes it.
phases_table = Table(
    "fabrique_phases", metadata,
    Column("session_code", String(CODE_LENGTH), ForeignKey("fabrique_sessions.code"),
           primary_key=True),
    Column("name", String(MAX_PHASE), nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("started", _UTCDateTime(), nullable=False),
    CheckConstraint(f"seconds > 0 AND seconds <= {MAX_PHASE_SECONDS}", name="ck_phase_seconds"),
)


@dataclass(frozen=True)
class Phase:
    """The phase a session's timer counts down."""

    session_code: str
    name: str
    seconds: int
    started: datetime  # timezone-aware UTC

    @property
    def run(self) -> int:
        """A number that tells this countdown from any other (the pages key on it)."""
        return int(self.started.timestamp() * 1_000_000)

    def shown(self, now: datetime | None = None) -> bool:
        """Running, or over for less than :data:`PHASE_OVER_SHOWN` seconds (the pages say
        « Temps écoulé » that long)."""
        now = now or datetime.now(UTC)
        return (now - self.started).total_seconds() < self.seconds + PHASE_OVER_SHOWN

    def left(self, now: datetime | None = None) -> int:
        """Whole seconds left at ``now`` (0 once over; never more than its length)."""
        now = now or datetime.now(UTC)
        gone = (now - self.started).total_seconds()
        return max(0, min(self.seconds, math.ceil(self.seconds - gone)))


@dataclass(frozen=True)
class Ballot:
    """The consensus a session is voting on."""

    session_code: str
    share_code: str
    themes: tuple[str, ...]
    opened: datetime  # timezone-aware UTC
    open: bool


@dataclass(frozen=True)
class Vote:
    """One participant's choice on one theme of the consensus."""

    participant: str
    theme: str
    choice: str  # one of CHOICES
    share_code: str
    updated: datetime


@dataclass(frozen=True)
class Draft:
    """A page's work in progress, as its app saved it (the store only checks its size)."""

    owner: str
    data: dict
    updated: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class WorkshopSession:
    """A workshop session: participants join it with its code."""

    code: str  # six characters of CODE_ALPHABET, e.g. "ABCDEF"; see `display_code`
    title: str
    created: datetime  # timezone-aware UTC
    open: bool

    @property
    def display_code(self) -> str:
        """The code as shown to participants: "ABC-DEF"."""
        return format_code(self.code)


@dataclass(frozen=True)
class Submission:
    """A scenario submitted by a participant in a workshop session."""

    id: int
    session_code: str
    pseudonym: str
    group: str
    levers: dict[str, float]
    share_code: str
    text: str
    model_version: str
    territory: str
    created: datetime
    participant: str = ""  # workbench.identity.participant_id; "" when unknown

    @property
    def person(self) -> str:
        """Who sent it, for counting people: the participant, or this row alone when the
        participant is unknown (rows stored before schema 2, scripts)."""
        return self.participant or f"n{self.id}"


def pseudonym_key(pseudonym: str) -> str:
    """Two pseudonyms are the same name when this is equal: « Zoé », « zoé » and « ZOÉ »
    (NFKC, case folded, spaces collapsed)."""
    return " ".join(unicodedata.normalize("NFKC", pseudonym).casefold().split())


def format_code(code: str) -> str:
    """A session code as shown to participants: "ABC-DEF"."""
    code = parse_code(code)
    return f"{code[:3]}-{code[3:]}"


def parse_code(code: object) -> str:
    """Normalise a typed session code ("abc def", "ABC-DEF", "abcdef") to "ABCDEF"."""
    if isinstance(code, str):
        norm = re.sub(r"[\s\-‐-―−]", "", code).upper()
        if len(norm) == CODE_LENGTH and all(c in CODE_ALPHABET for c in norm):
            return norm
    shown = code[:40] if isinstance(code, str) else type(code).__name__
    raise StoreError(f"{shown!r} is not a session code ({CODE_LENGTH} characters of "
                     f"{CODE_ALPHABET}, dash and spaces optional)", MSG_UNKNOWN_SESSION)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_line(value: object, field: str, label_fr: str, min_len: int, max_len: int) -> str:
    """A one-field text (pseudonym, group, title): the door's rules (workbench.text)."""
    try:
        return clean_line(value, label_fr, max_len, min_len)
    except TextRefused as err:
        raise StoreError(f"{field}: {err}", err.message_fr) from None


def _check_text(value: object) -> str:
    """The participant's "why this future is desirable" text: cleaned, 1..MAX_TEXT chars."""
    label = "Le texte « pourquoi ce futur est souhaitable »"
    if not isinstance(value, str):
        raise StoreError(f"text must be a str, got {type(value).__name__}",
                         f"{label} doit être du texte.")
    value = clean_text(value)
    if not value:
        raise StoreError("text is empty",
                         "Expliquez en quelques mots pourquoi ce futur est souhaitable.")
    if len(value) > MAX_TEXT:
        raise StoreError(f"text is {len(value)} characters long (at most {MAX_TEXT})",
                         f"{label} dépasse {MAX_TEXT} caractères ({len(value)} saisis) : "
                         "merci de le raccourcir.")
    # lone surrogates cannot be encoded: refuse them here (NUL is removed by clean_text)
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise StoreError("text contains a lone surrogate",
                         f"{label} contient des caractères non autorisés.")
    return value


def _check_meta(value: object, field: str, max_len: int, min_len: int = 1) -> str:
    """Technical strings set by the app (share code, model version, territory)."""
    if (not isinstance(value, str) or not min_len <= len(value) <= max_len
            or any(unicodedata.category(c) in ("Cc", "Cs") for c in value)):
        raise StoreError(f"{field} must be printable text of {min_len}..{max_len} characters, "
                         f"got {value!r:.80}", "Le scénario est mal formé.")
    return value


def _check_levers(levers: object) -> dict[str, float]:
    """A non-empty mapping of lever id -> finite number, as floats."""
    msg_fr = "Les valeurs des leviers ne sont pas valides."
    if not isinstance(levers, Mapping) or not levers:
        raise StoreError(f"levers must be a non-empty mapping, got {levers!r:.80}", msg_fr)
    if len(levers) > MAX_LEVERS:
        raise StoreError(f"{len(levers)} levers given (at most {MAX_LEVERS})", msg_fr)
    out = {}
    for key, value in levers.items():
        if not isinstance(key, str) or not _LEVER_ID_RE.match(key):
            raise StoreError(f"lever id {key!r:.80} is not an identifier", msg_fr)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise StoreError(f"lever '{key}': {value!r:.80} is not a number", msg_fr)
        v = float(value)
        if not math.isfinite(v):
            raise StoreError(f"lever '{key}': {value!r} is not a finite number", msg_fr)
        out[key] = v
    return out


def _to_session(row) -> WorkshopSession:
    return WorkshopSession(code=row.code, title=row.title, created=row.created,
                           open=bool(row.open))


def _to_ballot(row) -> Ballot:
    return Ballot(row.session_code, row.share_code, tuple(json.loads(row.themes)),
                  row.opened, bool(row.open))


def _to_submission(row) -> Submission:
    return Submission(
        id=row.id, session_code=row.session_code, pseudonym=row.pseudonym,
        group=row.group_name, levers={k: float(v) for k, v in json.loads(row.levers).items()},
        share_code=row.share_code, text=row.text, model_version=row.model_version,
        territory=row.territory, created=row.created, participant=row.participant)


def _resolve_url(url: str | None) -> URL:
    raw = url if url is not None else (os.environ.get(ENV_URL) or "").strip() or None
    if raw is None:
        folder = var_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(folder / SQLITE_FILE))
    try:
        sa_url = make_url(raw)
    except (ArgumentError, ValueError, TypeError):
        where = "the url given to Store()" if url is not None else ENV_URL
        raise StoreError(f"{where} is not a database URL (expected e.g. "
                         "sqlite:///var/fabrique.sqlite3 or "
                         "postgresql+psycopg://user@host:5432/db)", MSG_UNAVAILABLE) from None
    if sa_url.drivername in ("postgresql", "postgres"):
        sa_url = sa_url.set(drivername="postgresql+psycopg")  # the driver this project installs
    if sa_url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {sa_url.get_backend_name()!r} in "
                         f"{sa_url.render_as_string(hide_password=True)} "
                         "(use sqlite or postgresql)", MSG_UNAVAILABLE)
    return sa_url


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if memory:  # one shared connection: for quick experiments, not for concurrent writers
        engine = create_engine(url, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy emits BEGIN itself (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        # A rollback journal, not WAL. WAL maps its -shm index into every process that has
        # the file open, and when that file was removed or truncated under running kernels
        # (a full or failing disk, a careless cleanup), the next access killed the kernel
        # with SIGBUS, with no message for the participant. A rollback journal is plain
        # file I/O: the same failure is an error the store reports in French. Writers
        # already queue on BEGIN IMMEDIATE and the busy timeout; readers wait for a commit
        # as long as it lasts (milliseconds for one submission). No memory map either.
        cur.execute("PRAGMA journal_mode = DELETE")
        cur.execute("PRAGMA mmap_size = 0")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so they queue on busy_timeout rather than
        # failing with "database is locked" when upgrading a read lock; readers stay deferred.
        write = conn.get_execution_options().get("fabrique_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Store:
    """Workshop sessions and submitted scenarios, in SQLite or PostgreSQL."""

    url: str  # the database URL, password masked

    def __init__(self, url: str | None = None):
        """Open the store at `url`, else $FABRIQUE_DATABASE_URL, else var/fabrique.sqlite3."""
        sa_url = _resolve_url(url)
        self.url = sa_url.render_as_string(hide_password=True)
        self._backend = sa_url.get_backend_name()
        try:
            if self._backend == "sqlite":
                self._engine = _sqlite_engine(sa_url)
            else:
                self._engine = create_engine(sa_url, pool_pre_ping=True,
                                             connect_args={"connect_timeout": 10})
        except (ArgumentError, NoSuchModuleError, ImportError) as err:
            raise StoreError(f"{self.url}: cannot create the database engine: {err}",
                             MSG_UNAVAILABLE) from None
        self._write_engine = self._engine.execution_options(fabrique_write=True)
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def dispose(self) -> None:
        """Close every pooled database connection (the store reconnects on next use)."""
        self._engine.dispose()

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _db(self, action: str, write: bool) -> Iterator[Connection]:
        """A connection in one transaction (committed at the end, rolled back on error), with
        database failures turned into a StoreError."""
        self._ensure_schema()
        try:
            if write:
                with self._write_engine.begin() as conn:
                    yield conn
            else:
                with self._engine.connect() as conn:
                    yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as err:
            raise self._failure(action, err) from err

    def _upsert(self, table: Table, key: Mapping, values: Mapping):
        """INSERT … ON CONFLICT (the primary key ``key``) DO UPDATE ``values``, in this
        backend's dialect."""
        dialect = sqlite_insert if self._backend == "sqlite" else pg_insert
        return dialect(table).values(**key, **values).on_conflict_do_update(
            index_elements=[table.c[k] for k in key], set_=dict(values))

    def _failure(self, action: str, err: Exception) -> StoreError:
        orig = getattr(err, "orig", None) or err
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
        return StoreError(f"{self.url}: {action} failed: {type(orig).__name__}: {first}",
                          MSG_UNAVAILABLE)

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                with self._write_engine.begin() as conn:
                    if self._backend == "postgresql":  # DDL is transactional there
                        conn.execute(select(func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
                    metadata.create_all(conn)
                    found = conn.execute(select(func.max(schema_table.c.version))).scalar()
                    if found is None:
                        conn.execute(insert(schema_table).values(version=SCHEMA_VERSION))
                    elif found < SCHEMA_VERSION:
                        _migrate(conn, found)
                    elif found > SCHEMA_VERSION:
                        raise StoreError(
                            f"{self.url}: schema version {found} was written by a newer "
                            f"workbench (this one knows {SCHEMA_VERSION})", MSG_UNAVAILABLE)
            except SQLAlchemyError as err:
                raise self._failure("opening the store", err) from err
            self._ready = True

    # -- sessions ---------------------------------------------------------------------------

    def create_session(self, title: str) -> WorkshopSession:
        """Open a new workshop session with a fresh random join code."""
        title = _check_line(title, "title", "Le titre de l'atelier", 1, MAX_TITLE)
        created = datetime.now(UTC)
        for _ in range(20):
            code = _new_code()
            try:
                with self._db("creating a session", write=True) as conn:
                    conn.execute(insert(sessions_table).values(
                        code=code, title=title, created=created, open=True))
            except IntegrityError:
                continue  # code already taken: draw another
            return WorkshopSession(code=code, title=title, created=created, open=True)
        raise StoreError(f"{self.url}: no free session code after 20 draws", MSG_UNAVAILABLE)

    def get_session(self, code: str) -> WorkshopSession:
        """The session with this join code (any spelling: "abc def", "ABC-DEF")."""
        code = parse_code(code)
        with self._db("reading a session", write=False) as conn:
            row = conn.execute(select(sessions_table).where(sessions_table.c.code == code)).first()
        if row is None:
            raise StoreError(f"no session with code {code!r}", MSG_UNKNOWN_SESSION)
        return _to_session(row)

    def sessions(self) -> list[WorkshopSession]:
        """Every session, oldest first."""
        with self._db("listing sessions", write=False) as conn:
            rows = conn.execute(select(sessions_table).order_by(
                sessions_table.c.created, sessions_table.c.code)).all()
        return [_to_session(r) for r in rows]

    def close_session(self, code: str) -> None:
        """Close a session: it keeps its submissions but refuses new ones."""
        code = parse_code(code)
        with self._db("closing a session", write=True) as conn:
            result = conn.execute(update(sessions_table).where(sessions_table.c.code == code)
                                  .values(open=False))
            if result.rowcount == 0:
                raise StoreError(f"no session with code {code!r}", MSG_UNKNOWN_SESSION)

    # -- submissions ------------------------------------------------------------------------

    def submit(self, session_code: str, pseudonym: str, levers: Mapping[str, float], text: str,
               *, group: str = "", share_code: str, model_version: str, territory: str,
               key: str, participant: str = "") -> Submission:
        """Store a participant's scenario; the same `key` again returns the first one.

        With a ``participant`` (:func:`workbench.identity.participant_id`), a pseudonym that
        another participant already used in the session is refused
        (:data:`MSG_PSEUDONYM_TAKEN`), and the new row becomes that participant's current
        future (:meth:`current`); the earlier ones stay as history."""
        code = parse_code(session_code)
        pseudonym = _check_line(pseudonym, "pseudonym", "Le pseudonyme", 1, MAX_PSEUDONYM)
        group = _check_line(group, "group", "Le nom du groupe", 0, MAX_GROUP)
        text = _check_text(text)
        values = _check_levers(levers)
        share_code = _check_meta(share_code, "share_code", MAX_SHARE_CODE)
        model_version = _check_meta(model_version, "model_version", MAX_META)
        territory = _check_meta(territory, "territory", MAX_META)
        if participant and (not isinstance(participant, str) or not _KEY_RE.match(participant)):
            raise StoreError(f"participant {participant!r:.80} must be 8..64 characters of "
                             "[A-Za-z0-9_-]", "Le scénario est mal formé.")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise StoreError(f"idempotency key {key!r:.80} must be 8..64 characters "
                             "of [A-Za-z0-9_-] (a uuid4 hex)", "Le scénario est mal formé.")
        row = dict(key=key, session_code=code, pseudonym=pseudonym, group_name=group,
                   levers=json.dumps(values, sort_keys=True, allow_nan=False),
                   share_code=share_code, text=text, model_version=model_version,
                   territory=territory, participant=participant or "")
        try:
            with self._db("saving a submission", write=True) as conn:
                # Lock the session row (PostgreSQL; SQLite holds its write lock already): a
                # concurrent close waits, and ids of one session are committed in order.
                session = conn.execute(select(sessions_table.c.open)
                                       .where(sessions_table.c.code == code)
                                       .with_for_update()).first()
                if session is None:
                    raise StoreError(f"no session with code {code!r}", MSG_UNKNOWN_SESSION)
                existing = conn.execute(select(submissions_table)
                                        .where(submissions_table.c.key == key)).first()
                if existing is not None:
                    return self._same_session(_to_submission(existing), code)
                if not session.open:
                    raise StoreError(f"session {code!r} is closed", MSG_CLOSED)
                if participant and _taken(conn, code, pseudonym, participant):
                    raise StoreError(f"pseudonym taken in session {code!r}", MSG_PSEUDONYM_TAKEN)
                row["created"] = datetime.now(UTC)  # taken under the lock: follows id order
                result = conn.execute(insert(submissions_table).values(**row))
                new_id = result.inserted_primary_key[0]
                stored = conn.execute(select(submissions_table)
                                      .where(submissions_table.c.id == new_id)).one()
                return _to_submission(stored)
        except IntegrityError as err:
            # Most likely the same key committed by a concurrent call: return that one.
            first = self._by_key(key)
            if first is not None:
                return self._same_session(first, code)
            raise self._failure("saving a submission", err) from err

    def pseudonym_taken(self, session_code: str, pseudonym: str, participant: str) -> bool:
        """Whether another participant already sent a future under this pseudonym (in the
        sense of :func:`pseudonym_key`) in this session. Rows whose participant is unknown
        do not count: nobody can tell whose they are."""
        code = parse_code(session_code)
        with self._db("reading pseudonyms", write=False) as conn:
            return _taken(conn, code, pseudonym, participant)

    def _same_session(self, sub: Submission, code: str) -> Submission:
        if sub.session_code != code:
            raise StoreError(f"idempotency key already used in session {sub.session_code!r}",
                             "Le scénario est mal formé.")
        return sub

    def _by_key(self, key: str) -> Submission | None:
        with self._db("reading a submission", write=False) as conn:
            row = conn.execute(select(submissions_table)
                               .where(submissions_table.c.key == key)).first()
        return None if row is None else _to_submission(row)

    def submissions(self, session_code: str, after_id: int = 0) -> list[Submission]:
        """A session's submissions with id > `after_id`, by id (cheap polling)."""
        code = parse_code(session_code)
        if isinstance(after_id, bool) or not isinstance(after_id, int):
            raise StoreError(f"after_id must be an int, got {after_id!r:.40}",
                             "Requête invalide.")
        with self._db("listing submissions", write=False) as conn:
            found = conn.execute(select(sessions_table.c.code)
                                 .where(sessions_table.c.code == code)).first()
            if found is None:
                raise StoreError(f"no session with code {code!r}", MSG_UNKNOWN_SESSION)
            rows = conn.execute(select(submissions_table)
                                .where(submissions_table.c.session_code == code,
                                       submissions_table.c.id > after_id)
                                .order_by(submissions_table.c.id)).all()
        return [_to_submission(r) for r in rows]

    # -- drafts -----------------------------------------------------------------------------

    def save_draft(self, owner: str, data: Mapping) -> Draft:
        """Keep ``data`` (a JSON object) as ``owner``'s draft, replacing the previous one."""
        owner = _check_owner(owner)
        try:
            raw = json.dumps(dict(data), ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise StoreError(f"draft is not a JSON object: {err}",
                             "Le brouillon est mal formé.") from None
        if len(raw) > MAX_DRAFT:
            raise StoreError(f"draft is {len(raw)} characters long (at most {MAX_DRAFT})",
                             "Le brouillon est trop long.")
        updated = datetime.now(UTC)
        stmt = self._upsert(drafts_table, {"owner": owner}, {"data": raw, "updated": updated})
        with self._db("saving a draft", write=True) as conn:
            conn.execute(stmt)
        return Draft(owner=owner, data=json.loads(raw), updated=updated)

    def draft(self, owner: str) -> Draft | None:
        """``owner``'s draft, or None."""
        owner = _check_owner(owner)
        with self._db("reading a draft", write=False) as conn:
            row = conn.execute(select(drafts_table)
                               .where(drafts_table.c.owner == owner)).first()
        if row is None:
            return None
        try:
            data = json.loads(row.data)
        except ValueError:
            data = None
        return Draft(owner=owner, data=data, updated=row.updated) if isinstance(data, dict) \
            else None

    def forget_draft(self, owner: str) -> None:
        """Remove ``owner``'s draft (nothing happens if there is none)."""
        owner = _check_owner(owner)
        with self._db("removing a draft", write=True) as conn:
            conn.execute(delete(drafts_table).where(drafts_table.c.owner == owner))

    # -- the phase timer -------------------------------------------------------------------

    def start_phase(self, session_code: str, name: str, seconds: int) -> Phase:
        """Start the session's phase timer (replacing a running one)."""
        code = self.get_session(session_code).code
        name = clean_line(name, "Le nom de la phase", MAX_PHASE, min_len=0)
        if not isinstance(seconds, int) or not 0 < seconds <= MAX_PHASE_SECONDS:
            raise StoreError(f"a phase lasts 1..{MAX_PHASE_SECONDS} s, not {seconds!r:.20}",
                             "Cette durée n'est pas possible.")
        started = datetime.now(UTC)
        stmt = self._upsert(phases_table, {"session_code": code},
                            {"name": name, "seconds": seconds, "started": started})
        with self._db("starting the timer", write=True) as conn:
            conn.execute(stmt)
        return Phase(code, name, seconds, started)

    def stop_phase(self, session_code: str) -> None:
        """Stop the session's timer (nothing happens if none runs)."""
        code = parse_code(session_code)
        with self._db("stopping the timer", write=True) as conn:
            conn.execute(delete(phases_table).where(phases_table.c.session_code == code))

    def phase(self, session_code: str) -> Phase | None:
        """The session's phase timer, running or over, or None when none was started."""
        code = parse_code(session_code)
        with self._db("reading the timer", write=False) as conn:
            row = conn.execute(select(phases_table)
                               .where(phases_table.c.session_code == code)).first()
        return None if row is None else Phase(row.session_code, row.name, int(row.seconds),
                                              row.started)

    # -- the vote on the consensus --------------------------------------------------------

    def open_ballot(self, session_code: str, share_code: str, themes) -> Ballot:
        """Put a consensus (its share code) to the vote on ``themes``, replacing any
        earlier ballot of the session."""
        code = self.get_session(session_code).code
        share_code = _check_meta(share_code, "share_code", MAX_SHARE_CODE)
        themes = tuple(dict.fromkeys(_check_meta(t, "theme", MAX_META) for t in themes))
        if not 1 <= len(themes) <= MAX_THEMES:
            raise StoreError(f"a ballot needs 1..{MAX_THEMES} themes, got {len(themes)}",
                             "Le consensus ne change aucun levier : rien à soumettre au vote.")
        opened = datetime.now(UTC)
        row = {"share_code": share_code, "themes": json.dumps(list(themes)),
               "opened": opened, "open": True}
        stmt = self._upsert(ballots_table, {"session_code": code}, row)
        with self._db("opening a vote", write=True) as conn:
            conn.execute(stmt)
        return Ballot(code, share_code, themes, opened, True)

    def close_ballot(self, session_code: str) -> None:
        """End the vote: the choices made stay counted, no new one is taken."""
        code = parse_code(session_code)
        with self._db("closing a vote", write=True) as conn:
            conn.execute(update(ballots_table).where(ballots_table.c.session_code == code)
                         .values(open=False))

    def ballot(self, session_code: str) -> Ballot | None:
        """The session's ballot (open or closed), or None if no vote was ever opened."""
        code = parse_code(session_code)
        with self._db("reading a vote", write=False) as conn:
            row = conn.execute(select(ballots_table)
                               .where(ballots_table.c.session_code == code)).first()
        return None if row is None else _to_ballot(row)

    def vote(self, session_code: str, participant: str, theme: str, choice: str,
             share_code: str) -> Vote:
        """Record (or change) ``participant``'s choice on ``theme`` of the consensus
        ``share_code``; refused in French when no vote is open or the consensus changed."""
        code = parse_code(session_code)
        participant = _check_meta(participant, "participant", MAX_META)
        if choice not in CHOICES:
            raise StoreError(f"vote choice {choice!r:.40} is not one of {CHOICES}",
                             "Ce choix n'existe pas.")
        updated = datetime.now(UTC)
        with self._db("recording a vote", write=True) as conn:
            # locked until the vote is stored: a vote closed or replaced meanwhile is refused
            # (SQLite's writes are serialised already; PostgreSQL reads committed rows)
            row = conn.execute(select(ballots_table).with_for_update()
                               .where(ballots_table.c.session_code == code)).first()
            ballot = None if row is None else _to_ballot(row)
            if ballot is None or not ballot.open:
                raise StoreError(f"no open ballot in session {code}", MSG_NO_BALLOT)
            if share_code != ballot.share_code:
                raise StoreError("vote on another consensus than the ballot's",
                                 MSG_BALLOT_CHANGED)
            if theme not in ballot.themes:
                raise StoreError(f"theme {theme!r:.40} is not on the ballot",
                                 "Ce thème n'est pas soumis au vote.")
            values = {"share_code": share_code, "choice": choice, "updated": updated}
            conn.execute(self._upsert(votes_table, {"session_code": code,
                                                    "participant": participant,
                                                    "theme": theme}, values))
        return Vote(participant, theme, choice, share_code, updated)

    def votes(self, session_code: str) -> list[Vote]:
        """The choices counted in the session's ballot: those on its consensus."""
        code = parse_code(session_code)
        with self._db("reading the votes", write=False) as conn:
            rows = conn.execute(
                select(votes_table).join(ballots_table, (
                    ballots_table.c.session_code == votes_table.c.session_code)
                    & (ballots_table.c.share_code == votes_table.c.share_code))
                .where(votes_table.c.session_code == code)
                .order_by(votes_table.c.theme, votes_table.c.participant)).all()
        return [Vote(r.participant, r.theme, r.choice, r.share_code, r.updated) for r in rows]

    def current(self, session_code: str) -> list[Submission]:
        """A session's current futures: each participant's latest, by id (the Plénière,
        the consensus and the export count people, not clicks)."""
        return current_futures(self.submissions(session_code))

    def get_submission(self, submission_id: int) -> Submission:
        """One submission by id."""
        if isinstance(submission_id, bool) or not isinstance(submission_id, int):
            raise StoreError(f"submission id must be an int, got {submission_id!r:.40}",
                             "Ce scénario est introuvable.")
        with self._db("reading a submission", write=False) as conn:
            row = conn.execute(select(submissions_table)
                               .where(submissions_table.c.id == submission_id)).first()
        if row is None:
            raise StoreError(f"no submission with id {submission_id}",
                             "Ce scénario est introuvable.")
        return _to_submission(row)


def current_futures(subs) -> list[Submission]:
    """Each person's latest submission (:attr:`Submission.person`), by id."""
    latest: dict[str, Submission] = {}
    for sub in sorted(subs, key=lambda x: x.id):
        latest[sub.person] = sub
    return sorted(latest.values(), key=lambda x: x.id)


def _check_owner(owner: object) -> str:
    if not isinstance(owner, str) or not _KEY_RE.match(owner):
        raise StoreError(f"draft owner {owner!r:.80} must be 8..64 characters of [A-Za-z0-9_-]",
                         "Le brouillon est mal formé.")
    return owner


def _taken(conn: Connection, code: str, pseudonym: str, participant: str) -> bool:
    wanted = pseudonym_key(pseudonym)
    rows = conn.execute(select(submissions_table.c.pseudonym, submissions_table.c.participant)
                        .where(submissions_table.c.session_code == code,
                               submissions_table.c.participant != "")
                        .distinct()).all()
    return any(p != participant and pseudonym_key(name) == wanted for name, p in rows)


def _migrate(conn: Connection, found: int) -> None:
    """Bring a store written by an older workbench to :data:`SCHEMA_VERSION`, in the
    schema's transaction (PostgreSQL) or under SQLite's write lock."""
    if found < 2:  # schema 1 had no participant: its rows keep "" (each counts alone)
        conn.execute(sql_text("ALTER TABLE fabrique_submissions ADD COLUMN participant "
                          f"VARCHAR({MAX_META}) NOT NULL DEFAULT ''"))
    # schema 3 added fabrique_drafts, schema 4 the ballots and votes, schema 5 the phases:
    # create_all made them
    conn.execute(update(schema_table).values(version=SCHEMA_VERSION))
