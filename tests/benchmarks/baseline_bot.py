"""A plain python-telegram-bot questionnaire bot: the baseline for `intake_bench`.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT BASELINE_SCRIPT=questions.json \
    BASELINE_PERSISTENCE=/tmp/baseline.pickle python -m tests.benchmarks.baseline_bot

In the style of python-telegram-bot's `conversationbot.py` example: one ConversationHandler with
one state per question, answers kept in `context.user_data`, `PicklePersistence` to a file
(its default `update_interval` of 60 s: written every minute and at shutdown), no database, no
encryption, no validation of typed answers. Updates are processed concurrently
(`concurrent_updates(True)`), as the intake bot processes different reporters concurrently;
so that a fast reporter never overtakes ConversationHandler's state change, each reply is sent
from a task that starts once the handler has returned its next state (see `BaselineBot._reply`).

It asks the questions of `BASELINE_SCRIPT` (exported by the benchmark from the intake bot's
questionnaire, in English) in order, with the same texts and the same button layout, and makes
the same Bot API calls per answer as the intake bot: a typed answer gets one sendMessage; a
pressed button gets answerCallbackQuery, editMessageReplyMarkup (the old keyboard goes) and
sendMessage (the next question); a ticked option gets answerCallbackQuery and editMessageText.
It imports nothing from the intake bot.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

# ConversationHandler relies on one update at a time per conversation; python-telegram-bot warns
# about it with concurrent updates (and about CallbackQueryHandlers with per_message=False). Each
# reporter here waits for the reply before answering again, so both are expected: silenced.
warnings.filterwarnings("ignore", message=r".*concurrent", category=PTBUserWarning)
warnings.filterwarnings("ignore", message=r".*per_message=False", category=PTBUserWarning)

WELCOME, REVIEW = "welcome", "review"
Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger("baseline_bot")


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press; one answered too late (Telegram gives 15 s) is no reason to stop."""
    with contextlib.suppress(BadRequest):
        await query.answer(text)


class Questionnaire:
    """The questions and texts of the script, rendered as messages and keyboards."""

    def __init__(self, script: dict[str, Any]) -> None:
        self.questions: list[dict[str, Any]] = script["questions"]
        self.ui: dict[str, str] = script["ui"]

    def button(self, label: str, data: str) -> InlineKeyboardButton:
        """One inline button."""
        return InlineKeyboardButton(label[:48], callback_data=data)

    def question_text(self, index: int) -> str:
        """Progress, question, hint; a notice on top where the script has one."""
        question = self.questions[index]
        progress = self.ui["progress"].format(n=index + 1, total=len(self.questions))
        lines = [f"<i>{html.escape(progress)}</i>", f"<b>{html.escape(question['title'])}</b>"]
        if question["hint"]:
            lines.append(html.escape(question["hint"]))
        text = "\n".join(lines)
        return f"{html.escape(question['notice'])}\n\n{text}" if question["notice"] else text

    def question_markup(self, index: int, selected: list[int]) -> InlineKeyboardMarkup:
        """Options (ticked ones marked), Done, Don't know / Skip, Back / Cancel."""
        question = self.questions[index]
        rows: list[list[InlineKeyboardButton]] = []
        if question["kind"] == "multi":
            mark = self.ui["selected_mark"] + " "
            for i, option in enumerate(question["options"]):
                label = (mark if i in selected else "") + option["label"]
                rows.append([self.button(label, f"t:{i}")])
            rows.append([self.button(self.ui["done"], "d")])
        else:
            rows.extend(
                [self.button(option["label"], f"c:{i}")]
                for i, option in enumerate(question["options"])
            )
        extra = []
        if question["unknown_button"]:
            extra.append(self.button(self.ui["unknown"], "u"))
        if question["skip_button"]:
            extra.append(self.button(self.ui["skip"], "s"))
        if extra:
            rows.append(extra)
        nav = [self.button(self.ui["cancel"], "x")]
        if index > 0:
            nav.insert(0, self.button(self.ui["back"], "b"))
        rows.append(nav)
        return InlineKeyboardMarkup(rows)

    def answer_text(self, index: int, value: Any) -> str:
        """An answer as the review shows it."""
        question = self.questions[index]
        if value == "unknown" and question["kind"] != "multi":
            return self.ui["review_unknown"]
        labels = {o["id"]: o["label"] for o in question["options"]}
        if isinstance(value, list):
            return ", ".join(labels.get(v, v) for v in value)
        return labels.get(value, str(value))

    def review(self, answers: dict[str, Any], skipped: list[str]) -> tuple[str, Any]:
        """Every answer with an edit button, then Send and Cancel."""
        lines = [f"<b>{html.escape(self.ui['review_title'])}</b>", ""]
        rows = []
        for index, question in enumerate(self.questions):
            if question["id"] in answers:
                shown = self.answer_text(index, answers[question["id"]])
            elif question["id"] in skipped:
                shown = self.ui["review_skipped"]
            else:
                continue
            title = question["title"]
            lines.append(f"<b>{html.escape(title[:80])}</b>\n{html.escape(shown[:160])}")
            rows.append([self.button("✎ " + title, f"e:{index}")])
        rows.append([self.button(self.ui["review_submit"], "S")])
        rows.append([self.button(self.ui["cancel"], "x")])
        return "\n".join(lines), InlineKeyboardMarkup(rows)


class BaselineBot:
    """The conversation's callbacks."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.q = questionnaire

    @staticmethod
    def _reply(context: Context, update: Update, chat_id: int, text: str, **kwargs: Any) -> None:
        """Send a message from a task that runs once the handler has returned its new state.

        With concurrent updates, a reply awaited inside the handler reaches a fast reporter
        before ConversationHandler has recorded the state the handler returns: the reporter's
        next answer is then matched against the previous state (seen in this benchmark: a date
        of birth stored as the name, and the same question asked again). python-telegram-bot
        documents the hazard; deferring the send past the state change avoids it.
        """
        context.application.create_task(
            context.bot.send_message(chat_id, text, **kwargs), update=update
        )

    async def _send_question(self, update: Update, context: Context, index: int) -> int:
        selected = context.user_data.setdefault("selected", [])  # type: ignore[union-attr]
        selected.clear()
        assert update.effective_chat is not None
        self._reply(
            context,
            update,
            update.effective_chat.id,
            self.q.question_text(index),
            parse_mode=ParseMode.HTML,
            reply_markup=self.q.question_markup(index, selected),
        )
        return index

    async def _next(self, update: Update, context: Context, index: int) -> int | str:
        if index + 1 < len(self.q.questions):
            return await self._send_question(update, context, index + 1)
        data: dict[str, Any] = context.user_data  # type: ignore[assignment]
        text, markup = self.q.review(data["answers"], data["skipped"])
        assert update.effective_chat is not None
        self._reply(
            context,
            update,
            update.effective_chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
        return REVIEW

    async def start(self, update: Update, context: Context) -> str:
        """/start: the welcome text and a Start button."""
        assert update.effective_chat is not None
        markup = InlineKeyboardMarkup([[self.q.button(self.q.ui["start_report"], "begin")]])
        self._reply(context, update, 
            update.effective_chat.id, html.escape(self.q.ui["welcome"]),
            parse_mode=ParseMode.HTML, reply_markup=markup,
        )  # fmt: skip
        return WELCOME

    async def begin(self, update: Update, context: Context) -> int:
        """Start pressed: a fresh report, the first question."""
        query = update.callback_query
        assert query is not None
        await _answer(query)
        context.user_data.update(answers={}, skipped=[], selected=[])  # type: ignore[union-attr]
        await query.edit_message_reply_markup(None)
        return await self._send_question(update, context, 0)

    def on_press(self, index: int) -> Any:
        """The button handler of question `index`."""

        async def handle(update: Update, context: Context) -> int | str:
            query = update.callback_query
            assert query is not None
            assert query.data is not None
            data: dict[str, Any] = context.user_data  # type: ignore[assignment]
            question = self.q.questions[index]
            kind, _, arg = query.data.partition(":")
            if kind == "t":  # tick or untick, edited in place
                await _answer(query)
                selected: list[int] = data["selected"]
                option = int(arg)
                if option in selected:
                    selected.remove(option)
                else:
                    selected.append(option)
                await query.edit_message_text(
                    self.q.question_text(index), parse_mode=ParseMode.HTML,
                    reply_markup=self.q.question_markup(index, selected),
                )  # fmt: skip
                return index
            if kind == "d" and not data["selected"]:
                await _answer(query, self.q.ui["err_choose_one"])
                return index
            await _answer(query)
            await query.edit_message_reply_markup(None)
            if kind == "x":
                return await self.cancel(update, context)
            if kind == "b":
                return await self._send_question(update, context, max(index - 1, 0))
            if kind == "s":
                data["answers"].pop(question["id"], None)
                data["skipped"].append(question["id"])
            else:
                options = question["options"]
                value = {
                    "c": lambda: options[int(arg)]["id"],
                    "d": lambda: [options[i]["id"] for i in sorted(data["selected"])],
                    "u": lambda: "unknown",
                }[kind]()
                data["answers"][question["id"]] = value
            return await self._next(update, context, index)

        return handle

    def on_text(self, index: int) -> Any:
        """The typed-answer handler of question `index`."""

        async def handle(update: Update, context: Context) -> int | str:
            message = update.effective_message
            assert message is not None
            assert message.text is not None
            question = self.q.questions[index]
            if question["kind"] != "text":
                assert update.effective_chat is not None
                self._reply(
                    context,
                    update,
                    update.effective_chat.id,
                    html.escape(self.q.ui["err_use_buttons"])
                    + "\n\n"
                    + self.q.question_text(index),
                    parse_mode=ParseMode.HTML,
                    reply_markup=self.q.question_markup(index, context.user_data["selected"]),  # type: ignore[index]
                )
                return index
            context.user_data["answers"][question["id"]] = message.text  # type: ignore[index]
            return await self._next(update, context, index)

        return handle

    async def on_review(self, update: Update, context: Context) -> int | str:
        """Send, Cancel or edit one answer."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await _answer(query)
        await query.edit_message_reply_markup(None)
        if query.data.startswith("e:"):
            return await self._send_question(update, context, int(query.data[2:]))
        if query.data == "x":
            return await self.cancel(update, context)
        code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
        text = self.q.ui["submitted"].format(code=code) + "\n\n" + self.q.ui["wipe_offer"]
        markup = InlineKeyboardMarkup(
            [
                [self.q.button(self.q.ui["wipe_yes"], "wy")],
                [self.q.button(self.q.ui["wipe_no"], "wn")],
            ]
        )
        assert update.effective_chat is not None
        self._reply(context, update, 
            update.effective_chat.id, html.escape(text), parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )  # fmt: skip
        return ConversationHandler.END

    async def cancel(self, update: Update, context: Context) -> int:
        """/cancel or the Cancel button: forget the report."""
        context.user_data.clear()  # type: ignore[union-attr]
        assert update.effective_chat is not None
        self._reply(context, update, update.effective_chat.id, self.q.ui["cancelled"])
        return ConversationHandler.END


def build(token: str, api_url: str, script: dict[str, Any], persistence: Path) -> Application:  # type: ignore[type-arg]
    """The Application: persistence, concurrent updates, the conversation."""
    bot = BaselineBot(Questionnaire(script))
    questions = range(len(bot.q.questions))
    text_answers = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        WELCOME: [CallbackQueryHandler(bot.begin, pattern="^begin$")],
        REVIEW: [CallbackQueryHandler(bot.on_review)],
    }
    for index in questions:
        states[index] = [
            CallbackQueryHandler(bot.on_press(index)),
            MessageHandler(text_answers, bot.on_text(index)),
        ]
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", bot.start)],
        states=states,  # type: ignore[arg-type]
        fallbacks=[CommandHandler("cancel", bot.cancel)],
        name="questionnaire",
        persistent=True,
        allow_reentry=True,
    )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .persistence(PicklePersistence(filepath=persistence))
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(conversation)
    return application


def main() -> None:
    """Run until SIGTERM or Ctrl-C."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # as in the examples: no request lines
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    script = json.loads(Path(os.environ["BASELINE_SCRIPT"]).read_text(encoding="utf-8"))
    application = build(
        os.environ["BOT_TOKEN"],
        os.environ["TELEGRAM_API_URL"].rstrip("/"),
        script,
        Path(os.environ["BASELINE_PERSISTENCE"]),
    )
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
