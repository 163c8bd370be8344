"""Who is paged follows the staff as they are now; what staff do is stamped with the bot's clock.

Anyone with a role (admins, and lawyers granted with /grant, not only those listed in the
settings) becomes reachable by writing to the bot privately, and is paged; someone revoked is
not. Card presses and escalation rounds stamp the case and the audit log with the injected
clock, not the wall clock.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.domain.cases import Urgency
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser
from storage.models import AuditEntry, Staff
from tests.bot.alert_support import Office, codes_in, office
from tests.bot.staff_support import desk
from tests.databases import ScratchDatabase


async def reachable(world: Office, user: PlayUser) -> bool | None:
    """Whether the bot may write to a staff member privately (None: not staff at all)."""
    async with world.runtime.store.transaction() as tx:
        member = await tx.staff.by_user(user.id)
    if member is None:
        return None
    async with world.runtime.sessions() as session:
        row = await session.get(Staff, member.id)
        assert row is not None
        return row.reachable


def paged_about(world: Office, user: PlayUser, since: int) -> set[str]:
    """Case codes in the private alerts a user received after event `since`."""
    return {c for m in world.pages(user, since) for c in codes_in(m.content)}


async def test_an_admin_and_a_lawyer_granted_later_become_reachable_again_by_writing(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    ada = standin.new_user("Ada", language_code="en")  # an admin from ADMIN_IDS
    async with office(standin, database, keyring_path, admin_ids=str(ada.id)) as world:
        pavel = standin.new_user("Pavel", language_code="en")
        kira = desk(world)
        reply = await kira.command("/grant", f"{pavel.id} lawyer")
        assert (reply.text or "").endswith("is now lawyer.")
        await world.put_on_call(primary=pavel)

        # Pavel has not opened a chat with the bot: his first page is refused, and from then
        # on he counts as unreachable (the coordinator is told) until he writes to the bot.
        since = world.cursor()
        first = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert await reachable(world, pavel) is False
        told = [m.content for m in world.sent_since(world.coordinator, since)]
        assert any("cannot be reached privately" in text for text in told), told
        await world.say_privately(pavel, "/start")
        assert await reachable(world, pavel) is True
        since = world.cursor()
        second = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert paged_about(world, pavel, since) == {second}

        # The same for an admin, paged with the coordinators from the third round on.
        await world.advance(minutes=5)  # round 1: primary and secondary
        await world.advance(minutes=10)  # round 2: the coordinators and admins too
        assert await reachable(world, ada) is False
        await world.say_privately(ada, "/start")
        assert await reachable(world, ada) is True
        since = world.cursor()
        await world.advance(minutes=15)
        assert paged_about(world, ada, since) == {first, second}

        # Revoked: he may write to the bot, but he is nobody's to page any more.
        reply = await kira.command("/revoke", str(pavel.id))
        assert (reply.text or "").endswith("has no role any more.")
        await standin.send_command(pavel, "/start")
        await standin.wait_idle()
        assert await reachable(world, pavel) is None
        since = world.cursor()
        other = await world.live_case(Urgency.URGENT)
        await world.settle()
        assert paged_about(world, pavel, since) == set()
        assert other in paged_about(world, world.lawyers[0], since)  # nobody on call: all


async def audit_times(world: Office, action: str) -> list[datetime]:
    """When each audit entry of an action was made, oldest first."""
    async with world.runtime.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.at).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def test_card_presses_and_escalation_rounds_are_stamped_with_the_bots_clock(
    standin: BotApiStandIn, database: ScratchDatabase, keyring_path: Path
) -> None:
    async with office(standin, database, keyring_path) as world:
        lena, marat, _ = world.lawyers
        assert abs((world.clock() - datetime.now(world.clock().tzinfo)).days) > 1, (
            "the fake clock must be far from the wall clock for this test to mean anything"
        )
        code = await world.live_case(Urgency.URGENT)
        await world.settle()
        await world.advance(minutes=5)  # an escalation round moves the case's timer
        assert (await world.case_row(code)).updated_at == world.clock()

        await world.advance(minutes=2)
        assert (await world.press(marat, world.card(code), "Decline"))["text"] == "Passed on."
        assert (await world.case_row(code)).updated_at == world.clock()
        declined_at = world.clock()
        await world.settle()
        await world.advance(minutes=1)
        refused = await world.press(world.outsider, world.card(code), "Details")
        assert refused["text"] == "Only authorised lawyers and coordinators can do this."
        refused_at = world.clock()
        await world.advance(minutes=1)
        await world.press(lena, world.card(code), "Take")
        taken_at = world.clock()
        await world.settle()
        await world.advance(minutes=1)
        await world.press(lena, world.card(code), "Details")
        await world.press(lena, world.card(code), "In contact")
        progress_at = world.clock()
        await world.settle()
        await world.advance(minutes=1)
        await world.press(lena, world.card(code), "Resolve")
        resolved_at = world.clock()

        assert await audit_times(world, "case.declined") == [declined_at]
        assert await audit_times(world, "details.denied") == [refused_at]
        assert await audit_times(world, "case.taken") == [taken_at]
        assert await audit_times(world, "case.details") == [progress_at]
        assert await audit_times(world, "case.in_contact") == [progress_at]
        assert await audit_times(world, "case.resolved") == [resolved_at]
