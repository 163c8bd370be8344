"""Encryption and storage cost per answer, on SQLite and PostgreSQL.

    make bench-storage            # or: python -m tests.benchmarks.storage_bench --answers 2000

For each backend: the cost of encrypting one answer alone, of storing one answer in its own
transaction as the bot does (look up the case key, encrypt, upsert, commit), and of loading
one (read, unwrap, decrypt). PostgreSQL is skipped with a note if no server answers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from storage import migrate
from storage.crypto import Binding, DataKey
from storage.db import make_engine, make_sessionmaker
from storage.keyring import Keyring, KeyringHolder
from storage.store import SqlStore
from storage.vault import Vault
from tests import databases

ANSWER = {"text": "Иван Петрович Сидоров, 1990-04-12, ОП №5 Алмалинского района"}


def _encrypt_only(count: int) -> float:
    key = DataKey.generate()
    binding = Binding(f"case:{uuid.uuid4()}", "answers", "detained_name", str(uuid.uuid4()))
    started = time.perf_counter()
    for _ in range(count):
        key.decrypt_json(key.encrypt_json(ANSWER, binding), binding)
    return (time.perf_counter() - started) / count * 1e6


async def _bench_store(url: str, keyring: Path, count: int) -> tuple[float, float, float]:
    engine = make_engine(url)
    await migrate.upgrade(engine)
    store = SqlStore(make_sessionmaker(engine), Vault(KeyringHolder(keyring)))
    async with store.transaction() as tx:
        case = await tx.cases.create(questionnaire_version="bench")
    writes: list[float] = []
    for n in range(count):
        started = time.perf_counter()
        async with store.transaction() as tx:
            await tx.cases.put_answer(case.id, f"q{n % 40}", ANSWER)
        writes.append(time.perf_counter() - started)
    reads: list[float] = []
    for _ in range(max(count // 40, 10)):
        started = time.perf_counter()
        async with store.transaction() as tx:
            answers = await tx.cases.answers(case.id)
        reads.append((time.perf_counter() - started) / len(answers))
    await engine.dispose()
    return (
        statistics.median(writes) * 1e6,
        statistics.quantiles(writes, n=100)[98] * 1e6,
        statistics.median(reads) * 1e6,
    )


async def main(count: int) -> None:
    """Run the benchmark and print one row per backend."""
    print(f"encrypt+decrypt only (AES-256-GCM, padded JSON): {_encrypt_only(count * 5):8.1f} µs")
    print(f"{'backend':<12}{'store p50 µs':>14}{'store p99 µs':>14}{'load µs/answer':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        keyring = Keyring.create(Path(tmp) / "keys" / "keyring.json").path
        backends = [("sqlite", f"sqlite+aiosqlite:///{tmp}/data/bench.db")]
        reason = await databases.pg_unavailable_reason_async()
        name = f"intake_bench_{uuid.uuid4().hex[:8]}"
        if reason is None:
            await databases.pg_admin(f'CREATE DATABASE "{name}"')
            backends.append(("postgresql", databases.pg_url(name)))
        try:
            for backend, url in backends:
                write_p50, write_p99, read = await _bench_store(url, keyring, count)
                print(f"{backend:<12}{write_p50:>14.0f}{write_p99:>14.0f}{read:>16.1f}")
        finally:
            if reason is None:
                await databases.pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if reason is not None:
            print(f"postgresql  skipped: {reason}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    asyncio.run(main(parser.parse_args().answers))
