"""Translations: gettext catalogs (`bot/locales/<lang>/LC_MESSAGES/intake.po`) read with Babel.

Each message has a context (`ui.<key>` for `bot.texts`, `alert.<key>` for `bot.alerts.texts`,
`q.<question>`, `q.<question>.hint`,
`q.<question>.<option>` for the questionnaire) and its English text as msgid. A missing or fuzzy
translation falls back to English at run time; `tests/bot/test_i18n.py` fails on any.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from bot.alerts.texts import ALERT_TEXTS
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.questionnaire.schema import Option, Question
from bot.staff.texts import STAFF_TEXTS
from bot.texts import UI

LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN = "intake"
LANGUAGES = ("ru", "uk", "kk", "en")
LANGUAGE_NAMES = {"ru": "Русский", "uk": "Українська", "kk": "Қазақша", "en": "English"}
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "ru"


@dataclass(frozen=True, slots=True)
class Message:
    """One translatable text: its context and English source."""

    context: str
    source: str


def question_messages(questionnaire: Questionnaire) -> Iterator[Message]:
    """Every text of the questionnaire."""
    for question in questionnaire.questions:
        yield Message(f"q.{question.id}", question.text)
        if question.hint:
            yield Message(f"q.{question.id}.hint", question.hint)
        for option in question.options:
            yield Message(f"q.{question.id}.{option.id}", option.label)


def all_messages(questionnaire: Questionnaire) -> list[Message]:
    """Every text the bot can say: the UI texts and the questionnaire."""
    ui = [Message(f"ui.{key}", text) for key, text in UI.items()]
    alerts = [Message(f"alert.{key}", text) for key, text in ALERT_TEXTS.items()]
    staff = [Message(f"staff.{key}", text) for key, text in STAFF_TEXTS.items()]
    return ui + alerts + staff + list(question_messages(questionnaire))


def catalog_path(language: str, directory: Path = LOCALES_DIR) -> Path:
    """Where a language's catalog lives."""
    return directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path) -> dict[tuple[str, str], str]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    table: dict[tuple[str, str], str] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.string, str):
            continue
        if message.string.strip():
            table[(message.context or "", str(message.id))] = message.string
    return table


def pick_language(code: str | None) -> str:
    """Our language for a Telegram language code ("ru", "uk-UA", "kk", ...)."""
    if code:
        base = code.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
        if base == "en":
            return "en"
    return DEFAULT_LANGUAGE


class Catalogs:
    """All languages' translations, loaded once at start-up."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._tables = {
            lang: _read(catalog_path(lang, directory))
            for lang in LANGUAGES
            if lang != SOURCE_LANGUAGE
        }

    def text(self, language: str, message: Message) -> str:
        """The translation, or the English source when there is none."""
        table = self._tables.get(language, {})
        return table.get((message.context, message.source), message.source)

    def missing(self, language: str, messages: Iterable[Message]) -> list[Message]:
        """Messages that have no usable translation in a language."""
        if language == SOURCE_LANGUAGE:
            return []
        table = self._tables.get(language, {})
        return [m for m in messages if (m.context, m.source) not in table]

    def translator(self, language: str) -> Translator:
        """A translator bound to one language."""
        return Translator(self, language if language in LANGUAGES else DEFAULT_LANGUAGE)


class Translator:
    """Texts in one language."""

    def __init__(self, catalogs: Catalogs, language: str) -> None:
        self._catalogs = catalogs
        self.language = language

    def ui(self, key: str, **values: Any) -> str:
        """A UI text, formatted with `values`."""
        text = self._catalogs.text(self.language, Message(f"ui.{key}", UI[key]))
        return text.format(**values) if values else text

    def alert(self, key: str, **values: Any) -> str:
        """A text for lawyers and coordinators (or a later notice to a reporter)."""
        text = self._catalogs.text(self.language, Message(f"alert.{key}", ALERT_TEXTS[key]))
        return text.format(**values) if values else text

    def staff(self, key: str, **values: Any) -> str:
        """A text for coordinators and admins."""
        text = self._catalogs.text(self.language, Message(f"staff.{key}", STAFF_TEXTS[key]))
        return text.format(**values) if values else text

    def question(self, question: Question) -> str:
        """The question's text."""
        return self._catalogs.text(self.language, Message(f"q.{question.id}", question.text))

    def hint(self, question: Question) -> str | None:
        """The question's hint, if it has one."""
        if not question.hint:
            return None
        return self._catalogs.text(self.language, Message(f"q.{question.id}.hint", question.hint))

    def option(self, question: Question, option: Option) -> str:
        """An option's label."""
        message = Message(f"q.{question.id}.{option.id}", option.label)
        return self._catalogs.text(self.language, message)
