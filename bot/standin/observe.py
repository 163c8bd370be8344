"""Reading and awaiting what happened: transcripts, the event log, bot replies.

Every wait is driven by the state's :class:`~bot.standin.signals.Signal`
(woken on each logged event), never by sleeping, and ends with a
``TimeoutError`` that says what was awaited and what the chat holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.standin.commands import visible_commands
from bot.standin.faults import Faults
from bot.standin.models import Event, PlayChat, PlayUser, StoredMessage
from bot.standin.signals import wait_until
from bot.standin.state import State
from bot.standin.stats import Stats

JsonDict = dict[str, Any]
ChatRef = int | PlayUser | PlayChat


class Observer:
    """The reading half of the test-facing API (see :class:`~bot.standin.players.Players`)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._cursors: dict[int, int] = {}

    @property
    def stats(self) -> Stats:
        """Counters of calls, 429s, 5xx and deliveries."""
        return self.state.stats

    @property
    def faults(self) -> Faults:
        """Fault injection: ``faults.add(kind=...)``, ``faults.clear()``."""
        return self.state.faults

    @property
    def flood_limits(self) -> bool:
        """Whether flood limits are enforced (settable at run time)."""
        return self.state.limiter.enabled

    @flood_limits.setter
    def flood_limits(self, enabled: bool) -> None:
        self.state.limiter.enabled = enabled
        if not enabled:
            self.state.limiter.reset()

    @property
    def bot(self) -> PlayUser:
        """The bot's own user."""
        return self.state.bot

    def chat(self, chat: ChatRef) -> PlayChat:
        """The chat record for an id, a user (their private chat) or a chat.

        Raises:
            LookupError: No such chat.
        """
        chat_id = chat if isinstance(chat, int) else chat.id
        found = self.state.chats.get(chat_id)
        if found is None:
            raise LookupError(f"no chat {chat_id}")
        return found

    def transcript(self, chat: ChatRef) -> list[StoredMessage]:
        """Current messages of a chat in order: edits applied, deleted ones left out."""
        chat_id = self.chat(chat).id
        messages = self.state.messages.get(chat_id, {}).values()
        return [m.snapshot() for m in messages if not m.deleted]

    def describe(self, chat: ChatRef) -> str:
        """The chat's messages, one line each, for error messages."""
        chat_id = chat if isinstance(chat, int) else chat.id
        lines = [m.summary() for m in self.state.messages.get(chat_id, {}).values()]
        return "; ".join(lines[-12:]) or "no messages"

    def events(self, chat: ChatRef | None = None, kind: str | None = None) -> list[Event]:
        """The append-only event log, optionally of one chat and/or kind."""
        chat_id = None if chat is None else (chat if isinstance(chat, int) else chat.id)
        return [
            e
            for e in self.state.events
            if (chat_id is None or e.chat_id == chat_id) and (kind is None or e.kind == kind)
        ]

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot or a user sent."""
        return self.state.files[file_id].data

    def visible_commands(
        self, chat: ChatRef, user: PlayUser | None = None, language_code: str | None = None
    ) -> list[JsonDict]:
        """The command menu ``user`` sees in ``chat`` (scope and language resolved)."""
        target = self.chat(chat)
        uid = user.id if user else (target.id if target.is_private else None)
        return visible_commands(self.state, target, uid, language_code)

    async def next_bot_message(self, chat: ChatRef, timeout: float = 5.0) -> StoredMessage:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """The next message the bot sent in ``chat`` that no earlier call returned.

        Deleted messages count too (with ``deleted=True``), so a placeholder the
        bot removed is still seen in order. Returns a snapshot.

        Raises:
            TimeoutError: Nothing new within ``timeout`` seconds.
        """
        chat_id = chat if isinstance(chat, int) else chat.id

        def find() -> StoredMessage | None:
            # Message ids are dense per chat: look only at those after the cursor.
            messages = self.state.messages.get(chat_id, {})
            chat = self.state.chats.get(chat_id)
            end = chat.next_message_id if chat else 0
            for message_id in range(self._cursors.get(chat_id, 0) + 1, end):
                msg = messages.get(message_id)
                if msg is not None and msg.from_bot:
                    return msg
            return None

        found = await wait_until(self.state.chat_signal(chat_id), find, timeout)
        if found is None:
            raise TimeoutError(
                f"no new bot message in chat {chat_id} within {timeout} s "
                f"(after message #{self._cursors.get(chat_id, 0)}); "
                f"chat holds: {self.describe(chat_id)}"
            )
        self._cursors[chat_id] = found.message_id
        return found.snapshot()

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting API takes a timeout by design
        since: int = 0,
    ) -> Event:
        """The first logged event with ``seq > since`` matching ``predicate``.

        Past events count, so there is no race with actions already done.

        Raises:
            TimeoutError: No match within ``timeout`` seconds.
        """
        position = max(since, 0)
        events = self.state.events

        def find() -> Event | None:
            nonlocal position
            while position < len(events):
                event = events[position]
                position += 1
                if predicate(event):
                    return event
            return None

        found = await wait_until(self.state.signal, find, timeout)
        if found is None:
            tail = ", ".join(f"{e.kind}@{e.chat_id}#{e.message_id}" for e in events[-10:])
            raise TimeoutError(
                f"no event matched {getattr(predicate, '__name__', predicate)} within "
                f"{timeout} s; last events: {tail or 'none'}"
            )
        return found

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> JsonDict:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """The bot's answerCallbackQuery for ``query_id`` (text, show_alert, url...)."""

        def answered(event: Event) -> bool:
            return event.kind == "callback_answered" and event.data["callback_query_id"] == query_id

        answered.__name__ = f"callback_answered({query_id})"
        return (await self.wait_for(answered, timeout)).data

    async def wait_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - by design
        """Wait until the bot has a getUpdates call waiting (it is polling).

        Raises:
            TimeoutError: No getUpdates call within ``timeout`` seconds.
        """
        updates = self.state.updates
        if await wait_until(updates.signal, lambda: updates.waiting_polls or None, timeout) is None:
            raise TimeoutError(f"the bot did not call getUpdates within {timeout} s")

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109 - the waiting API takes a timeout by design
        """Wait until no update is pending, no Bot API call is running, and
        nothing happened for ``quiet`` seconds.

        Raises:
            TimeoutError: Not idle within ``timeout`` seconds.
        """
        st = self.state

        def idle() -> bool | None:
            return True if st.updates.pending_count == 0 and st.inflight == 0 else None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0 or await wait_until(st.signal, idle, remaining) is None:
                raise TimeoutError(
                    f"not idle within {timeout} s: {st.updates.pending_count} updates pending, "
                    f"{st.inflight} calls running"
                )
            if not await st.signal.wait(quiet):
                return
