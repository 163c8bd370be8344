"""Staff (lawyers, coordinators, admins) and the on-call roster."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.people import TelegramIdentity
from bot.domain.roster import Position, Shift, Substitute
from storage.models import RosterShift, RosterSubstitute, Staff
from storage.vault import OwnerKind, Vault, binding

LOOKUP_PURPOSE = "telegram-staff"


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff member with their decrypted identity."""

    id: uuid.UUID
    role: str
    reachable: bool
    identity: TelegramIdentity

    @property
    def named(self) -> bool:
        """Whether we know a name for them (staff created from settings start with none)."""
        identity = self.identity
        return bool(identity.first_name or identity.last_name or identity.username)

    @property
    def display_name(self) -> str:
        """How the card names them in the lawyers' chat (their Telegram id if nothing else)."""
        name = " ".join(p for p in (self.identity.first_name, self.identity.last_name) if p)
        if name:
            return name
        if self.identity.username:
            return f"@{self.identity.username}"
        return f"#{self.identity.user_id}"


class StaffRepository:
    """Find, create and update staff; read and change the roster."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self._session = session
        self._vault = vault

    def _lookup(self, user_id: int) -> bytes:
        return self._vault.lookup(LOOKUP_PURPOSE, str(user_id))

    async def _decrypt(self, row: Staff) -> StaffMember:
        key = await self._vault.get(self._session, OwnerKind.STAFF, row.id)
        data = key.decrypt_json(row.identity, binding(OwnerKind.STAFF, row.id, "staff", "identity"))
        return StaffMember(row.id, row.role, row.reachable, TelegramIdentity.from_dict(data))

    async def by_user(self, user_id: int) -> StaffMember | None:
        """The active staff member with this Telegram id, if any."""
        row = (
            await self._session.execute(
                select(Staff).where(Staff.lookup == self._lookup(user_id), Staff.active.is_(True))
            )
        ).scalar_one_or_none()
        return None if row is None else await self._decrypt(row)

    async def get(self, staff_id: uuid.UUID) -> StaffMember | None:
        """A staff member by id."""
        row = await self._session.get(Staff, staff_id)
        return None if row is None or not row.active else await self._decrypt(row)

    async def ensure(
        self, identity: TelegramIdentity, role: str, *, from_settings: bool = False
    ) -> StaffMember:
        """Create a staff member, or update their role (from the settings, or a /grant)."""
        row = (
            await self._session.execute(
                select(Staff).where(Staff.lookup == self._lookup(identity.user_id))
            )
        ).scalar_one_or_none()
        if row is None:
            staff_id = uuid.uuid4()
            key = await self._vault.create(self._session, OwnerKind.STAFF, staff_id)
            row = Staff(
                id=staff_id,
                lookup=self._lookup(identity.user_id),
                identity=key.encrypt_json(
                    identity.to_dict(), binding(OwnerKind.STAFF, staff_id, "staff", "identity")
                ),
                role=role,
                reachable=True,  # until Telegram says otherwise (403): they may have started it
                active=True,
                from_settings=from_settings,
            )
            self._session.add(row)
        else:
            row.role = role
            row.active = True
            row.from_settings = from_settings
        await self._session.flush()
        return await self._decrypt(row)

    async def retain_only(self, user_ids: Iterable[int]) -> int:
        """Deactivate staff who came from the settings but are no longer listed there (people
        granted a role with /grant keep it until /revoke); returns how many lost access."""
        keep = [self._lookup(user_id) for user_id in user_ids]
        result = await self._session.execute(
            update(Staff)
            .where(Staff.active.is_(True), Staff.from_settings.is_(True), Staff.lookup.not_in(keep))
            .values(active=False)
            .returning(Staff.id)
        )
        return len(result.all())

    async def mark_reachable(self, identity: TelegramIdentity) -> StaffMember | None:
        """They opened a private chat with the bot: store their fresh identity, mark reachable."""
        row = (
            await self._session.execute(
                select(Staff).where(Staff.lookup == self._lookup(identity.user_id))
            )
        ).scalar_one_or_none()
        if row is None or not row.active:
            return None
        key = await self._vault.get(self._session, OwnerKind.STAFF, row.id)
        row.identity = key.encrypt_json(
            identity.to_dict(), binding(OwnerKind.STAFF, row.id, "staff", "identity")
        )
        row.reachable = True
        await self._session.flush()
        return await self._decrypt(row)

    async def refresh_names(self, identity: TelegramIdentity) -> StaffMember | None:
        """Keep the names Telegram shows for them current (their private chat stays as it was)."""
        row = (
            await self._session.execute(
                select(Staff).where(Staff.lookup == self._lookup(identity.user_id))
            )
        ).scalar_one_or_none()
        if row is None or not row.active:
            return None
        member = await self._decrypt(row)
        old = member.identity
        fresh = TelegramIdentity(
            old.user_id,
            old.chat_id,
            identity.username,
            identity.first_name,
            identity.last_name,
            identity.language_code or old.language_code,
        )
        if fresh == old:
            return member
        key = await self._vault.get(self._session, OwnerKind.STAFF, row.id)
        row.identity = key.encrypt_json(
            fresh.to_dict(), binding(OwnerKind.STAFF, row.id, "staff", "identity")
        )
        await self._session.flush()
        return StaffMember(row.id, row.role, row.reachable, fresh)

    async def deactivate(self, staff_id: uuid.UUID) -> None:
        """Take a staff member's role away (their row stays for the audit trail)."""
        await self._session.execute(update(Staff).where(Staff.id == staff_id).values(active=False))

    async def set_pending(self, staff_id: uuid.UUID, action: dict[str, str]) -> None:
        """Remember what their next message means (encrypted under their key)."""
        key = await self._vault.get(self._session, OwnerKind.STAFF, staff_id)
        sealed = key.encrypt_json(action, binding(OwnerKind.STAFF, staff_id, "staff", "pending"))
        await self._session.execute(
            update(Staff).where(Staff.id == staff_id).values(pending=sealed)
        )

    async def pop_pending(self, staff_id: uuid.UUID) -> dict[str, str] | None:
        """Take (and clear) their pending action, if any."""
        row = await self._session.get(Staff, staff_id)
        if row is None or row.pending is None:
            return None
        key = await self._vault.get(self._session, OwnerKind.STAFF, staff_id)
        action = key.decrypt_json(
            row.pending, binding(OwnerKind.STAFF, staff_id, "staff", "pending")
        )
        row.pending = None
        await self._session.flush()
        return {str(k): str(v) for k, v in dict(action).items()}

    async def mark_unreachable(self, staff_id: uuid.UUID) -> bool:
        """Telegram refused a private message to them (they never started or blocked the bot).

        True if they were reachable until now (so the coordinators are told once).
        """
        result = await self._session.execute(
            update(Staff)
            .where(Staff.id == staff_id, Staff.reachable.is_(True))
            .values(reachable=False)
            .returning(Staff.id)
        )
        return result.first() is not None

    async def with_role(self, *roles: str) -> list[StaffMember]:
        """Every active staff member with one of these roles."""
        rows = (
            await self._session.execute(
                select(Staff).where(Staff.role.in_(roles), Staff.active.is_(True))
            )
        ).scalars()
        return [await self._decrypt(row) for row in rows]

    # -- roster ----------------------------------------------------------------------------

    async def shifts(self) -> list[Shift]:
        """Every weekly shift."""
        rows = (await self._session.execute(select(RosterShift).order_by(RosterShift.id))).scalars()
        return [
            Shift(r.staff_id, Position(r.position), r.weekday, r.start_minute, r.end_minute)
            for r in rows
        ]

    async def shift_rows(self) -> list[tuple[int, Shift]]:
        """Shifts with their ids (for listing and removal)."""
        rows = (await self._session.execute(select(RosterShift).order_by(RosterShift.id))).scalars()
        return [
            (r.id, Shift(r.staff_id, Position(r.position), r.weekday, r.start_minute, r.end_minute))
            for r in rows
        ]

    async def add_shift(self, shift: Shift) -> int:
        """Add a weekly shift; returns its id."""
        row = RosterShift(
            staff_id=shift.staff_id,
            position=shift.position.value,
            weekday=shift.weekday,
            start_minute=shift.start_minute,
            end_minute=shift.end_minute,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def remove_shift(self, shift_id: int) -> bool:
        """Remove a shift by id."""
        result = await self._session.execute(
            delete(RosterShift).where(RosterShift.id == shift_id).returning(RosterShift.id)
        )
        return result.first() is not None

    async def substitutes(self, now: datetime) -> list[Substitute]:
        """Substitutions not yet over."""
        rows = (
            await self._session.execute(
                select(RosterSubstitute).where(RosterSubstitute.ends_at > now)
            )
        ).scalars()
        return [Substitute(r.staff_id, Position(r.position), r.starts_at, r.ends_at) for r in rows]

    async def add_substitute(self, substitute: Substitute) -> int:
        """Add a one-off substitution; returns its id."""
        row = RosterSubstitute(
            staff_id=substitute.staff_id,
            position=substitute.position.value,
            starts_at=substitute.starts_at,
            ends_at=substitute.ends_at,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id
