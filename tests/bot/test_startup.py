"""Start-up refuses bad configuration with one clear line naming the setting, never a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringHolder
from storage.store import SqlStore
from storage.vault import Vault

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `intake-bot` as a user would, in `cwd`, with only the given settings."""
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_run_without_a_token_says_what_to_set_and_where(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert_one_clear_line(result, "BOT_TOKEN", ".env")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("LAWYER_IDS", "12,abc"),
        ("COORDINATOR_IDS", "1;2"),
        ("LAWYERS_CHAT_ID", "lawyers"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_API_URL", "ftp://example"),
    ],
)
def test_an_unparseable_value_names_its_setting(tmp_path: Path, setting: str, value: str) -> None:
    result = run_cli(tmp_path, "run", BOT_TOKEN=TOKEN, **{setting: value})
    assert_one_clear_line(result, setting)


def test_an_unreachable_database_names_database_url(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "run",
        BOT_TOKEN=TOKEN,
        DATABASE_URL="postgresql+asyncpg://nobody:pw-not-shown@127.0.0.1:9/none",
    )
    assert_one_clear_line(result, "DATABASE_URL")
    assert "pw-not-shown" not in result.stderr


def test_a_keyring_with_open_permissions_is_refused(tmp_path: Path) -> None:
    keyring = Keyring.create(tmp_path / "keys" / "keyring.json")
    keyring.path.chmod(0o644)
    result = run_cli(tmp_path, "run", BOT_TOKEN=TOKEN, KEYRING_PATH=str(keyring.path))
    assert_one_clear_line(result, "KEYRING_PATH")


def test_a_missing_keyring_is_refused_once_the_database_holds_data(tmp_path: Path) -> None:
    keyring_path = tmp_path / "keys" / "keyring.json"
    assert run_cli(tmp_path, "keys", "init", KEYRING_PATH=str(keyring_path)).returncode == 0
    # Running once creates the database; a case's key then exists once a reporter writes.
    # Simulate that with the migrate command plus a data key written through the store.
    db_url = f"sqlite+aiosqlite:///{tmp_path}/data/intake.db"
    assert run_cli(tmp_path, "migrate", DATABASE_URL=db_url).returncode == 0
    _write_one_case(db_url, keyring_path)
    keyring_path.unlink()
    result = run_cli(
        tmp_path, "run", BOT_TOKEN=TOKEN, DATABASE_URL=db_url, KEYRING_PATH=str(keyring_path)
    )
    assert_one_clear_line(result, "KEYRING_PATH", "missing")


def _write_one_case(db_url: str, keyring_path: Path) -> None:
    async def write() -> None:
        engine = make_engine(db_url)
        store = SqlStore(make_sessionmaker(engine), Vault(KeyringHolder(keyring_path)))
        async with store.transaction() as tx:
            await tx.cases.create(questionnaire_version="test")
        await engine.dispose()

    asyncio.run(write())


def test_keys_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    assert run_cli(tmp_path, "keys", "init", KEYRING_PATH=str(path)).returncode == 0
    before = path.read_bytes()
    result = run_cli(tmp_path, "keys", "init", KEYRING_PATH=str(path))
    assert_one_clear_line(result, "KEYRING_PATH")
    assert path.read_bytes() == before


def test_settings_come_from_env_file_and_secret_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "token.txt").write_text(TOKEN + "\n")
    (tmp_path / ".env").write_text(
        "BOT_TOKEN_FILE=token.txt\nLAWYER_IDS=1, 2,3\nLAWYERS_CHAT_ID=-100123\n"
    )
    for name in ("BOT_TOKEN", "BOT_TOKEN_FILE", "LAWYER_IDS", "LAWYERS_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.lawyer_ids == frozenset({1, 2, 3})
    assert settings.lawyers_chat_id == -100123
    assert TOKEN not in repr(settings)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        load_settings()


def test_api_urls_derive_from_telegram_api_url() -> None:
    settings = load_settings(_env_file=None, telegram_api_url="http://127.0.0.1:8081/")
    assert settings.bot_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_base_url == "http://127.0.0.1:8081/file/bot"
