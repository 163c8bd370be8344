"""Attachments: streamed in as encrypted chunks, kept only once a conversation step accepts them.

Name, type and size live in the encrypted `meta`; no plaintext hash is stored. Each chunk is
bound to its attachment and position, and `meta` records how many chunks there are, so a
reordered, swapped or truncated file fails to decrypt as a whole.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import Binding, DecryptionError
from storage.models import Attachment, AttachmentChunk
from storage.vault import OwnerKind, Vault, binding

CHUNK_SIZE = 256 * 1024


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    """What we know of a file besides its bytes (all of it encrypted at rest)."""

    name: str
    mime_type: str
    kind: str  # photo | document
    size: int = 0


def _chunk_binding(case_id: uuid.UUID, attachment_id: uuid.UUID, seq: int) -> Binding:
    return binding(OwnerKind.CASE, case_id, "attachment_chunks", "data", f"{attachment_id}:{seq}")


class AttachmentWriter:
    """Stream a file into storage chunk by chunk, each chunk in a short transaction of its own.

    Short transactions keep a slow download from holding the database's write lock.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], vault: Vault) -> None:
        self._sessions = sessions
        self._vault = vault

    async def store(
        self, case_id: uuid.UUID, meta: AttachmentMeta, chunks: AsyncIterator[bytes]
    ) -> uuid.UUID:
        """Encrypt and store every chunk, then the metadata; returns the attachment id."""
        attachment_id = uuid.uuid4()
        async with self._sessions() as session, session.begin():
            session.add(Attachment(id=attachment_id, case_id=case_id, complete=False))
        seq, size = 0, 0
        buffer = b""
        async for piece in chunks:
            buffer += piece
            while len(buffer) >= CHUNK_SIZE:
                await self._write_chunk(case_id, attachment_id, seq, buffer[:CHUNK_SIZE])
                size += CHUNK_SIZE
                buffer = buffer[CHUNK_SIZE:]
                seq += 1
        if buffer or seq == 0:
            await self._write_chunk(case_id, attachment_id, seq, buffer)
            size += len(buffer)
            seq += 1
        async with self._sessions() as session, session.begin():
            key = await self._vault.get(session, OwnerKind.CASE, case_id)
            sealed = key.encrypt_json(
                {"name": meta.name, "mime_type": meta.mime_type, "kind": meta.kind, "size": size,
                 "chunks": seq},
                binding(OwnerKind.CASE, case_id, "attachments", "meta", attachment_id),
            )  # fmt: skip
            await session.execute(
                update(Attachment)
                .where(Attachment.id == attachment_id)
                .values(meta=sealed, chunk_count=seq)
            )
        return attachment_id

    async def _write_chunk(
        self, case_id: uuid.UUID, attachment_id: uuid.UUID, seq: int, data: bytes
    ) -> None:
        async with self._sessions() as session, session.begin():
            key = await self._vault.get(session, OwnerKind.CASE, case_id)
            session.add(
                AttachmentChunk(
                    attachment_id=attachment_id,
                    seq=seq,
                    data=key.encrypt(data, _chunk_binding(case_id, attachment_id, seq), pad=False),
                )
            )


class AttachmentRepository:
    """Accept, read and sweep attachments inside a transaction."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    async def accept(self, case_id: uuid.UUID, attachment_id: uuid.UUID) -> bool:
        """Keep a fully stored attachment of this case; False if it is not one."""
        result = await self._session.execute(
            update(Attachment)
            .where(
                Attachment.id == attachment_id,
                Attachment.case_id == case_id,
                Attachment.meta.is_not(None),
            )
            .values(complete=True)
            .returning(Attachment.id)
        )
        return result.first() is not None

    async def read(self, attachment_id: uuid.UUID) -> tuple[AttachmentMeta, bytes]:
        """Decrypt a whole attachment; DecryptionError if any chunk is missing or altered."""
        row = await self._session.get(Attachment, attachment_id)
        if row is None or row.meta is None:
            raise LookupError("no such attachment")
        key = await self._vault.get(self._session, OwnerKind.CASE, row.case_id)
        meta = key.decrypt_json(
            row.meta, binding(OwnerKind.CASE, row.case_id, "attachments", "meta", row.id)
        )
        result = await self._session.execute(
            select(AttachmentChunk)
            .where(AttachmentChunk.attachment_id == attachment_id)
            .order_by(AttachmentChunk.seq)
        )
        chunks = list(result.scalars())
        if [c.seq for c in chunks] != list(range(int(meta["chunks"]))):
            raise DecryptionError("attachment chunks are missing or reordered")
        data = b"".join(
            key.decrypt(c.data, _chunk_binding(row.case_id, row.id, c.seq)) for c in chunks
        )
        if len(data) != int(meta["size"]):
            raise DecryptionError("attachment size does not match its metadata")
        described = AttachmentMeta(meta["name"], meta["mime_type"], meta["kind"], int(meta["size"]))
        return described, data

    async def sweep_unaccepted(self, before: datetime) -> int:
        """Delete uploads no conversation step accepted (e.g. a crash mid-download)."""
        result = await self._session.execute(
            delete(Attachment)
            .where(Attachment.complete.is_(False), Attachment.created_at < before)
            .returning(Attachment.id)
        )
        return len(result.all())
