"""Every text the bot can say exists in Russian, Ukrainian, Kazakh and English."""

from __future__ import annotations

import re

import pytest

from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import LANGUAGES, Catalogs, all_messages, pick_language

PLACEHOLDER = re.compile(r"\{\w+\}")


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_lacks_a_translation(catalogs: Catalogs, language: str) -> None:
    missing = catalogs.missing(language, all_messages(Questionnaire.load()))
    assert [m.context for m in missing] == [], f"untranslated in {language}; run make i18n"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(catalogs: Catalogs, language: str) -> None:
    for message in all_messages(Questionnaire.load()):
        translated = catalogs.text(language, message)
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(
            PLACEHOLDER.findall(message.source)
        ), message.context


def test_translations_differ_from_english_for_sentences(catalogs: Catalogs) -> None:
    messages = all_messages(Questionnaire.load())
    for language in ("ru", "uk", "kk"):
        same = [m for m in messages if catalogs.text(language, m) == m.source]
        # Only symbols and placeholders may stay as they are; words are always translated.
        worded = [
            m.context for m in same if any(c.isalpha() for c in PLACEHOLDER.sub("", m.source))
        ]
        assert worded == [], language


@pytest.mark.parametrize(
    ("code", "language"),
    [("ru", "ru"), ("uk-UA", "uk"), ("kk", "kk"), ("en-GB", "en"), ("de", "ru"), (None, "ru")],
)
def test_language_is_chosen_from_the_telegram_language_code(
    code: str | None, language: str
) -> None:
    assert pick_language(code) == language
