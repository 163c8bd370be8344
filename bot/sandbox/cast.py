"""The sandbox's people: a lawyer and a coordinator in the lawyers' group, a reporter per browser
session, and the settings that make the real bot serve them."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.runtime import Runtime
from bot.standin import BotApiStandIn, PlayChat, PlayUser

# Fixed ids, so that a sandbox kept in --data-dir finds its staff again after a restart.
LAWYER_ID = 7_000_000_001
COORDINATOR_ID = 7_000_000_002
# Reporters get random ids in a range of their own, so none collides with a reporter that a kept
# database remembers from an earlier run.
REPORTER_IDS = (8_000_000_000, 9_000_000_000)
REPORTER_NAMES = ("Olga", "Aigerim", "Daniyar", "Maria", "Timur", "Zarina", "Arman", "Dina")
LANGUAGES = frozenset({"ru", "uk", "kk", "en"})
GROUP_TITLE = "Lawyers on call"
# Settings the sandbox chooses unless the environment names them (LAWYERS_LANGUAGE=ru ...).
SANDBOX_DEFAULTS: dict[str, Any] = {"lawyers_language": "en", "log_level": "WARNING"}
SEED_TIMEOUT = 15.0


@dataclass(frozen=True)
class Cast:
    """Who is in the sandbox's Telegram: staff and their group (reporters come per session)."""

    standin: BotApiStandIn
    lawyer: PlayUser
    coordinator: PlayUser
    group: PlayChat

    @classmethod
    def create(cls, standin: BotApiStandIn) -> Cast:
        """The lawyer Lena and the coordinator Kira, both in the lawyers' group with the bot."""
        lawyer = standin.new_user("Lena", "en", username="lena_lawyer", id=LAWYER_ID)
        coordinator = standin.new_user("Kira", "en", username="kira_coord", id=COORDINATOR_ID)
        group = standin.new_group(GROUP_TITLE, [coordinator, lawyer])
        return cls(standin, lawyer, coordinator, group)

    def new_reporter(self, language: str | None = None) -> PlayUser:
        """A new reporter with a first name and a language the bot speaks (else English)."""
        code = (language or "en").lower()[:2]
        name = REPORTER_NAMES[secrets.randbelow(len(REPORTER_NAMES))]
        while True:
            low, high = REPORTER_IDS
            user_id = low + secrets.randbelow(high - low)
            if user_id not in self.standin.state.users:
                return self.standin.new_user(name, code if code in LANGUAGES else "en", id=user_id)

    def settings(self, data_dir: Path) -> Settings:
        """Production settings pointed at the stand-in, this cast and `data_dir`.

        Nothing is read from `.env` (it may hold a real token); the environment still supplies
        anything the sandbox does not decide itself, such as CARD_DETAIL or LAWYERS_LANGUAGE.
        """
        named = {key.upper() for key in os.environ}
        values = {k: v for k, v in SANDBOX_DEFAULTS.items() if k.upper() not in named}
        values.update(
            bot_token=self.standin.token,
            bot_token_file=None,
            telegram_api_url=self.standin.base_url,
            database_url=f"sqlite+aiosqlite:///{data_dir.resolve() / 'intake.db'}",
            database_url_file=None,
            keyring_path=data_dir.resolve() / "keyring.json",
            lawyers_chat_id=self.group.id,
            lawyer_ids=str(self.lawyer.id),
            coordinator_ids=str(self.coordinator.id),
        )
        return load_settings(_env_file=None, **values)


async def seed_staff(cast: Cast, runtime: Runtime) -> None:
    """What staff do on their first day: the coordinator puts the lawyer on call around the
    clock (unless a kept roster has shifts), and the lawyer opens a private chat with the bot, so
    that it may page them. Both through Telegram (the stand-in), as people would."""
    async with runtime.store.transaction() as tx:
        has_roster = bool(await tx.staff.shifts())
    if not has_roster:
        args = f"add daily 00:00-24:00 primary {cast.lawyer.id}"
        await _command(cast, cast.coordinator, "/roster", args)
    else:
        await _command(cast, cast.coordinator, "/oncall")
    await _command(cast, cast.lawyer, "/oncall")


async def _command(cast: Cast, user: PlayUser, command: str, args: str = "") -> None:
    since = len(cast.standin.state.events)
    await cast.standin.send_command(user, command, args)
    await cast.standin.wait_for(
        lambda e: e.kind == "sent" and e.chat_id == user.id, timeout=SEED_TIMEOUT, since=since
    )
