"""The sandbox in a real browser: a full report typed and clicked through the reporter's pane
reaches the lawyer's pane as a card; Take there updates the card and tells the reporter.

Saves the screenshot the README shows (docs/sandbox.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import Translator
from bot.standin import TINY_PNG
from tests.bot.reporter_driver import FULL_REPORT, QUESTIONNAIRE, SKIP, UNKNOWN, tr
from tests.sandbox.conftest import ROOT, Sandbox, open_page, start_sandbox

pytestmark = pytest.mark.slow
SCREENSHOT = ROOT / "docs" / "sandbox.png"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
# The sandbox's lawyers' group speaks English unless LAWYERS_LANGUAGE says otherwise.
STAFF = tr("en")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A sandbox of this module's own, so that the screenshot shows only this test's case."""
    with start_sandbox() as running:
        yield running
        assert running.stop() == 0


class ReporterPane:
    """The reporter's pane, played as a person: reads questions, clicks labels, types."""

    def __init__(self, page: Any, t: Translator) -> None:
        from playwright.sync_api import expect  # noqa: PLC0415

        self.expect = expect
        self.page = page
        self.pane = page.locator('[data-role="reporter"]')
        self.t = t

    def bot_message(self, containing: str) -> Any:
        return self.pane.locator(".msg.from-bot", has_text=containing).last

    def click(self, message: Any, label: str) -> None:
        message.get_by_role("button", name=label, exact=True).click()

    def type(self, text: str) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        # The pane may redraw its input while a message arrives; if the typed text did not go
        # out, type it again (as a person would), then insist.
        sent = self.pane.locator(".msg.out", has_text=text).last
        for _ in range(3):
            box = self.pane.get_by_role("textbox")
            box.fill(text)
            box.press("Enter")
            try:
                sent.wait_for(state="visible", timeout=5_000)
                return
            except PlaywrightTimeout:
                continue
        self.expect(sent).to_be_visible()

    def answer(self, question_id: str, value: Any) -> None:
        question = QUESTIONNAIRE.get(question_id)
        assert question is not None
        message = self.bot_message(self.t.question(question))
        self.expect(message).to_be_visible()
        if value is SKIP:
            self.click(message, self.t.ui("skip"))
        elif value is UNKNOWN:
            self.click(message, self.t.ui("unknown"))
        elif question.type.value == "multi_choice":
            mark = self.t.ui("selected_mark")
            for option_id in value:
                option = question.option(option_id)
                assert option is not None
                label = self.t.option(question, option)
                self.click(message, label)
                ticked = message.get_by_role("button", name=f"{mark} {label}", exact=True)
                self.expect(ticked).to_be_visible()  # the question is edited in place
            self.click(message, self.t.ui("done"))
        elif question.type.value == "file":
            # A photo through the file input, as a person attaches one; then Done.
            self.pane.locator('input[type="file"]').set_input_files(
                {"name": "court-paper.png", "mimeType": "image/png", "buffer": TINY_PNG}
            )
            self.expect(self.pane.locator(".msg.out .photo img")).to_be_visible()
            received = self.bot_message(self.t.ui("file_received", n=1))
            self.click(received, self.t.ui("done"))
        elif question.options:
            option = question.option(str(value))
            assert option is not None
            self.click(message, self.t.option(question, option))
        else:
            self.type(str(value))


def _full_report() -> list[tuple[str, Any]]:
    """FULL_REPORT, with a photo attached where it skips the papers."""
    return [(qid, "photo" if qid == "papers" else value) for qid, value in FULL_REPORT]


def test_a_report_from_the_reporter_pane_is_taken_in_the_lawyer_pane(
    browser: Any, sandbox: Sandbox
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    expect.set_options(timeout=40_000)
    page = open_page(browser, sandbox.url)
    reporter = ReporterPane(page, tr("en"))
    t = reporter.t

    assert "sandbox" in page.locator(".banner").inner_text().lower()
    reporter.pane.get_by_role("button", name="Start", exact=True).click()
    reporter.click(reporter.bot_message(t.ui("welcome")[:30]), t.ui("start_report"))
    for question_id, value in _full_report():
        reporter.answer(question_id, value)
    review = reporter.bot_message(t.ui("review_title"))
    expect(review).to_be_visible()
    reporter.click(review, t.ui("review_submit"))
    submitted = reporter.bot_message(t.ui("submitted", code="")[:20])
    expect(submitted).to_be_visible()
    codes = CODE.findall(submitted.inner_text())
    assert codes, submitted.inner_text()
    code = codes[0]
    # Bold and italic come from the message entities, not from markup in the text.
    assert reporter.pane.locator(".msg.from-bot .text strong").count() > 0

    # The card is in the lawyers' group, as the lawyer sees it.
    lawyer = page.locator('[data-role="lawyer"]')
    group = lawyer.locator(".chat[data-kind='group']")
    expect(group).to_be_visible()
    card = group.locator(".msg.from-bot", has_text=code)
    expect(card).to_be_visible()
    expect(card).to_contain_text(STAFF.alert("card_unclaimed"))
    card.get_by_role("button", name=STAFF.alert("btn_take"), exact=True).click()

    # The card is edited in place, the lawyer sees the bot's answer, the reporter is told.
    expect(card).to_contain_text(STAFF.alert("card_taken_by", name="Lena"))
    expect(card.get_by_role("button", name=STAFF.alert("btn_in_contact"))).to_be_visible()
    expect(lawyer.locator(".toast")).to_contain_text(STAFF.alert("taken"))
    notice = reporter.bot_message(t.alert("reporter_assigned", code=code))
    expect(notice).to_be_visible()

    # The coordinator types a command in their private chat.
    coordinator = page.locator('[data-role="coordinator"]')
    box = coordinator.get_by_role("textbox")
    box.fill("/oncall")
    box.press("Enter")
    oncall = STAFF.alert("oncall_now", primary="Lena", secondary=STAFF.alert("oncall_nobody"))
    expect(coordinator.locator(".msg.from-bot", has_text=oncall)).to_be_visible()

    page.wait_for_timeout(1500)  # let the last animations and toasts settle
    lawyer.locator(".toast").evaluate("node => { node.hidden = true; }")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)  # no button left looking hovered
    card.scroll_into_view_if_needed()
    notice.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
