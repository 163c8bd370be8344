"""Triage benchmark: a backlog of 10,000 cases; how fast coordinators' screens open.

    python -m tests.benchmarks.triage_bench [--cases 10000] [--runs 50] [--backend both]

Fills a fresh database with live cases (random urgency, status, times, claims; each with its
own data key and a dozen encrypted answers), then times, over repeated runs, what a
coordinator's press costs on the server: a filtered case list page (the unclaimed filter, page
3), a case view (metadata, every answer decrypted, notes, history, rendered), and statistics
for 30 days. Prints p50 and p99 in milliseconds per backend. Target: p99 under 200 ms on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.domain.cases import CaseStatus, Urgency, new_case_code
from bot.domain.questionnaire.flow import Questionnaire
from bot.domain.workflow import TriageFilter
from bot.i18n import Catalogs
from bot.staff.views import Views
from storage import migrate
from storage.crypto import DataKey
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringHolder
from storage.models import Answer, Case, DataKeyRow
from storage.store import SqlStore
from storage.vault import OwnerKind, Vault, binding, owner_ref
from tests import databases

ANSWERS = {
    "reporter_role": "relative",
    "detained_name": "Иван Петрович Сидоров",
    "detained_dob": {"date": "1990-04-12", "approximate": False},
    "detained_city": "Алматы",
    "held_at": "police_station",
    "held_at_details": "ОП №5 Алмалинского района",
    "agency": "police",
    "citizenship": ["ru", "kz"],
    "removal_talk": "deportation",
    "lawyer_status": "none",
    "urgent_flags": ["none"],
    "story": "Задержали у остановки, увезли на машине. " * 10,
}
STATUSES = [CaseStatus.NEW, CaseStatus.TRIAGED, CaseStatus.ASSIGNED, CaseStatus.IN_CONTACT,
            CaseStatus.RELEASED, CaseStatus.DEPORTED, CaseStatus.CLOSED]  # fmt: skip


async def fill(store: SqlStore, keyring: Keyring, count: int, now: datetime) -> list[str]:
    """Insert `count` live cases with encrypted answers in bulk; returns their codes."""
    rng = random.Random(7)
    codes: list[str] = []
    batch = 500
    for start in range(0, count, batch):
        keys, cases, answers = [], [], []
        for _ in range(min(batch, count - start)):
            case_id = uuid.uuid4()
            dek = DataKey.generate()
            wrapped = keyring.wrap(dek, owner_ref(OwnerKind.CASE, case_id))
            keys.append({"id": case_id, "owner_kind": "case", "kek_id": wrapped.kek_id,
                         "wrapped": wrapped.blob, "created_at": now})  # fmt: skip
            went_live = now - timedelta(minutes=rng.uniform(0, 60 * 24 * 45))
            status = rng.choice(STATUSES)
            code = new_case_code()
            codes.append(code)
            cases.append({
                "id": case_id, "code": code, "status": status.value,
                "urgency": rng.choice(list(Urgency)).value, "questionnaire_version": "bench",
                "report_count": 1, "created_at": went_live, "updated_at": went_live,
                "tier0_completed_at": went_live, "escalation_round": 0,
                "claimed_at": went_live + timedelta(minutes=rng.uniform(1, 90))
                if status is not CaseStatus.NEW else None,
            })  # fmt: skip
            for question_id, value in ANSWERS.items():
                answer_id = uuid.uuid4()
                answers.append({
                    "id": answer_id, "case_id": case_id, "question_id": question_id,
                    "value": dek.encrypt_json(value, binding(OwnerKind.CASE, case_id, "answers",
                                                             question_id, answer_id)),
                    "created_at": went_live, "updated_at": went_live,
                })  # fmt: skip
        async with store.transaction() as tx:
            await tx.session.execute(insert(DataKeyRow), keys)
            await tx.session.execute(insert(Case), cases)
            await tx.session.execute(insert(Answer), answers)
    return codes


def _ms(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[
        min(len(samples) - 1, int(0.99 * len(samples)))
    ] * 1000


async def bench(url: str, count: int, runs: int) -> dict[str, tuple[float, float]]:
    """Fill one database and time the three screens."""
    with tempfile.TemporaryDirectory() as tmp:
        keyring = Keyring.create(Path(tmp) / "keyring.json")
        engine = make_engine(url)
        await migrate.upgrade(engine)
        now = datetime.now(UTC)
        store = SqlStore(make_sessionmaker(engine), Vault(KeyringHolder(keyring.path)))
        codes = await fill(store, keyring, count, now)
        views = Views(Questionnaire.load(), lambda: now)
        tr = Catalogs().translator("ru")
        rng = random.Random(11)
        timings: dict[str, list[float]] = {"list page": [], "case view": [], "stats 30 days": []}
        for _ in range(runs):
            started = time.perf_counter()
            async with store.transaction() as tx:
                await views.case_list(tx, tr, TriageFilter.UNCLAIMED, 2)
            timings["list page"].append(time.perf_counter() - started)
            started = time.perf_counter()
            async with store.transaction() as tx:
                line = await tx.triage.line(rng.choice(codes))
                assert line is not None
                await views.case_view(tx, tr, line)
            timings["case view"].append(time.perf_counter() - started)
            started = time.perf_counter()
            async with store.transaction() as tx:
                await tx.triage.stats(now - timedelta(days=30), now)
            timings["stats 30 days"].append(time.perf_counter() - started)
        await engine.dispose()
    return {name: _ms(samples) for name, samples in timings.items()}


async def main(count: int, runs: int, backend: str) -> None:
    """Run on the chosen backends and print a table."""
    rows: list[tuple[str, str, float, float]] = []
    if backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            for name, (p50, p99) in (
                await bench(f"sqlite+aiosqlite:///{tmp}/t.db", count, runs)
            ).items():
                rows.append(("sqlite", name, p50, p99))
    if backend in ("postgres", "both"):
        reason = await databases.pg_unavailable_reason_async()
        if reason is not None:
            print(f"postgresql skipped: {reason}")
        else:
            db = f"intake_triage_{uuid.uuid4().hex[:8]}"
            await databases.pg_admin(f'CREATE DATABASE "{db}"')
            try:
                for name, (p50, p99) in (await bench(databases.pg_url(db), count, runs)).items():
                    rows.append(("postgresql", name, p50, p99))
            finally:
                await databases.pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print(f"{count} cases, {runs} runs each")
    print(f"{'backend':<12}{'screen':<16}{'p50 ms':>10}{'p99 ms':>10}")
    for backend_name, name, p50, p99 in rows:
        print(f"{backend_name:<12}{name:<16}{p50:>10.1f}{p99:>10.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.cases, arguments.runs, arguments.backend))
