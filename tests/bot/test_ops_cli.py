"""`python -m bot.ops`: keygen, export, offline decrypt-export, audit verify/anchor, retention.

The commands run as real subprocesses against this test's database and key file, with a clean
environment and a working directory without `.env`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from bot.config import ConfigError, load_settings
from bot.domain.cases import CaseStatus
from bot.ops import cli
from storage.export import generate_key_pair as make_keys
from storage.export import load_public_key, seal
from storage.keyring import Keyring
from storage.models import AuditEntry, Case
from storage.repositories.audit import AuditAnchor, AuditLog
from storage.store import SqlStore
from tests.databases import ScratchDatabase
from tests.leaks import CANARIES, CANARY_CYRILLIC, CANARY_LATIN, hits_in_bytes


def clean_env(**settings: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(settings)
    return env


def server_env(database: ScratchDatabase, keyring: Keyring) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=database.url,
        KEYRING_PATH=str(keyring.path),
        TIMEZONE="UTC",
        LOG_LEVEL="WARNING",
    )


async def ops(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.ops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def make_case(
    store: SqlStore, status: CaseStatus = CaseStatus.NEW, closed_days_ago: float | None = None
) -> tuple[str, uuid.UUID]:
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="test-1", status=status)
        await tx.cases.put_answer(case.id, "detained_name", f"{CANARY_CYRILLIC} {CANARY_LATIN}")
        await tx.cases.put_answer(case.id, "details", {"text": CANARY_LATIN, "n": 3})
        if closed_days_ago is not None:
            closed = datetime.now(UTC) - timedelta(days=closed_days_ago)
            await tx.session.execute(
                update(Case).where(Case.id == case.id).values(closed_at=closed)
            )
    return case.code, case.id


async def test_keygen_export_and_an_offline_decrypt_round_trip_through_the_command_line(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring, tmp_path: Path
) -> None:
    code, case_id = await make_case(store)
    legal, server = tmp_path / "legal", tmp_path / "server"

    made = await ops(
        "keygen",
        "--out-private",
        "key.pem",
        "--out-public",
        "key.pub",
        cwd=legal,
        env=clean_env(),
    )
    assert made.returncode == 0, made.stderr
    assert (legal / "key.pem").stat().st_mode & 0o777 == 0o600
    assert "fingerprint:" in made.stdout

    exported = await ops(
        "export",
        "--case",
        code.lower().replace("-", " "),  # typed loosely
        "--public-key",
        str(legal / "key.pub"),
        "--out",
        "case.export",
        cwd=server,
        env=server_env(database, keyring),
    )
    assert exported.returncode == 0, exported.stderr
    assert code in exported.stdout
    assert sorted(p.name for p in server.iterdir()) == ["case.export"]
    assert hits_in_bytes((server / "case.export").read_bytes(), [*CANARIES, "detained_name"]) == []

    # Offline: no database, no key file, and settings that would not even load.
    (legal / ".env").write_text("LOG_LEVEL=NOT-A-LEVEL\nDATABASE_URL=postgresql://nowhere/none\n")
    poisoned = clean_env(
        DATABASE_URL="postgresql+asyncpg://nobody@203.0.113.1:1/none",
        KEYRING_PATH=str(tmp_path / "no-such-keyring.json"),
        TIMEZONE="Not/AZone",
    )
    opened = await ops(
        "decrypt-export",
        "--private-key",
        "key.pem",
        "--in",
        str(server / "case.export"),
        "--out",
        "case.json",
        cwd=legal,
        env=poisoned,
    )
    assert opened.returncode == 0, opened.stderr
    assert (legal / "case.json").stat().st_mode & 0o777 == 0o600
    document = json.loads((legal / "case.json").read_text(encoding="utf-8"))
    (case,) = document["cases"]
    assert case["code"] == code
    async with store.transaction() as tx:
        assert case["answers"] == await tx.cases.answers(case_id)
        entries = list((await tx.session.execute(select(AuditEntry))).scalars())
    assert [(e.actor, e.action, e.case_code) for e in entries] == [("ops", "case.export", code)]

    again = await ops(
        "decrypt-export",
        "--private-key",
        "key.pem",
        "--in",
        str(server / "case.export"),
        "--out",
        "case.json",
        cwd=legal,
        env=poisoned,
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr


async def test_a_wrong_key_or_a_tampered_file_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    make_keys(tmp_path / "right.pem", tmp_path / "right.pub")
    make_keys(tmp_path / "wrong.pem", tmp_path / "wrong.pub")
    document = {"format": "intake-bot-export/1", "cases": [{"code": "AAAA-BBBB-CCCC"}]}
    sealed = seal(json.dumps(document).encode(), load_public_key(tmp_path / "right.pub"))
    (tmp_path / "x.export").write_bytes(sealed)
    (tmp_path / "bad.export").write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))

    wrong = await ops(
        "decrypt-export", "--private-key", "wrong.pem", "--in", "x.export", "--out", "a.json",
        cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "sealed to key" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    tampered = await ops(
        "decrypt-export", "--private-key", "right.pem", "--in", "bad.export", "--out", "b.json",
        cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert tampered.returncode == 1
    assert "fails authentication" in tampered.stderr
    assert not (tmp_path / "a.json").exists()
    assert not (tmp_path / "b.json").exists()
    good = await ops(
        "decrypt-export", "--private-key", "right.pem", "--in", "x.export", "--out", "-",
        cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert good.returncode == 0
    assert json.loads(good.stdout) == document


async def test_audit_verify_says_ok_with_the_count_or_one_line_per_problem_and_exits_1(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring, tmp_path: Path
) -> None:
    anchor = AuditAnchor.beside(store.vault.keys)  # where the settings put it by default
    async with store.transaction() as tx:
        log = AuditLog(tx.session, store.vault.keys, anchor)
        for action in ("role.grant", "case.view", "case.note"):
            await log.append("staff:1", action, case_code="AAAA-BBBB-CCCC")
    assert await anchor.advance(log.head)
    env, cwd = server_env(database, keyring), tmp_path / "cwd"

    ok = await ops("audit", "verify", cwd=cwd, env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 3 entries, chain intact")

    async with store.transaction() as tx:
        last = (await tx.session.execute(select(AuditEntry.id).order_by(AuditEntry.id))).scalars()
        ids = list(last)
        await tx.session.execute(delete(AuditEntry).where(AuditEntry.id == ids[-1]))
        await tx.session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[0]).values(actor="staff:2")
        )
    bad = await ops("audit", "verify", cwd=cwd, env=env)
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"entry #{ids[0]} was altered")
    assert "entries were removed from the end" in lines[1]

    refused = await ops("audit", "anchor", cwd=cwd, env=env)  # an altered entry stays refused
    assert refused.returncode == 2
    assert f"entry #{ids[0]} was altered" in refused.stderr
    async with store.transaction() as tx:
        await tx.session.execute(delete(AuditEntry))
    reanchored = await ops("audit", "anchor", cwd=cwd, env=env)  # e.g. after a restore
    assert reanchored.returncode == 0, reanchored.stderr
    ok = await ops("audit", "verify", cwd=cwd, env=env)
    assert ok.returncode == 0
    assert ok.stdout.startswith("OK: 1 entries, chain intact")


async def test_retention_list_extend_and_run_from_the_command_line(
    store: SqlStore, database: ScratchDatabase, keyring: Keyring, tmp_path: Path
) -> None:
    expired, expired_id = await make_case(store, CaseStatus.CLOSED, 95)
    soon, soon_id = await make_case(store, CaseStatus.RELEASED, 87)
    later, _ = await make_case(store, CaseStatus.CLOSED, 10)
    env, cwd = server_env(database, keyring), tmp_path / "cwd"

    listed = await ops("retention", "list", "--days", "7", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == [expired, soon]
    assert "(expired)" in lines[0]
    assert later not in listed.stdout

    extended = await ops("retention", "extend", soon, "--days", "30", cwd=cwd, env=env)
    assert extended.returncode == 0, extended.stderr
    assert f"{soon} now expires" in extended.stdout

    ran = await ops("retention", "run", cwd=cwd, env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"shredded {expired} (closed" in ran.stdout
    assert "1 case(s) shredded, 0 held" in ran.stdout
    async with store.transaction() as tx:
        assert await tx.cases.get(expired_id) is None
        assert await tx.cases.get(soon_id) is not None
        actions = (
            await tx.session.execute(
                select(AuditEntry.action, AuditEntry.case_code).order_by(AuditEntry.id)
            )
        ).all()
        assert [tuple(a) for a in actions] == [
            ("case.retention_extended", soon),
            ("case.shredded", expired),
        ]
    verified = await ops("audit", "verify", cwd=cwd, env=env)
    assert verified.returncode == 0, verified.stdout

    unknown = await ops("retention", "extend", "AAAA-BBBB-CCCC", "--days", "3", cwd=cwd, env=env)
    assert unknown.returncode == 2
    assert "there is no case AAAA-BBBB-CCCC" in unknown.stderr


def test_the_commands_plug_into_another_programs_parser(tmp_path: Path) -> None:
    """What bot/cli.py does with `add_commands` and `run`."""
    parser = argparse.ArgumentParser(prog="intake-bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate")
    cli.add_commands(commands)
    assert cli.run(parser.parse_args(["migrate"]), None) is None
    args = parser.parse_args(
        ["keygen", "--out-private", str(tmp_path / "k"), "--out-public", str(tmp_path / "k.pub"),
         "--raw"]
    )  # fmt: skip
    assert cli.run(args, None) == 0
    assert len((tmp_path / "k.pub").read_text().strip()) == 44  # base64 of 32 bytes
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "--case", "not a code", "--public-key", "k", "--out", "o"])


def test_retention_windows_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("RETENTION_DAYS_CLOSED", "never")
    monkeypatch.setenv("RETENTION_DAYS_RELEASED", "30")
    monkeypatch.setenv("RETENTION_DAYS_DEPORTED", "")
    settings = load_settings()
    policy = cli.retention_policy(settings)
    assert policy.window(CaseStatus.CLOSED) is None
    assert policy.window(CaseStatus.RELEASED) == timedelta(days=30)
    assert policy.window(CaseStatus.DEPORTED) == timedelta(days=90)
    assert policy.window(CaseStatus.CONVICTED) == timedelta(days=90)
    assert settings.retention_notice_days == 7
    assert cli.audit_anchor_path(settings) == settings.keyring_path.parent / "audit-anchor.json"
    monkeypatch.setenv("RETENTION_DAYS_CONVICTED", "0")
    with pytest.raises(ConfigError, match="RETENTION_DAYS_CONVICTED"):
        load_settings()
