"""Periodic housekeeping on the JobQueue: shred abandoned drafts, sweep unaccepted uploads."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete
from telegram.ext import Application, ContextTypes

from bot.ops.cli import retention_policy
from storage.models import ProcessedUpdate
from storage.retention import shred_expired

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
INTERVAL = timedelta(minutes=10)
UPLOAD_GRACE = timedelta(hours=1)
UPDATE_MEMORY = timedelta(days=7)
DAY = timedelta(days=1)


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


async def retention(runtime: Runtime) -> int:
    """Shred closed cases whose retention window has passed (audited); returns how many."""
    run = await shred_expired(
        runtime.store,
        retention_policy(runtime.settings),
        runtime.now(),
        anchor=runtime.store.audit_anchor,
    )
    if run.shredded:
        log.info("retention", extra={"shredded": len(run.shredded), "held": len(run.held)})
    return len(run.shredded)


def schedule_janitor(application: Application, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """Run `sweep` every few minutes and the retention pass once a day."""
    if application.job_queue is None:
        return

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await sweep(runtime)

    async def daily(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await retention(runtime)

    application.job_queue.run_repeating(job, interval=INTERVAL, first=INTERVAL, name="janitor")
    application.job_queue.run_repeating(daily, interval=DAY, first=INTERVAL, name="retention")
