"""What a running bot holds: settings, database engine, keyring, store. Opened with checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.questionnaire.schema import QuestionnaireError
from bot.telegram.downloads import FileFetcher
from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringError, KeyringHolder
from storage.repositories.audit import AuditAnchor, default_anchor_path
from storage.store import SqlStore
from storage.vault import Vault

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message is one sentence naming the setting to fix."""


@dataclass
class Runtime:
    """Long-lived resources of one bot process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keys: KeyringHolder
    store: SqlStore
    questionnaire: Questionnaire
    fetcher: FileFetcher = field(default_factory=FileFetcher)
    # Tests replace the clock to move time forward without sleeping.
    clock: Callable[[], datetime] | None = None

    def now(self) -> datetime:
        """The current time in the deployment's time zone."""
        if self.clock is not None:
            return self.clock()
        return datetime.now(self.settings.zone)

    async def close(self) -> None:
        """Release the database pool and the download client."""
        await self.fetcher.close()
        await self.engine.dispose()


def _reason(exc: BaseException) -> str:
    # The driver's own exception, not SQLAlchemy's wrapper, whose text includes the statement.
    original = getattr(exc, "orig", None) or exc.__cause__ or exc
    return type(original).__name__


async def check_database(engine: AsyncEngine) -> None:
    """Fail with one sentence if the database cannot be reached."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError) as exc:
        raise StartupError(
            f"DATABASE_URL: cannot connect to the database ({_reason(exc)}); check the address "
            "and that the server is running."
        ) from None


async def open_keyring(settings: Settings, engine: AsyncEngine, *, create: bool) -> KeyringHolder:
    """Load the keyring; create it only for a database that holds no encrypted data yet."""
    path = settings.keyring_path
    try:
        if path.exists() or path.is_symlink():
            return KeyringHolder(path)
        async with make_sessionmaker(engine)() as session:
            holds_data = await Vault.any_data_keys(session)
        if holds_data:
            raise StartupError(
                f"KEYRING_PATH: {path} is missing but the database holds encrypted cases; "
                "restore the key file from your backup (without it nothing can be read)."
            )
        if not create:
            raise StartupError(
                f"KEYRING_PATH: {path} does not exist; create it with `intake-bot keys init`."
            )
        Keyring.create(path)
        log.warning("created a new keyring; back it up off this server", extra={"path": str(path)})
        return KeyringHolder(path)
    except KeyringError as exc:
        raise StartupError(str(exc)) from None


def load_questionnaire(settings: Settings) -> Questionnaire:
    """The questionnaire definition, checked; StartupError names the problem."""
    try:
        if settings.questionnaire_path is None:
            return Questionnaire.load()
        return Questionnaire.load(settings.questionnaire_path)
    except QuestionnaireError as exc:
        raise StartupError(f"QUESTIONNAIRE_PATH: {exc}") from None


async def open_runtime(settings: Settings, *, create_keyring: bool = True) -> Runtime:
    """Connect, migrate to the newest schema, load keys: everything `run` needs, checked."""
    questionnaire = load_questionnaire(settings)
    engine = make_engine(settings.database_dsn)
    try:
        await check_database(engine)
        try:
            await migrate.upgrade(engine)
        except DBAPIError as exc:
            raise StartupError(
                f"DATABASE_URL: migrating the database failed ({_reason(exc)})."
            ) from None
        keys = await open_keyring(settings, engine, create=create_keyring)
    except BaseException:
        await engine.dispose()
        raise
    sessions = make_sessionmaker(engine)
    anchor = AuditAnchor(
        settings.audit_anchor_path or default_anchor_path(settings.keyring_path), keys
    )
    store = SqlStore(sessions, Vault(keys), audit_anchor=anchor)
    runtime = Runtime(settings, engine, sessions, keys, store, questionnaire)
    runtime.store.clock = runtime.now  # outbox times follow the runtime's (replaceable) clock
    return runtime
