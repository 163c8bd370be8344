"""The sandbox page in a real browser: two browsers are two reporters who never see each other's
chat; the page reads like a chat on a phone (tabs, right-to-left text, long words wrapped, text
never taken for markup); files and reply keyboards work."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from bot.standin import DEFAULT_TOKEN
from tests.bot.reporter_driver import tr
from tests.sandbox.conftest import Sandbox, open_page, start_sandbox

pytestmark = pytest.mark.slow
T = tr("en")
WELCOME = T.ui("welcome")[:30]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox() as running:
        yield running
        assert running.stop() == 0


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    expect.set_options(timeout=20_000)


def _expect() -> Any:
    from playwright.sync_api import expect  # noqa: PLC0415

    return expect


def _reporter_chat_id(page: Any) -> int:
    return int(page.locator('[data-role="reporter"] .chat').get_attribute("data-chat-id"))


def _start(page: Any) -> Any:
    """Press Start in the reporter's pane; returns the bot's welcome."""
    pane = page.locator('[data-role="reporter"]')
    pane.locator(".start-button").click()
    welcome = pane.locator(".msg.from-bot", has_text=WELCOME)
    _expect()(welcome).to_be_visible()
    return welcome


def test_two_browsers_are_two_reporters_who_do_not_see_each_other(
    browser: Any, sandbox: Sandbox
) -> None:
    expect = _expect()
    ann, bob = open_page(browser, sandbox.url), open_page(browser, sandbox.url)
    ann_id, bob_id = _reporter_chat_id(ann), _reporter_chat_id(bob)
    assert ann_id != bob_id

    _start(ann)
    ann_pane = ann.locator('[data-role="reporter"]')
    ann_pane.get_by_role("textbox").fill("My brother was taken at the market")
    ann_pane.get_by_role("textbox").press("Enter")
    expect(ann_pane.locator(".msg.out", has_text="brother")).to_be_visible()
    expect(ann_pane.locator(".msg.from-bot")).to_have_count(2)

    bob_pane = bob.locator('[data-role="reporter"]')
    expect(bob_pane.locator(".start-button")).to_be_visible()
    assert bob_pane.locator(".msg").count() == 0
    assert "brother" not in bob.content()
    # Not through the API either: Bob's session may not read, follow or write Ann's chat.
    assert bob.request.get(f"/_standin/chats/{ann_id}/transcript").status == 403
    assert bob.request.get(f"/_standin/events/stream?chat_id={ann_id}").status == 403
    forged = {"user_id": ann_id, "text": "hello from Bob"}
    assert bob.request.post(f"/_standin/chats/{ann_id}/messages", data=forged).status == 403

    # The staff's chats are shared: both see the same lawyers' group.
    group = '[data-role="lawyer"] .chat[data-kind="group"]'
    assert ann.locator(group).get_attribute("data-chat-id") == bob.locator(group).get_attribute(
        "data-chat-id"
    )

    # Reloading keeps the reporter and replays the chat; "New reporter" starts over.
    ann.reload()
    ann.wait_for_selector("body[data-ready]")
    assert _reporter_chat_id(ann) == ann_id
    expect(ann_pane.locator(".msg.out", has_text="brother")).to_be_visible()
    bob.get_by_role("button", name="New reporter").click()
    expect(bob.locator('[data-role="reporter"] .chat')).not_to_have_attribute(
        "data-chat-id", str(bob_id)
    )
    assert _reporter_chat_id(bob) not in (ann_id, bob_id)
    assert ann.errors == bob.errors == []  # type: ignore[attr-defined]
    ann.context.close()
    bob.context.close()


def test_on_a_phone_the_page_reads_like_a_chat(browser: Any, sandbox: Sandbox) -> None:
    expect = _expect()
    page = open_page(browser, sandbox.url, width=390, height=844)
    reporter, lawyer = page.locator('[data-role="reporter"]'), page.locator('[data-role="lawyer"]')
    expect(page.locator("#role-tabs")).to_be_visible()
    expect(reporter).to_be_visible()
    expect(lawyer).to_be_hidden()
    page.locator('.role-tab[data-for="lawyer"]').click()
    expect(lawyer).to_be_visible()
    expect(reporter).to_be_hidden()
    group = lawyer.locator('.chat[data-kind="group"]')
    box = group.get_by_role("textbox")

    # Right-to-left text is laid out right to left.
    box.fill("مرحبا، هل من أخبار عن القضية؟")
    box.press("Enter")
    arabic = group.locator(".msg.out .text", has_text="مرحبا")
    expect(arabic).to_be_visible()
    assert arabic.evaluate("node => getComputedStyle(node).direction") == "rtl"

    # A long word wraps inside its bubble: nothing scrolls sideways.
    box.fill("A" * 600)
    box.press("Enter")
    expect(group.locator(".msg.out .text", has_text="AAAA")).to_be_visible()
    scroller = group.locator(".scroller")
    assert scroller.evaluate("node => node.scrollWidth <= node.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Text is text: markup typed by anyone is shown as typed, never run or rendered.
    hostile = '<img src=x onerror="window.hacked=1"> <b>not bold</b>'
    box.fill(hostile)
    box.press("Enter")
    shown = group.locator(".msg.out .text", has_text="not bold")
    expect(shown).to_have_text(hostile)
    assert shown.locator("img, b").count() == 0
    assert page.evaluate("window.hacked === undefined")

    # A document goes through the file input and comes back as a download, never as a page.
    group.locator('input[type="file"]').set_input_files(
        {"name": "notes.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"}
    )
    document = group.locator(".msg.out .document", has_text="notes.html")
    expect(document).to_be_visible()
    download = page.request.get(document.get_attribute("href"))
    assert download.status == 200
    assert download.headers["content-disposition"] == "attachment"
    assert "sandbox" in download.headers["content-security-policy"]

    # The coordinator, in the same group, has unread messages; their tab says so.
    expect(page.locator('.role-tab[data-for="coordinator"] .badge')).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def _standin_url(sandbox: Sandbox) -> str:
    """The stand-in's address: the sandbox's other listening port."""
    page_port = int(sandbox.url.rstrip("/").rsplit(":", 1)[1])
    process = psutil.Process(sandbox.process.pid)
    ports = {
        c.laddr.port for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
    }
    (port,) = ports - {page_port}
    return f"http://127.0.0.1:{port}"


def test_reply_keyboard_buttons_send_their_text(browser: Any, sandbox: Sandbox) -> None:
    expect = _expect()
    page = open_page(browser, sandbox.url)
    _start(page)
    reporter = page.locator('[data-role="reporter"]')
    # The bot sends no reply keyboard today; one sent through the Bot API shows as buttons.
    markup = {"keyboard": [["Yes", "No"]], "one_time_keyboard": True}
    call = {"chat_id": _reporter_chat_id(page), "text": "Choose one", "reply_markup": markup}
    request = urllib.request.Request(
        f"{_standin_url(sandbox)}/bot{DEFAULT_TOKEN}/sendMessage",
        data=json.dumps(call).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["ok"]
    keyboard = reporter.locator(".reply-keyboard")
    expect(keyboard).to_be_visible()
    keyboard.get_by_role("button", name="Yes", exact=True).click()
    expect(reporter.locator(".msg.out", has_text="Yes")).to_be_visible()
    expect(keyboard).to_be_hidden()  # one-time keyboard
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_messages_the_bot_deletes_disappear_live(browser: Any, sandbox: Sandbox) -> None:
    expect = _expect()
    page = open_page(browser, sandbox.url)
    reporter = page.locator('.pane[data-role="reporter"]')
    welcome = _start(page)
    box = reporter.get_by_role("textbox")
    box.fill("/wipe")
    box.press("Enter")
    # The bot deletes the conversation from the "phone": the page follows as it happens.
    expect(welcome).to_have_count(0)
    expect(reporter.locator(".msg.out", has_text="/start")).to_have_count(0)
    expect(reporter.locator(".msg.from-bot", has_text=T.ui("wiped"))).to_be_visible()
    expect(box).to_be_visible()  # still a started chat: no Start button again
    expect(reporter.locator(".start-button")).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
