"""`intake-bot sandbox` as a process: prints its address, serves the page and the chats over plain
HTTP, and on Ctrl-C (SIGINT) stops with status 0, leaving no process and no open port behind."""

from __future__ import annotations

import http.cookiejar
import json
import socket
import stat
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from tests.sandbox.conftest import Sandbox, start_sandbox


class Browser:
    """A browser session over plain HTTP: a cookie jar and JSON calls."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def transcript(self, chat_id: int) -> list[dict[str, Any]]:
        status, answer = self.call(f"/_standin/chats/{chat_id}/transcript")
        assert status == 200, answer
        return list(answer["result"])

    def wait_bot_message(self, chat_id: int, after: int, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.transcript(chat_id)
            found = [m for m in messages if m["from_bot"] and m["message_id"] > after]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no bot message after #{after}: {self.transcript(chat_id)}")


def _listening_ports(process: psutil.Process) -> set[int]:
    return {
        c.laddr.port for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
    }


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def _drive_a_little(sandbox: Sandbox) -> None:
    """Open the page, start a report as the reporter, check what another browser may not do."""
    ann = Browser(sandbox.url)
    status, page = ann.get("/")
    assert status == 200
    assert b"Sandbox" in page
    assert b"/static/sandbox.js" in page
    for asset in ("/static/sandbox.js", "/static/sandbox.css"):
        assert ann.get(asset)[0] == 200
    status, answer = ann.call("/sandbox/session?language=en")
    assert status == 200, answer
    view = answer["result"]
    assert [p["role"] for p in view["panes"]] == ["reporter", "lawyer", "coordinator"]
    reporter = view["panes"][0]["person"]["id"]
    lawyer = view["panes"][1]["person"]["id"]
    group = view["panes"][1]["chats"][0]["id"]

    status, _ = ann.call(
        f"/_standin/chats/{reporter}/messages", {"user_id": reporter, "text": "/start"}
    )
    assert status == 200
    welcome = ann.wait_bot_message(reporter, after=0)
    assert welcome["reply_markup"]["inline_keyboard"], welcome
    button = welcome["reply_markup"]["inline_keyboard"][0][0]
    press = {"user_id": reporter, "message_id": welcome["message_id"]}
    status, _ = ann.call(
        f"/_standin/chats/{reporter}/press", {**press, "data": button["callback_data"]}
    )
    assert status == 200
    question = ann.wait_bot_message(reporter, after=welcome["message_id"])
    assert question["reply_markup"]["inline_keyboard"], question  # the first question

    # The staff's chats are shared: the coordinator's roster is there for everyone.
    coordinator = view["panes"][2]["person"]["id"]
    assert any("Added." in m["content"] for m in ann.transcript(coordinator))
    assert ann.call(f"/_standin/chats/{group}/transcript")[0] == 200

    # A second browser is a second reporter: it cannot read or write the first one's chat.
    bob = Browser(sandbox.url)
    status, answer = bob.call("/sandbox/session?language=ru")
    bob_reporter = answer["result"]["panes"][0]["person"]["id"]
    assert bob_reporter != reporter
    assert answer["result"]["panes"][0]["person"]["language_code"] == "ru"
    assert bob.call(f"/_standin/chats/{reporter}/transcript")[0] == 403
    assert bob.call(f"/_standin/events/stream?chat_id={reporter}")[0] == 403
    sent = bob.call(f"/_standin/chats/{reporter}/messages", {"user_id": reporter, "text": "hi"})
    assert sent[0] == 403
    # ...nor act as the lawyer in its own chat, nor reach the stand-in's other routes.
    forged = {"user_id": lawyer, "text": "hi"}
    assert bob.call(f"/_standin/chats/{bob_reporter}/messages", forged)[0] == 403
    assert bob.call("/_standin/users")[0] == 404
    assert Browser(sandbox.url).call(f"/_standin/chats/{group}/transcript")[0] == 401


def test_sandbox_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    with start_sandbox(env={"TMPDIR": str(tmp_path)}) as sandbox:
        (data_dir,) = tmp_path.glob("intake-sandbox-*")  # the database and key live here
        assert (data_dir / "intake.db").is_file()
        assert sandbox.url.startswith("http://127.0.0.1:")
        lines = sandbox.printed().strip().splitlines()
        assert len(lines) == 2, lines  # the address, and a one-line hint
        assert "Ctrl-C" in lines[1]
        process = psutil.Process(sandbox.process.pid)
        _drive_a_little(sandbox)
        ports = _listening_ports(process)
        assert len(ports) >= 2, ports  # the page and the stand-in
        children = process.children(recursive=True)

        assert sandbox.stop() == 0, "".join(sandbox.err)[-2000:]

    assert not [c for c in children if c.is_running()], children
    assert not psutil.pid_exists(sandbox.process.pid) or (
        psutil.Process(sandbox.process.pid).status() == psutil.STATUS_ZOMBIE
    )
    assert all(_refused(port) for port in ports), ports
    assert "Sandbox stopped" in sandbox.printed()
    assert not data_dir.exists()  # the temporary database and key file are gone
    assert "Traceback" not in "".join(sandbox.err), "".join(sandbox.err)[-2000:]


def test_sandbox_keeps_its_data_in_a_data_dir(tmp_path: Path) -> None:
    with start_sandbox("--data-dir", str(tmp_path / "kept")) as sandbox:
        assert sandbox.stop() == 0, "".join(sandbox.err)[-2000:]
    keyring = tmp_path / "kept" / "keyring.json"
    assert (tmp_path / "kept" / "intake.db").is_file()
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    # Started again on the same folder, it finds its database, key and roster.
    with start_sandbox("--data-dir", str(tmp_path / "kept")) as sandbox:
        assert sandbox.stop() == 0, "".join(sandbox.err)[-2000:]
