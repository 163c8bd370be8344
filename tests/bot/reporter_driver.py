"""Play a reporter through the stand-in, by meaning (option ids), in any language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.intake_model import Action, PressEvent
from bot.domain.questionnaire.flow import Questionnaire
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage

QUESTIONNAIRE = Questionnaire.load()


@dataclass
class Reporter:
    """One reporter in their private chat with the bot."""

    standin: BotApiStandIn
    user: PlayUser
    last: StoredMessage | None = None

    async def _next(self, timeout: float = 10.0) -> StoredMessage:
        self.last = await self.standin.next_bot_message(self.user, timeout=timeout)
        return self.last

    async def command(self, text: str) -> StoredMessage:
        """Send a slash command and return the bot's reply."""
        await self.standin.send_command(self.user, text)
        return await self._next()

    async def say(self, text: str) -> StoredMessage:
        """Type a message and return the bot's reply."""
        await self.standin.send_text(self.user, text)
        return await self._next()

    async def send_document(self, data: bytes, name: str, mime: str) -> StoredMessage:
        """Upload a document and return the bot's reply."""
        await self.standin.send_document(self.user, data, name, mime)
        return await self._next()

    async def send_photo(self, data: bytes) -> StoredMessage:
        """Upload a photo and return the bot's reply."""
        await self.standin.send_photo(self.user, data)
        return await self._next()

    def button_data(
        self, action: Action, question: str | None = None, option: str | None = None
    ) -> str:
        """The callback data of a button on the last message, by meaning."""
        assert self.last is not None, "no bot message yet"
        qi = QUESTIONNAIRE.index(question) if question else -1
        oi = -1
        if question and option:
            q = QUESTIONNAIRE.get(question)
            assert q is not None
            oi = [o.id for o in q.options].index(option)
        for button in self.last.buttons():
            decoded = PressEvent.decode(button.get("callback_data") or "")
            if (
                decoded
                and decoded.action is action
                and (question is None or decoded.question == qi)
                and (option is None or decoded.option == oi)
            ):
                return str(button["callback_data"])
        labels = [(b["text"], b.get("callback_data")) for b in self.last.buttons()]
        raise LookupError(f"no {action.name} button for {question}/{option}: {labels}")

    async def press(
        self,
        action: Action,
        question: str | None = None,
        option: str | None = None,
        *,
        expect_reply: bool = True,
    ) -> StoredMessage:
        """Press a button on the last message; return the next bot message."""
        assert self.last is not None
        data = self.button_data(action, question, option)
        await self.standin.press_button(self.user, self.last, data=data)
        if not expect_reply:
            return self.last
        return await self._next()

    async def toggle(self, question: str, option: str) -> None:
        """Tick an option of a multiple-choice question (the message is edited in place)."""
        assert self.last is not None
        data = self.button_data(Action.TOGGLE, question, option)
        message_id = self.last.message_id
        since = len(self.standin.state.events)
        await self.standin.press_button(self.user, self.last, data=data)
        await self.standin.wait_for(
            lambda e: e.kind == "edited" and e.message_id == message_id, since=since
        )
        self.last = next(
            m for m in self.standin.transcript(self.user) if m.message_id == message_id
        )

    async def answer(self, question: str, value: Any) -> StoredMessage:
        """Answer the current question by meaning: an option id, a list of ids, text, or SKIP."""
        q = QUESTIONNAIRE.get(question)
        assert q is not None
        if value is SKIP:
            return await self.press(Action.SKIP, question)
        if value is UNKNOWN:
            return await self.press(Action.UNKNOWN, question)
        if q.type.value == "multi_choice":
            for option in value:
                await self.toggle(question, option)
            return await self.press(Action.DONE, question)
        if q.options:
            return await self.press(Action.CHOOSE, question, value)
        return await self.say(value)


SKIP = object()
UNKNOWN = object()

# A complete report that makes an URGENT case (no lawyer, in custody for hours).
FULL_REPORT: list[tuple[str, Any]] = [
    ("reporter_role", "relative"),
    ("detained_name", "Ivan Petrov"),
    ("detained_dob", "12.04.1990"),
    ("detained_at", "5 hours ago"),
    ("detained_city", "Almaty"),
    ("detained_place", SKIP),
    ("held_at", "police_station"),
    ("held_at_details", "District police station No. 5"),
    ("agency", "police"),
    ("citizenship", ["ru"]),
    ("removal_talk", "deportation"),
    ("lawyer_status", "none"),
    ("urgent_flags", ["none"]),
    ("grounds", "administrative"),
    ("article", SKIP),
    ("documents", ["passport"]),
    ("court_hearing", "no"),
    ("removal_time", UNKNOWN),
    ("removal_details", SKIP),
    ("interpreter", "no"),
    ("story", "They took him at the bus stop."),
    ("papers", SKIP),
    ("contact_method", "chat"),
    ("safe_times", SKIP),
    ("consent_family", "yes"),
    ("consent_public", "no"),
]
TIER0 = [
    qid for qid, _ in FULL_REPORT if QUESTIONNAIRE.get(qid) and QUESTIONNAIRE.get(qid).tier == 0
]  # type: ignore[union-attr]
