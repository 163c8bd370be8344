"""Refresh the catalogs from the sources: `make i18n` (python -m bot.i18n_catalogs).

Writes `bot/locales/intake.pot` with every text of `bot/texts.py` and the questionnaire, and
merges it into each language's `.po`: new texts appear untranslated, changed English texts lose
their translation (marked fuzzy, so the old one is shown to the translator), removed texts are
dropped. Then translate the empty and fuzzy entries.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.domain.questionnaire.flow import Questionnaire
from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, SOURCE_LANGUAGE, all_messages, catalog_path


def template(questionnaire: Questionnaire) -> Catalog:
    """The template catalog: every source text with its context."""
    catalog = Catalog(project="intake-bot", domain=DOMAIN)
    for message in all_messages(questionnaire):
        catalog.add(message.source, context=message.context)
    return catalog


def update(directory: Path = LOCALES_DIR) -> list[Path]:
    """Write the template and merge it into every language's catalog."""
    pot = template(Questionnaire.load())
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, pot, width=100, omit_header=False)
    written: list[Path] = []
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalog_path(language, directory)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="intake-bot")
        catalog.update(pot, no_fuzzy_matching=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in update():
        print(written_path)  # noqa: T201
