"""Bot command lists per scope and language, and which list a user sees.

``setMyCommands`` stores a list under (scope, language_code); Telegram shows
a user the first list that exists in the order documented under
"Determining list of commands"; :func:`visible_commands` follows it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.standin.errors import bad_request
from bot.standin.models import PlayChat
from bot.standin.state import CommandKey, State

JsonDict = dict[str, Any]
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^([a-z]{2})?$")
_SIMPLE_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")
ADMIN_STATUSES = ("creator", "administrator")


def scope_key(st: State, scope: Any, language_code: str | None) -> CommandKey:
    """Normalise a ``BotCommandScope`` JSON object and language into a storage key.

    Raises:
        ApiError: 400 for an unknown scope type, chat or language code.
    """
    language = language_code or ""
    if not _LANGUAGE.match(language):
        raise bad_request("invalid language code specified")
    if scope is None:
        return ("default",), language
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope.get("type")
    if kind in _SIMPLE_SCOPES:
        return (kind,), language
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("unsupported bot command scope type")
    raw_chat = scope.get("chat_id")
    chat = st.find_chat(raw_chat if isinstance(raw_chat, str) else int(raw_chat or 0))
    if kind != "chat_member":
        return (kind, chat.id), language
    user_id = int(scope.get("user_id") or 0)
    if user_id not in st.users:
        raise bad_request("user not found")
    return (kind, chat.id, user_id), language


def check_commands(raw: Any) -> list[JsonDict]:
    """Validate the ``commands`` parameter of setMyCommands."""
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > 100:
        raise bad_request("too many commands specified")
    out: list[JsonDict] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        out.append({"command": command, "description": description})
    return out


def visible_commands(
    st: State, chat: PlayChat, user_id: int | None = None, language_code: str | None = None
) -> list[JsonDict]:
    """The command list a user sees in ``chat`` (Telegram's scope resolution order)."""
    if chat.is_private:
        scopes: list[tuple[Any, ...]] = [("chat", chat.id), ("all_private_chats",)]
    else:
        is_admin = user_id is not None and chat.members.get(user_id) in ADMIN_STATUSES
        scopes = []
        if user_id is not None:
            scopes.append(("chat_member", chat.id, user_id))
        if is_admin:
            scopes.append(("chat_administrators", chat.id))
        scopes.append(("chat", chat.id))
        if is_admin:
            scopes.append(("all_chat_administrators",))
        scopes.append(("all_group_chats",))
    scopes.append(("default",))
    languages = [language_code, ""] if language_code else [""]
    for scope in scopes:
        for language in languages:
            found = st.commands.get((scope, language))
            if found is not None:
                return found
    return []
