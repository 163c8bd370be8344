"""Periodic housekeeping on the JobQueue: shred abandoned drafts, sweep unaccepted uploads."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete
from telegram.ext import Application, ContextTypes

from storage.models import ProcessedUpdate

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
INTERVAL = timedelta(minutes=10)
UPLOAD_GRACE = timedelta(hours=1)
UPDATE_MEMORY = timedelta(days=7)


async def sweep(runtime: Runtime) -> dict[str, int]:
    """One housekeeping pass; returns what it removed."""
    now = runtime.now()
    ttl = timedelta(hours=runtime.settings.draft_ttl_hours)
    async with runtime.store.transaction() as tx:
        drafts = await tx.cases.stale_drafts(now - ttl)
        for case_id in drafts:
            await tx.cases.shred(case_id)
        uploads = await tx.attachments.sweep_unaccepted(now - UPLOAD_GRACE)
        pruned = await tx.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - UPDATE_MEMORY)
        )
    counts = {"drafts": len(drafts), "uploads": uploads, "update_ids": int(pruned.rowcount or 0)}  # type: ignore[attr-defined]
    if any(counts.values()):
        log.info("housekeeping", extra=counts)
    return counts


def schedule_janitor(application: Application, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """Run `sweep` every few minutes."""
    if application.job_queue is None:
        return

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await sweep(runtime)

    application.job_queue.run_repeating(job, interval=INTERVAL, first=INTERVAL, name="janitor")
