"""The one settings object, read from the environment and an optional `.env` file.

Both the bot and `migrations/env.py` use `load_settings()`. Names are the public contract
documented in `.env.example` and the README. Secrets are `SecretStr` and may come from a file
named by `<NAME>_FILE` (container secrets). Any bad value becomes a `ConfigError` whose message
is one sentence naming the setting, so start-up never shows a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATA_DIR = Path("data")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_RETENTION_DAYS = 90

# Settings whose value may instead be read from the file named by `<NAME>_FILE`.
_FILE_BACKED = ("bot_token", "database_url")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence naming it."""


def _parse_ids(value: object, setting: str) -> frozenset[int]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, int):
        return frozenset({value})
    if isinstance(value, list | tuple | set | frozenset):
        items = [str(v) for v in value]
    else:
        items = [part.strip() for part in str(value).split(",")]
    ids: set[int] = set()
    for item in items:
        if not item:
            continue
        try:
            ids.add(int(item))
        except ValueError:
            raise ValueError(
                f"{setting}: {item[:20]!r} is not a Telegram id (comma-separated integers expected)"
            ) from None
    return frozenset(ids)


class Settings(BaseSettings):
    """Immutable configuration of one bot process."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    bot_token_file: Path | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: SecretStr = SecretStr(f"sqlite+aiosqlite:///./{DEFAULT_DATA_DIR}/intake.db")
    database_url_file: Path | None = None
    keyring_path: Path = DEFAULT_DATA_DIR / "keyring.json"
    lawyers_chat_id: int | None = None
    lawyer_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    coordinator_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    log_level: str = "INFO"
    timezone: str = "Asia/Almaty"
    questionnaire_path: Path | None = None
    draft_ttl_hours: float = Field(default=6.0, gt=0)
    wipe_chat_by_default: bool = False
    max_reports_per_day: int = Field(default=5, ge=1)
    max_open_reports: int = Field(default=3, ge=1)
    max_messages_per_minute: int = Field(default=60, ge=1)
    # Pace requests under Telegram's flood limits. Off only against a local Bot API server
    # that has none (benchmarks of raw throughput).
    rate_limits: bool = True
    # Alerting
    card_detail: str = "summary"
    lawyers_language: str = "ru"
    name_lawyer_to_reporter: bool = False
    escalation_urgent_minutes: Annotated[tuple[float, ...], NoDecode] = (0, 5, 15, 30, 45, 60)
    escalation_high_minutes: Annotated[tuple[float, ...], NoDecode] = (0, 15, 60)
    claim_lapse_minutes: float = Field(default=30, gt=0)
    surge_cases: int = Field(default=10, ge=1)
    surge_window_minutes: float = Field(default=15, gt=0)
    digest_every_minutes: float = Field(default=3, gt=0)
    # Retention (storage/retention.py): a case in one of these closed statuses is crypto-shredded
    # (its data key destroyed) this many days after it was closed. Whole days, at least 1, or
    # `never`; empty means the default, 90. Open cases (new, triaged, assigned, in contact, in
    # court) never expire automatically; abandoned drafts follow DRAFT_TTL_HOURS.
    retention_days_closed: int | None = DEFAULT_RETENTION_DAYS
    retention_days_released: int | None = DEFAULT_RETENTION_DAYS
    retention_days_deported: int | None = DEFAULT_RETENTION_DAYS
    retention_days_convicted: int | None = DEFAULT_RETENTION_DAYS
    # How many days ahead expiring cases are shown (`retention list` without --days).
    retention_notice_days: int = Field(default=7, ge=1)
    # The audit anchor: a small authenticated file holding the newest audit entry, so removing
    # entries from the end of the log is detected. Default: audit-anchor.json in the directory of
    # KEYRING_PATH; set it when that directory is read-only (a mounted secret). Keep it off the
    # data disk, like the key file.
    audit_anchor_path: Path | None = None

    @field_validator("lawyer_ids", "coordinator_ids", "admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object, info: Any) -> frozenset[int]:
        return _parse_ids(value, str(info.field_name).upper())

    @field_validator("escalation_urgent_minutes", "escalation_high_minutes", mode="before")
    @classmethod
    def _minutes(cls, value: object, info: Any) -> tuple[float, ...]:
        setting = str(info.field_name).upper()
        if isinstance(value, tuple | list):
            items = [str(v) for v in value]
        else:
            items = [p.strip() for p in str(value).split(",") if p.strip()]
        try:
            minutes = tuple(float(item) for item in items)
        except ValueError:
            raise ValueError(f"{setting}: comma-separated minutes expected, like 0,5,15") from None
        if not minutes or minutes[0] != 0 or list(minutes) != sorted(set(minutes)):
            raise ValueError(f"{setting}: must start at 0 and increase, like 0,5,15")
        return minutes

    @field_validator(
        "retention_days_closed",
        "retention_days_released",
        "retention_days_deported",
        "retention_days_convicted",
        mode="before",
    )
    @classmethod
    def _retention_days(cls, value: object, info: Any) -> int | None:
        setting = str(info.field_name).upper()
        if value is None:
            return None
        text = str(value).strip().lower()
        if text == "":
            return DEFAULT_RETENTION_DAYS
        if text == "never":
            return None
        try:
            days = int(text)
        except ValueError:
            days = 0
        if days < 1:
            raise ValueError(f"{setting}: whole days of at least 1, or never")
        return days

    @field_validator(
        "questionnaire_path",
        "bot_token_file",
        "database_url_file",
        "audit_anchor_path",
        mode="before",
    )
    @classmethod
    def _optional_path(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("card_detail", mode="before")
    @classmethod
    def _card_detail(cls, value: object) -> str:
        level = str(value).strip().lower()
        if level not in ("minimal", "summary", "full"):
            raise ValueError("CARD_DETAIL: must be minimal, summary or full")
        return level

    @field_validator("lawyers_language", mode="before")
    @classmethod
    def _lawyers_language(cls, value: object) -> str:
        language = str(value).strip().lower()
        if language not in ("ru", "uk", "kk", "en"):
            raise ValueError("LAWYERS_LANGUAGE: must be ru, uk, kk or en")
        return language

    @field_validator("lawyers_chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> object:
        if value in ("", None):
            return None
        try:
            return int(str(value).strip())
        except ValueError:
            raise ValueError(
                f"LAWYERS_CHAT_ID: {str(value)[:20]!r} is not a Telegram chat id (an integer, "
                "negative for groups)"
            ) from None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL: {level[:20]!r} is not one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: object) -> str:
        name = str(value).strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"TIMEZONE: {name[:40]!r} is not a time zone such as Asia/Almaty"
            ) from None
        return name

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _api_url(cls, value: object) -> str:
        url = str(value).strip().rstrip("/")
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"TELEGRAM_API_URL: {url[:40]!r} is not an http(s) address")
        return url

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in _FILE_BACKED:
            file_value = data.get(f"{name}_file")
            if not file_value:
                continue
            if data.get(name):
                raise ValueError(
                    f"{name.upper()}: set {name.upper()} or {name.upper()}_FILE, not both"
                )
            path = Path(str(file_value))
            try:
                data[name] = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise ValueError(f"{name.upper()}_FILE: cannot read {path} ({reason})") from None
        return data

    @property
    def token(self) -> str | None:
        """The bot token in the clear, or None when not configured."""
        if self.bot_token is None:
            return None
        value = self.bot_token.get_secret_value().strip()
        return value or None

    @property
    def database_dsn(self) -> str:
        """The database URL in the clear (it may carry a password: never log it)."""
        return self.database_url.get_secret_value()

    @property
    def bot_api_base_url(self) -> str:
        """Method URL prefix, as for a self-hosted Bot API server: `{url}/bot<token>/<method>`."""
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_base_url(self) -> str:
        """File URL prefix: `{url}/file/bot<token>/<path>`."""
        return f"{self.telegram_api_url}/file/bot"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone in which reporters' times ("today 14:30") are read."""
        return ZoneInfo(self.timezone)

    @property
    def log_level_number(self) -> int:
        """The numeric logging level."""
        return int(logging.getLevelName(self.log_level))


def _first_error_sentence(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    location = error.get("loc") or ()
    if location and str(location[0]).upper() not in message:
        return f"{str(location[0]).upper()}: {message}"
    return message


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`; raise ConfigError in one sentence."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_first_error_sentence(exc)) from None
