"""Helpers for hostile-input tests: raw Bot API updates, and "is this one of the bot's sentences".

Raw updates are built the way Telegram would send them (or the way a forged or malformed one
would look), for `BotApiStandIn.send_raw_update`.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import Catalogs, Translator
from bot.standin import BotApiStandIn, PlayChat, PlayUser, StoredMessage
from bot.texts import UI

JsonDict = dict[str, Any]
QUESTIONNAIRE = Questionnaire.load()
CATALOGS = Catalogs()
_PLACEHOLDER = re.compile(r"\{\w+\}")
# Texts this short (button labels, "No", "✓") are not checked: they would match anywhere.
_MIN_TEMPLATE = 8


def chat_json(standin: BotApiStandIn, chat: PlayChat | PlayUser | int) -> JsonDict:
    """The Bot API Chat object of a chat the stand-in knows."""
    return standin.chat(chat).to_api()


def message_json(
    standin: BotApiStandIn,
    sender: PlayUser | None,
    chat: PlayChat | PlayUser | int,
    *,
    message_id: int | None = None,
    **fields: Any,
) -> JsonDict:
    """A Message object as Telegram sends it; `fields` add text, media or anything else.

    Without `message_id` the chat's next id is reserved, so the message does not collide with
    real ones (the stand-in does not store it: it is only what the bot receives).
    """
    target = standin.chat(chat)
    if message_id is None:
        message_id = target.next_message_id
        target.next_message_id += 1
    out: JsonDict = {
        "message_id": message_id,
        "date": standin.state.now(),
        "chat": target.to_api(),
    }
    if sender is not None:
        out["from"] = sender.to_api()
    out.update(fields)
    return out


def callback_json(
    standin: BotApiStandIn,
    presser: PlayUser,
    message: StoredMessage | None,
    data: str | None,
    **fields: Any,
) -> JsonDict:
    """A CallbackQuery with an id the stand-in will accept an answer for.

    `data=None` leaves the field out (as for game buttons); `message=None` makes an inline-mode
    query (only `inline_message_id`).
    """
    if message is not None:
        record = standin.state.add_callback(presser, message, data)
    else:
        anchor = standin.transcript(presser)[-1]
        record = standin.state.add_callback(presser, anchor, data)
    query: JsonDict = {
        "id": record.id,
        "from": presser.to_api(),
        "chat_instance": "4242",
    }
    if message is not None:
        query["message"] = standin.state.message_json(message)
    else:
        query["inline_message_id"] = "AAAAAAAAAAAAAAAAAAAAAA"
    if data is not None:
        query["data"] = data
    query.update(fields)
    return query


POLL_ID = "5123456789012345678"


def poll_json() -> JsonDict:
    """A complete, valid Poll object (Bot API 10: persistent ids, revoting, members only)."""
    return {
        "id": POLL_ID,
        "question": "'; DROP TABLE cases; -- <b>?</b>",
        "options": [
            {"persistent_id": "o1", "text": "{0} %s", "voter_count": 0},
            {"persistent_id": "o2", "text": "\u202eevil", "voter_count": 1},
        ],
        "total_voter_count": 1,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }


def poll_answer_json(user: PlayUser) -> JsonDict:
    """A PollAnswer of a user."""
    return {
        "poll_id": POLL_ID,
        "user": user.to_api(),
        "option_ids": [0, 1],
        "option_persistent_ids": ["o1", "o2"],
    }


def reaction_json(standin: BotApiStandIn, user: PlayUser, message_id: int) -> JsonDict:
    """A MessageReactionUpdated on a message of the user's private chat."""
    return {
        "chat": chat_json(standin, user),
        "message_id": message_id,
        "user": user.to_api(),
        "date": standin.state.now(),
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
    }


def join_request_json(standin: BotApiStandIn, user: PlayUser, group: PlayChat) -> JsonDict:
    """A ChatJoinRequest of a user to a group."""
    return {
        "chat": group.to_api(),
        "from": user.to_api(),
        "user_chat_id": user.id,
        "date": standin.state.now(),
        "bio": "<script>alert(1)</script>",
    }


# -- the bot's sentences ---------------------------------------------------------------------


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    body = ""
    for i, part in enumerate(parts):
        body += re.escape(part)
        if i < len(parts) - 1:
            body += "[^\\n]*" if i == len(parts) - 2 and not parts[-1] else "[^\\n]*?"
    return re.compile(body)


# Texts of other parts of the bot (lawyers' alerts, staff commands) that a reporter might be
# answered with: (module, catalog, Translator method). Those not built yet are left out.
_OTHER_CATALOGS = (
    ("bot.alerts.texts", "ALERT_TEXTS", "alert"),
    ("bot.staff.texts", "STAFF_TEXTS", "staff"),
)


def _other_texts(tr: Translator) -> list[str]:
    texts: list[str] = []
    for module_name, catalog, method in _OTHER_CATALOGS:
        try:
            keys = getattr(importlib.import_module(module_name), catalog)
        except (ImportError, AttributeError):
            continue
        translate = getattr(tr, method, None)
        if translate is not None:
            texts.extend(translate(key) for key in keys)
    return texts


@cache
def _patterns(language: str) -> tuple[re.Pattern[str], ...]:
    tr = CATALOGS.translator(language)
    texts = [tr.ui(key) for key in UI] + _other_texts(tr)
    for question in QUESTIONNAIRE.questions:
        texts.append(tr.question(question))
        hint = tr.hint(question)
        if hint:
            texts.append(hint)
    texts = sorted({t for t in texts if len(t) >= _MIN_TEMPLATE}, key=len, reverse=True)
    return tuple(_pattern(t) for t in texts)


def unexplained(text: str, language: str) -> str:
    """What is left of a bot message once every sentence the bot can say is taken out."""
    for pattern in _patterns(language):
        text = pattern.sub("\n", text)
    return text.strip()


def assert_bot_sentence(text: str | None, tr: Translator) -> None:
    """The message is not empty and says nothing but the bot's own sentences."""
    assert text, "the bot sent an empty message"
    for marker in ("Traceback", "Exception", "Error:", 'File "'):
        assert marker not in text, f"the bot sent what looks like an error dump: {text[:300]!r}"
    left = unexplained(text, tr.language)
    assert left == "", f"not one of the bot's sentences: {left[:300]!r} in {text[:500]!r}"
