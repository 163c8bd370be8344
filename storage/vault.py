"""Per-owner data keys: create, fetch (unwrap), shred. The only place that touches `data_keys`."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Binding, DataKey, DecryptionError
from storage.keyring import KeyringHolder, WrappedKey
from storage.models import DataKeyRow


class OwnerKind(StrEnum):
    """What a data key belongs to."""

    CASE = "case"
    REPORTER = "reporter"
    STAFF = "staff"


class KeyShreddedError(DecryptionError):
    """The owner's data key was destroyed: its ciphertexts are gone for good."""


def owner_ref(kind: OwnerKind, owner_id: uuid.UUID) -> str:
    """The owner string bound into every ciphertext and wrap of this owner."""
    return f"{kind.value}:{owner_id}"


def binding(
    kind: OwnerKind, owner_id: uuid.UUID, table: str, field: str, row: object = ""
) -> Binding:
    """Associated data tying a ciphertext to its owner, table, field and row."""
    return Binding(owner_ref(kind, owner_id), table, field, str(row) if row else "")


def _unwrapped(session: AsyncSession) -> dict[uuid.UUID, tuple[OwnerKind, DataKey]]:
    """This session's unwrapped keys; they go with the session (one unit of work)."""
    cache: dict[uuid.UUID, tuple[OwnerKind, DataKey]] = session.info.setdefault(
        "unwrapped_data_keys", {}
    )
    return cache


class Vault:
    """Creates, unwraps and destroys data keys; keys never leave memory unwrapped."""

    def __init__(self, keys: KeyringHolder) -> None:
        self._keys = keys

    @property
    def keys(self) -> KeyringHolder:
        """The keyring holder (for blind indexes)."""
        return self._keys

    async def create(self, session: AsyncSession, kind: OwnerKind, owner_id: uuid.UUID) -> DataKey:
        """Make and store (wrapped) a fresh data key for a new owner."""
        dek = DataKey.generate()
        wrapped = self._keys.wrap(dek, owner_ref(kind, owner_id))
        session.add(
            DataKeyRow(
                id=owner_id, owner_kind=kind.value, kek_id=wrapped.kek_id, wrapped=wrapped.blob
            )
        )
        _unwrapped(session)[owner_id] = (kind, dek)
        return dek

    async def get(self, session: AsyncSession, kind: OwnerKind, owner_id: uuid.UUID) -> DataKey:
        """Unwrap an owner's data key; KeyShreddedError when it was destroyed.

        Unwrapped once per session: one reporter update reads the same keys several times.
        """
        cached = _unwrapped(session).get(owner_id)
        if cached is not None and cached[0] is kind:
            return cached[1]
        row = await session.get(DataKeyRow, owner_id)  # no query when already read with its owner
        if row is None or row.owner_kind != kind.value:
            raise KeyShreddedError(f"the data key of this {kind.value} no longer exists")
        dek = self._keys.unwrap(WrappedKey(row.kek_id, row.wrapped), owner_ref(kind, owner_id))
        _unwrapped(session)[owner_id] = (kind, dek)
        return dek

    async def shred(self, session: AsyncSession, owner_id: uuid.UUID) -> bool:
        """Destroy an owner's data key (crypto-shredding); True if there was one."""
        _unwrapped(session).pop(owner_id, None)
        result = await session.execute(
            delete(DataKeyRow).where(DataKeyRow.id == owner_id).returning(DataKeyRow.id)
        )
        return result.first() is not None

    @staticmethod
    async def any_data_keys(session: AsyncSession) -> bool:
        """Whether any data key exists (a database with one needs its keyring)."""
        rows = await session.execute(select(DataKeyRow.id).limit(1))
        return rows.first() is not None

    def lookup(self, purpose: str, value: str) -> bytes:
        """Blind index (keyed hash) of a value, for finding rows without plaintext."""
        return self._keys.current().blind_index(purpose, value)
