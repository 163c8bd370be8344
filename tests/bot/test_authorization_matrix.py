"""The authorisation matrix: every command and button, by every role, in every kind of chat.

Each cell is (action, role, chat kind); every Action below says who may use it (`roles`) and where
(`chats`), from issue 6, shared/product/alerting.md and the README's staff commands. Each cell
runs against the real bot, driven over HTTP through the Bot API stand-in, and asserts both sides:

- an allowed cell produces its effect (a reply with its content, a row changed, an audit entry);
- a refused cell changes nothing in the database (every table an action could touch, compared
  row by row before and after; only an audit entry of the refusal may be added), says nothing in
  any group, and reveals no case code but the actor's own and no answer, in any chat or toast.

Cells where the product is wrong are listed in KNOWN_HOLES (refused cells that succeed or leak)
and KNOWN_BROKEN (allowed cells that do not work), each with its cause; those cells assert that
they are still wrong, so whoever fixes one must take it off the list.

Beyond the matrix: forged card data and crafted coordinator buttons from a reporter, presses on
messages of another chat, revocation taking effect at once, /grant not demoting a higher role,
and each role's command menu.

One bot per backend serves every cell (module-scoped fixture); each cell that acts on a case makes
a fresh one, so cells do not depend on each other's effects.
"""

from __future__ import annotations

import inspect
import re
import secrets
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from telegram.ext import CommandHandler

from bot.domain.alerting import ClaimAction
from bot.domain.cases import CaseStatus
from bot.domain.intake_model import Action as ReporterAction
from bot.domain.intake_model import PressEvent
from bot.staff import views
from bot.standin import BotApiStandIn
from bot.standin.models import PlayUser, StoredMessage
from tests import databases
from tests.bot.authz_support import (
    EVERYONE,
    MANAGERS,
    STAFF,
    Firm,
    Observation,
    Role,
    Where,
    firm,
)
from tests.bot.reporter_driver import tr
from tests.databases import Templates

pytestmark = pytest.mark.asyncio(loop_scope="module")

EN = tr("en")
PRIVATE = frozenset({Where.PRIVATE})
CARD_CHATS = frozenset({Where.PRIVATE, Where.LAWYERS})  # the card, and private pages


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def world(
    request: pytest.FixtureRequest,
    templates: Templates,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Firm]:
    """One running bot per backend for the whole module."""
    tmp: Path = tmp_path_factory.mktemp(f"authz-{request.param}")
    if request.param == "sqlite":
        database = await databases.sqlite_copy(templates, tmp / "data")
    else:
        database = await databases.pg_copy(templates, tmp / "data")
    try:
        async with (
            BotApiStandIn(flood_limits=False) as standin,
            firm(standin, database, tmp / "keys" / "keyring.json") as made,
        ):
            yield made
    finally:
        await databases.drop(database)


# -- one cell ----------------------------------------------------------------------------------


@dataclass
class Cell:
    """What one cell acts with and on."""

    role: Role
    where: Where
    actor: PlayUser
    chat_id: int
    code: str | None = None  # the case acted on
    target: PlayUser | None = None  # whom a role command is about
    shift: int | None = None
    message: StoredMessage | None = None  # what a press is on
    data: str | None = None  # the press's callback data
    answer: str | None = None  # the bot's answer to the press
    extra: dict[str, object] = field(default_factory=dict)


Prepare = Callable[[Firm, Cell], Awaitable[None]]
Check = Callable[[Firm, Cell, Observation], bool]


@dataclass(frozen=True)
class Action:
    """A command or button, who may use it and where, and how to tell that it worked."""

    name: str
    roles: frozenset[Role]
    chats: frozenset[Where]
    prepare: Prepare
    perform: Callable[[Firm, Cell], Awaitable[None]]
    worked: Check

    def allowed(self, role: Role, where: Where) -> bool:
        return role in self.roles and where in self.chats


async def nothing(_firm: Firm, _cell: Cell) -> None:
    return None


async def press_cell(f: Firm, cell: Cell) -> None:
    assert cell.message is not None
    assert cell.data is not None
    cell.answer = await f.press(cell.actor, cell.message, cell.data)


async def fresh_case(f: Firm, cell: Cell) -> None:
    cell.code = await f.new_case()


def said(cell: Cell, observed: Observation, *needles: str, chat: int | None = None) -> bool:
    """Whether the bot said something containing every needle in the chat (default: the cell's)."""
    where = cell.chat_id if chat is None else chat
    return any(all(n in o.text for n in needles) for o in observed.said_in(where))


def said_privately(cell: Cell, observed: Observation, *needles: str) -> bool:
    return said(cell, observed, *needles, chat=cell.actor.id)


def case_after(observed: Observation, code: str | None) -> dict[str, object]:
    return next(r for r in observed.after["cases"].values() if r["code"] == code)


def staff_row_of(f: Firm, observed: Observation, user: PlayUser) -> dict[str, object] | None:
    """The staff row of a user, found through the bot's own lookup key."""
    lookup = f.office.runtime.store.vault.lookup("telegram-staff", str(user.id))
    return next((r for r in observed.after["staff"].values() if r["lookup"] == lookup), None)


# -- commands ------------------------------------------------------------------------------------


def command(
    name: str,
    text: Callable[[Firm, Cell], str],
    roles: frozenset[Role],
    chats: frozenset[Where],
    worked: Check,
    prepare: Prepare = nothing,
) -> Action:
    async def perform(f: Firm, cell: Cell) -> None:
        await f.command(cell.actor, cell.where, text(f, cell))

    return Action(name, roles, chats, prepare, perform, worked)


async def new_target(f: Firm, cell: Cell) -> None:
    cell.target = f.standin.new_user("Target", language_code="en")


async def staff_target(f: Firm, cell: Cell) -> None:
    await new_target(f, cell)
    assert cell.target is not None
    await f.make_staff(cell.target, "lawyer")


async def a_shift(f: Firm, cell: Cell) -> None:
    cell.shift = await f.add_shift()


def granted(role: str) -> Check:
    def check(f: Firm, cell: Cell, observed: Observation) -> bool:
        assert cell.target is not None
        row = staff_row_of(f, observed, cell.target)
        return (
            row is not None
            and row["role"] == role
            and bool(row["active"])
            and any(
                e["action"] == "role.grant" and str(e["detail"]).endswith(f" {role}")
                for e in observed.audit_added()
            )
        )

    return check


def revoked(f: Firm, cell: Cell, observed: Observation) -> bool:
    assert cell.target is not None
    row = staff_row_of(f, observed, cell.target)
    return row is not None and not row["active"] and observed.audited("role.revoke")


def roster_rows_added(table: str, action: str) -> Check:
    def check(_f: Firm, _cell: Cell, observed: Observation) -> bool:
        added = [c for c in observed.changes if c.table == table and c.before is None]
        return bool(added) and observed.audited(action)

    return check


def shift_removed(_f: Firm, cell: Cell, observed: Observation) -> bool:
    gone = [c for c in observed.changes if c.table == "roster_shifts" and c.after is None]
    return [c.key for c in gone] == [(cell.shift,)] and observed.audited("roster.remove")


def any_private_reply(_f: Firm, cell: Cell, observed: Observation) -> bool:
    return any(o.kind == "sent" for o in observed.said_in(cell.actor.id))


ON_CALL = "On call now."
PAST = "2025-01-01T00:00 2025-01-01T01:00"
COMMANDS = [
    command("/cases", lambda f, c: "/cases", MANAGERS, PRIVATE,
            lambda f, c, o: said(c, o, "Cases: open")),
    command("/case", lambda f, c: f"/case {c.code}", MANAGERS, PRIVATE,
            lambda f, c, o: said(c, o, f"Case {c.code}", f.canaries[str(c.code)])
            and o.audited("case.view", c.code), prepare=fresh_case),
    command("/stats", lambda f, c: "/stats", MANAGERS, PRIVATE,
            lambda f, c, o: any(x.is_photo and x.text.startswith("Last 30 days")
                                for x in o.said_in(c.chat_id))),
    command("/expiring", lambda f, c: "/expiring", MANAGERS, PRIVATE,
            lambda f, c, o: said(c, o, "to be erased within 7 days")),
    command("/staff", lambda f, c: "/staff", MANAGERS, PRIVATE,
            lambda f, c, o: said(c, o, "Lena · lawyer", "Kira · coordinator")),
    command("/grant-lawyer", lambda f, c: f"/grant {c.target.id} lawyer",  # type: ignore[union-attr]
            MANAGERS, PRIVATE, granted("lawyer"), prepare=new_target),
    command("/grant-coordinator",
            lambda f, c: f"/grant {c.target.id} coordinator",  # type: ignore[union-attr]
            frozenset({Role.ADMIN}), PRIVATE, granted("coordinator"), prepare=new_target),
    command("/grant-admin", lambda f, c: f"/grant {c.target.id} admin",  # type: ignore[union-attr]
            frozenset({Role.ADMIN}), PRIVATE, granted("admin"), prepare=new_target),
    command("/revoke", lambda f, c: f"/revoke {c.target.id}",  # type: ignore[union-attr]
            MANAGERS, PRIVATE, revoked, prepare=staff_target),
    # Who is on call: for staff, privately or in their own group; never in another group, where
    # the names of the lawyers on call would reach people who are not staff.
    command("/oncall", lambda f, c: "/oncall", STAFF, CARD_CHATS,
            lambda f, c, o: said(c, o, ON_CALL)),
    command("/roster-list", lambda f, c: "/roster list", MANAGERS, PRIVATE,
            lambda f, c, o: said(c, o, ON_CALL)),
    # Sunday 01:00-02:00 and a substitute in the past: the fake Monday afternoon is unaffected.
    command("/roster-add", lambda f, c: f"/roster add sun 01:00-02:00 secondary {f.colleague.id}",
            MANAGERS, PRIVATE, roster_rows_added("roster_shifts", "roster.add")),
    command("/roster-remove", lambda f, c: f"/roster remove {c.shift}", MANAGERS, PRIVATE,
            shift_removed, prepare=a_shift),
    command("/roster-sub",
            lambda f, c: f"/roster sub {PAST} secondary {f.colleague.id}",
            MANAGERS, PRIVATE, roster_rows_added("roster_substitutes", "roster.substitute")),
] + [
    # The reporter's commands: anyone, in a private chat only (groups are ignored).
    command(f"/{name}", lambda f, c, n=name: f"/{n}", EVERYONE, PRIVATE, any_private_reply)
    for name in ("start", "help", "status", "add", "language", "cancel", "wipe", "erase")
]  # fmt: skip


# -- card buttons -------------------------------------------------------------------------------


def card(action: ClaimAction, worked: Check) -> Action:
    """A card button: staff on the card in the lawyers' group or on a page in their own chat."""

    async def prepare(f: Firm, cell: Cell) -> None:
        cell.code = await f.new_case()
        if action in (ClaimAction.IN_CONTACT, ClaimAction.ON_SITE, ClaimAction.RESOLVE):
            # Buttons for the taker: staff press them on their own case; a reporter on Lena's.
            taker = cell.actor if cell.role in STAFF else f.people[Role.LAWYER]
            await f.take(cell.code, taker)
        cell.message = await f.message_in(cell.actor, cell.where, cell.code)
        cell.data = f.card_data(action, cell.code)

    return Action(f"card-{action.name.lower()}", STAFF, CARD_CHATS, prepare, press_cell, worked)


def claimed_by_actor(f: Firm, cell: Cell, observed: Observation) -> bool:
    mine = f.staff_ids.get(cell.role)
    return mine is not None and case_after(observed, cell.code)["claimed_by"] == mine


def progress(value: str) -> Check:
    def check(_f: Firm, cell: Cell, observed: Observation) -> bool:
        return case_after(observed, cell.code)["progress"] == value

    return check


CARD = [
    card(ClaimAction.TAKE, claimed_by_actor),
    card(ClaimAction.DECLINE, lambda f, c, o: o.audited("case.declined", c.code)),
    card(ClaimAction.DETAILS,
         lambda f, c, o: o.audited("case.details", c.code)
         and said_privately(c, o, f"Case {c.code}", f.canaries[str(c.code)])),
    card(ClaimAction.IN_CONTACT, progress("in_contact")),
    card(ClaimAction.ON_SITE, progress("on_site")),
    card(ClaimAction.RESOLVE,
         lambda f, c, o: case_after(o, c.code)["status"] == CaseStatus.CLOSED.value
         and o.audited("case.resolved", c.code)),
]  # fmt: skip


# -- coordinators' buttons (prefix "S", bot/staff/presses.py) -----------------------------------


def symbols(code: str | None) -> str:
    return str(code).replace("-", "")


def staff_button(
    verb: str,
    name: str,
    data: Callable[[Firm, Cell], str],
    worked: Check,
    *,
    pair: bool = False,
    held: bool = False,
    roles: frozenset[Role] = MANAGERS,
) -> Action:
    """A coordinator's button: for managers (unless `roles` says more), in their own private
    chat only. `held`: the case is held by the actor (by Lena when the actor is no staff)."""

    async def prepare(f: Firm, cell: Cell) -> None:
        if pair:
            cell.code, other = await f.new_pair()
            cell.extra["other"] = other
        else:
            cell.code = await f.new_case()
        if held:
            await f.take(cell.code, cell.actor if cell.role in STAFF else f.people[Role.LAWYER])
        cell.message = await f.message_in(cell.actor, cell.where, cell.code)
        cell.data = "S" + verb + data(f, cell)

    action = Action(f"staff-{name}", roles, PRIVATE, prepare, press_cell, worked)
    STAFF_VERBS.setdefault(verb, action.name)
    return action


def pending_set(f: Firm, observed: Observation, user: PlayUser) -> bool:
    row = staff_row_of(f, observed, user)
    return row is not None and row["pending"] is not None


def other(cell: Cell) -> str:
    return str(cell.extra["other"])


STAFF_VERBS: dict[str, str] = {}
TRIAGED = list(CaseStatus).index(CaseStatus.TRIAGED)
STAFF_BUTTONS = [
    staff_button("l", "list", lambda f, c: "o0",
                 lambda f, c, o: said_privately(c, o, "Cases: open")),
    staff_button("v", "view", lambda f, c: symbols(c.code),
                 lambda f, c, o: said_privately(c, o, f"Case {c.code}", f.canaries[str(c.code)])
                 and o.audited("case.view", c.code)),
    staff_button("s", "status-menu", lambda f, c: symbols(c.code),
                 lambda f, c, o: said_privately(c, o, f"New status for {c.code}:")),
    staff_button("t", "set-status", lambda f, c: f"{symbols(c.code)}{TRIAGED}",
                 lambda f, c, o: case_after(o, c.code)["status"] == CaseStatus.TRIAGED.value
                 and o.audited("case.status", c.code)),
    staff_button("a", "assign-menu", lambda f, c: symbols(c.code),
                 lambda f, c, o: said_privately(c, o, f"Assign {c.code} to:")),
    staff_button("A", "assign", lambda f, c: f"{symbols(c.code)}{f.colleague_id.hex}",  # type: ignore[union-attr]
                 lambda f, c, o: case_after(o, c.code)["claimed_by"] == f.colleague_id
                 and o.audited("case.assign", c.code)),
    staff_button("n", "note", lambda f, c: symbols(c.code),
                 lambda f, c, o: pending_set(f, o, c.actor)
                 and said_privately(c, o, f"Send the note for {c.code}")),
    staff_button("c", "contact", lambda f, c: symbols(c.code),
                 lambda f, c, o: pending_set(f, o, c.actor)
                 and said_privately(c, o, f"Send the message for the reporter of {c.code}")),
    # Write to reporter on a case the actor holds, as pages and Details offer it to the lawyer
    # who took the case (trailing "p": the prompt comes as a new message).
    staff_button("c", "contact-held", lambda f, c: symbols(c.code) + "p",
                 lambda f, c, o: pending_set(f, o, c.actor)
                 and said_privately(c, o, f"Send the message for the reporter of {c.code}"),
                 held=True, roles=STAFF),
    staff_button("m", "merge-ask", lambda f, c: symbols(c.code) + symbols(other(c)),
                 lambda f, c, o: said_privately(c, o, f"Merge case {other(c)} into case {c.code}"),
                 pair=True),
    staff_button("M", "merge", lambda f, c: symbols(c.code) + symbols(other(c)),
                 lambda f, c, o: o.audited("case.merge", c.code)
                 and o.audited("case.merge", other(c)), pair=True),
    staff_button("e", "erase-ask", lambda f, c: symbols(c.code),
                 lambda f, c, o: said_privately(c, o, f"Erase case {c.code} for good?")),
    staff_button("E", "erase", lambda f, c: symbols(c.code),
                 lambda f, c, o: o.audited("case.erased", c.code)),
    staff_button("x", "keep-longer", lambda f, c: f"{symbols(c.code)}7",
                 lambda f, c, o: o.audited("case.retention_extended", c.code)),
]  # fmt: skip


# -- the reporter's own buttons (questionnaire data "nonce:action:question:option") --------------


async def language_screen(f: Firm, cell: Cell) -> None:
    """The actor opens the language choice privately; the press is on its English button."""
    screen = await f.office.say_privately(cell.actor, "/language")
    english = next(b for b in screen.buttons() if b["text"] == "English")
    cell.data = str(english["callback_data"])
    decoded = PressEvent.decode(cell.data)
    assert decoded is not None
    assert decoded.action is ReporterAction.LANGUAGE
    if cell.where is Where.PRIVATE:
        cell.message = screen
    else:
        cell.message = await f.message_in(cell.actor, cell.where, None)


REPORTER_BUTTONS = [
    Action("reporter-button", EVERYONE, PRIVATE, language_screen, press_cell,
           lambda f, c, o: said_privately(c, o, EN.ui("language_set"))),
]  # fmt: skip


ACTIONS: list[Action] = [*COMMANDS, *CARD, *STAFF_BUTTONS, *REPORTER_BUTTONS]
CELLS = [(a, role, where) for a in ACTIONS for role in Role for where in Where]


def cell_id(cell: tuple[Action, Role, Where]) -> str:
    action, role, where = cell
    return f"{action.name}-{role.value}-{where.value}"


# -- the product's known faults -------------------------------------------------------------

# Refused cells and checks that succeed or leak. Empty since H1..H4 of the findings were fixed:
# /oncall is answered only privately or in the lawyers' group, card buttons count only on the
# card in the lawyers' group or in the presser's own private chat, coordinators' buttons only in
# the presser's own private chat, and /grant applies the target's present role as /revoke does.
KNOWN_HOLES: set[str] = set()
# Allowed cells that do not work. Empty since B1 was fixed (the staff replies are HTML-escaped).
KNOWN_BROKEN: set[str] = set()


def command_names(action: Action) -> str | None:
    """The slash command an action sends ("/grant-admin" -> "grant")."""
    return action.name[1:].split("-")[0] if action.name.startswith("/") else None


async def test_the_matrix_has_a_row_for_every_button_and_names_only_real_cells() -> None:
    """Card actions, every verb the coordinators' screens render, and the fault lists."""
    names = {a.name for a in ACTIONS}
    assert {f"card-{a.name.lower()}" for a in ClaimAction} <= names
    rendered = set(re.findall(r'f?"S([A-Za-z])', inspect.getsource(views)))
    assert rendered, "no coordinator button found in bot/staff/views.py"
    assert rendered <= set(STAFF_VERBS), f"buttons without a row: {rendered - set(STAFF_VERBS)}"
    ids = {cell_id(c) for c in CELLS}
    checks = ids | {f"foreign:{p}" for p in FOREIGN_PRESSES} | {f"grant:{d}" for d in DEMOTIONS}
    assert checks >= KNOWN_HOLES
    assert ids >= KNOWN_BROKEN
    assert not KNOWN_HOLES & KNOWN_BROKEN
    assert len(ids) == len(CELLS) == len(ACTIONS) * len(Role) * len(Where)


async def test_the_matrix_has_a_row_for_every_command_the_bot_registers(world: Firm) -> None:
    registered: set[str] = set()
    for handlers in world.office.bot.application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                registered |= set(handler.commands)
    assert registered == {command_names(a) for a in ACTIONS} - {None}


# -- running a cell ------------------------------------------------------------------------------


async def run(f: Firm, action: Action, role: Role, where: Where) -> tuple[Cell, Observation]:
    """Prepare, act, and observe one cell."""
    actor = f.people[role]
    cell = Cell(role, where, actor, f.chat_id(actor, where))
    await action.prepare(f, cell)
    observed = await f.start()
    await action.perform(f, cell)
    await f.finish(observed, actor)
    if cell.answer is not None:
        observed.answers.append(cell.answer)
    return cell, observed


DENIALS = {"card.denied", "details.denied"}


async def refusal_problems(f: Firm, cell: Cell, observed: Observation) -> list[str]:
    """Why a cell does not count as refused: changes, words in groups, revealed cases."""
    problems = [
        f"changed {c}"
        for c in observed.changes
        if not (c.table == "audit_log" and c.before is None and c.after["action"] in DENIALS)  # type: ignore[index]
    ]
    for group in (f.group.id, f.other.id):
        problems += [f"said in group {o.chat_id}: {o.text!r}" for o in observed.said_in(group)]
    own = await f.own_codes(cell.actor)
    texts = [o.text for o in observed.outputs] + observed.answers
    problems += [f"revealed {leak}" for leak in f.leaks(texts, own)]
    return problems


async def invariant_problems(f: Firm, observed: Observation) -> list[str]:
    """What no cell may do: answers in a group, or the reporter seeing another case."""
    problems = []
    for group in (f.group.id, f.other.id):
        texts = [o.text for o in observed.said_in(group)]
        problems += [f"answer in group: {x}" for x in f.leaks(texts, set()) if "answer" in x]
    reporter = f.reporter.user
    own = await f.own_codes(reporter)
    texts = [o.text for o in observed.said_in(reporter.id)]
    problems += [f"to the reporter: {x}" for x in f.leaks(texts, own)]
    return problems


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
async def test_cell(world: Firm, cell: tuple[Action, Role, Where]) -> None:
    action, role, where = cell
    name = cell_id(cell)
    done, observed = await run(world, action, role, where)
    worked = action.worked(world, done, observed)
    refused = await refusal_problems(world, done, observed)
    assert await invariant_problems(world, observed) == []
    described = (
        f"{name}: worked={worked}; answer={done.answer!r}; problems={refused}; "
        f"outputs={[(o.chat_id, o.text[:80]) for o in observed.outputs]}"
    )
    if name in KNOWN_HOLES:
        assert worked or refused, f"fixed? remove {name} from KNOWN_HOLES. {described}"
    elif name in KNOWN_BROKEN:
        assert not worked, f"fixed? remove {name} from KNOWN_BROKEN. {described}"
    elif action.allowed(role, where):
        assert worked, f"allowed but did not work: {described}"
    else:
        assert not worked, f"refused but worked: {described}"
        assert refused == [], f"refused but not clean: {described}"
        if role is Role.REPORTER and action.name == "card-details":
            # Details refused to someone who is not staff is written to the audit log.
            assert observed.audited("details.denied", done.code), described


# -- forged callback data from a reporter ------------------------------------------------------

# Every answer a refused press may get: none of them names a case or says anything about one.
REFUSALS = {
    EN.alert("stale"),  # card data that does not verify
    EN.alert("not_allowed"),  # genuine card data from someone without a role
    EN.staff("not_allowed"),  # a coordinator's button from someone else
    EN.ui("err_stale_button"),  # questionnaire data that is not a current button of theirs
}


def junk(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


async def observe(f: Firm, actor: PlayUser, act: Callable[[], Awaitable[str]]) -> Observation:
    """Run one press (or several) by `actor` and observe what changed and what was said."""
    observed = await f.start()
    observed.answers.append(await act())
    return await f.finish(observed, actor)


def clean(f: Firm, observed: Observation, own: set[str], denied: set[tuple[str, str]]) -> None:
    """Nothing changed but the audit entries in `denied`; nothing said; nothing revealed."""
    changes = [str(c) for c in observed.changes if c.table != "audit_log"]
    assert changes == []
    audit = {(str(e["action"]), str(e["case_code"])) for e in observed.audit_added()}
    assert audit == denied
    assert [(o.chat_id, o.text) for o in observed.outputs] == []
    assert set(observed.answers) <= REFUSALS, observed.answers
    assert f.leaks(observed.answers, own) == []


CARD_FORGERIES = [
    "bad-tag",
    "one-too-long",
    "one-too-short",
    "another-cases-tag",
    "takes-tag-on-decline",
    "takes-tag-on-details",
    "takes-tag-on-resolve",
    "lowercase-code",
    "k-and-junk",
    "junk",
    "questionnaire-data",
    "replayed-take-of-another-case",
    "replayed-details-of-another-case",
    "take-of-own-case",
    "details-of-own-case",
]


async def card_forgery(f: Firm, name: str, code: str, other: str) -> tuple[str, set[tuple]]:
    """Callback data for a forgery on case `code`, and the refusals it should leave in the audit.

    Data that does not verify changes nothing; genuine data (replayed from another case's card,
    or minted by the bot for the reporter's own case) is refused and written down as refused.
    """
    take = f.card_data(ClaimAction.TAKE, code)
    mine, theirs = symbols(code), symbols(other)
    own = f.own_code
    # A button of a screen the reporter has moved on from (its nonce is spent).
    screen = await f.office.say_privately(f.reporter.user, "/language")
    await f.office.say_privately(f.reporter.user, "/language")
    data = {
        "bad-tag": take[:-1] + ("A" if take[-1] != "A" else "B"),
        "one-too-long": take + "A",
        "one-too-short": take[:-1],
        "another-cases-tag": f.card_data(ClaimAction.TAKE, other).replace(theirs, mine),
        "takes-tag-on-decline": "Kd" + take[2:],
        "takes-tag-on-details": "Ki" + take[2:],
        "takes-tag-on-resolve": "Kr" + take[2:],
        "lowercase-code": take[:2] + take[2:14].lower() + take[14:],
        "k-and-junk": "K" + junk(63),
        "junk": junk(64),
        "questionnaire-data": str(screen.buttons()[0]["callback_data"]),
        "replayed-take-of-another-case": f.card_data(ClaimAction.TAKE, other),
        "replayed-details-of-another-case": f.card_data(ClaimAction.DETAILS, other),
        "take-of-own-case": f.card_data(ClaimAction.TAKE, own),
        "details-of-own-case": f.card_data(ClaimAction.DETAILS, own),
    }[name]
    denied = {
        "replayed-take-of-another-case": {("card.denied", other)},
        "replayed-details-of-another-case": {("details.denied", other)},
        "take-of-own-case": {("card.denied", own)},
        "details-of-own-case": {("details.denied", own)},
    }.get(name, set())
    assert len(data.encode()) <= 64
    return data, denied


@pytest.mark.parametrize("where", list(Where), ids=str)
@pytest.mark.parametrize("forgery", CARD_FORGERIES)
async def test_forged_card_presses_from_a_reporter_change_nothing_and_reveal_nothing(
    world: Firm, forgery: str, where: Where
) -> None:
    reporter = world.reporter.user
    code = await world.new_case()
    other = await world.new_case()
    data, denied = await card_forgery(world, forgery, code, other)
    message = await world.message_in(reporter, where, code)
    observed = await observe(world, reporter, lambda: world.press(reporter, message, data))
    clean(world, observed, {world.own_code}, denied)


def crafted_staff_data(f: Firm, code: str, pair: tuple[str, str]) -> dict[str, str]:
    """Coordinator button data a reporter could type into a modified client."""
    mine, own = symbols(code), symbols(f.own_code)
    first, second = (symbols(c) for c in pair)
    closed = list(CaseStatus).index(CaseStatus.CLOSED)
    assert f.colleague_id is not None
    return {
        "list-open": "Slo0",
        "list-all": "Sla0",
        "list-far-page": "Slo9999",
        "view-a-case": f"Sv{mine}",
        "view-own-case": f"Sv{own}",
        "status-menu": f"Ss{mine}",
        "close-a-case": f"St{mine}{closed}",
        "close-own-case": f"St{own}{closed}",
        "assign-menu": f"Sa{mine}",
        "assign-a-lawyer": f"SA{mine}{f.colleague_id.hex}",
        "note-on-own-case": f"Sn{own}",
        "write-to-a-reporter": f"Sc{mine}",
        "merge-ask": f"Sm{first}{second}",
        "merge": f"SM{first}{second}",
        "erase-ask": f"Se{mine}",
        "erase-a-case": f"SE{mine}",
        "erase-own-case": f"SE{own}",
        "keep-longer": f"Sx{mine}7",
        "bare-prefix": "S",
        "unknown-verb": f"Sz{mine}",
        "s-and-junk": "S" + junk(63),
    }


STAFF_FORGERIES = [
    "list-open", "list-all", "list-far-page", "view-a-case", "view-own-case", "status-menu",
    "close-a-case", "close-own-case", "assign-menu", "assign-a-lawyer", "note-on-own-case",
    "write-to-a-reporter", "merge-ask", "merge", "erase-ask", "erase-a-case", "erase-own-case",
    "keep-longer", "bare-prefix", "unknown-verb", "s-and-junk",
]  # fmt: skip


@pytest.mark.parametrize("where", [Where.PRIVATE, Where.LAWYERS], ids=str)
@pytest.mark.parametrize("forgery", STAFF_FORGERIES)
async def test_coordinator_buttons_crafted_by_a_reporter_change_nothing_and_reveal_nothing(
    world: Firm, forgery: str, where: Where
) -> None:
    reporter = world.reporter.user
    code = await world.new_case()
    pair = await world.new_pair()
    data = crafted_staff_data(world, code, pair)[forgery]
    message = await world.message_in(reporter, where, code)
    observed = await observe(world, reporter, lambda: world.press(reporter, message, data))
    clean(world, observed, {world.own_code}, set())
    assert observed.answers == [EN.staff("not_allowed")]


# -- presses on messages of another chat -------------------------------------------------------


async def questionnaire_button(f: Firm, user: PlayUser) -> tuple[StoredMessage, str]:
    """A fresh screen with questionnaire buttons in the user's chat, and one button's data."""
    screen = await f.office.say_privately(user, "/language")
    return screen, str(screen.buttons()[0]["callback_data"])


FOREIGN_PRESSES = [
    "reporter-card-take-on-a-lawyers-private-message",
    "reporter-card-details-on-a-lawyers-private-message",
    "reporter-staff-view-on-a-coordinators-private-message",
    "reporter-own-button-on-a-lawyers-private-message",
    "lawyer-presses-the-reporters-button-in-the-reporters-chat",
    "coordinator-staff-view-on-a-message-in-the-reporters-chat",
    "coordinator-staff-list-on-a-message-in-a-lawyers-chat",
    "coordinator-card-take-on-a-message-in-a-lawyers-chat",
    "coordinator-card-details-on-a-message-in-a-lawyers-chat",
]


@pytest.mark.parametrize("press", FOREIGN_PRESSES)
async def test_a_press_on_a_message_of_another_chat_changes_nothing_and_reveals_nothing(
    world: Firm, press: str
) -> None:
    reporter, lawyer = world.reporter.user, world.people[Role.LAWYER]
    coordinator = world.people[Role.COORDINATOR]
    code = await world.new_case()
    denied: set[tuple[str, str]] = set()
    if press.startswith("reporter-card"):
        presser, message = reporter, await world.private_message(lawyer)
        action = ClaimAction.TAKE if "take" in press else ClaimAction.DETAILS
        data = world.card_data(action, code)
        denied = {("card.denied" if action is ClaimAction.TAKE else "details.denied", code)}
    elif press == "reporter-staff-view-on-a-coordinators-private-message":
        presser, message = reporter, await world.private_message(coordinator)
        data = f"Sv{symbols(code)}"
    elif press == "reporter-own-button-on-a-lawyers-private-message":
        _screen, data = await questionnaire_button(world, reporter)
        presser, message = reporter, await world.private_message(lawyer)
    elif press == "lawyer-presses-the-reporters-button-in-the-reporters-chat":
        message, data = await questionnaire_button(world, reporter)
        presser = lawyer
    elif press.startswith("coordinator-card"):
        # Staff pressing genuine card data on a message in someone else's private chat: stale.
        presser, message = coordinator, await world.private_message(lawyer)
        action = ClaimAction.TAKE if "take" in press else ClaimAction.DETAILS
        data = world.card_data(action, code)
    else:
        owner = reporter if "reporters-chat" in press else lawyer
        presser, message = coordinator, await world.private_message(owner)
        data = f"Sv{symbols(code)}" if "view" in press else "Slo0"
    key = f"foreign:{press}"
    observed = await observe(world, presser, lambda: world.press(presser, message, data))
    if key in KNOWN_HOLES:
        with pytest.raises(AssertionError):
            clean(world, observed, await world.own_codes(presser), denied)
        return
    clean(world, observed, await world.own_codes(presser), denied)


# -- roles change: revoked staff lose everything at once; no one is promoted or demoted above
# -- their own rank ------------------------------------------------------------------------------


async def test_a_revoked_lawyer_loses_every_function_at_once(world: Firm) -> None:
    admin = world.people[Role.ADMIN]
    target = world.standin.new_user("Rustam", language_code="en")
    await world.make_staff(target, "lawyer")
    await world.office.say_privately(target, "/start")
    code = await world.new_case()
    card = world.office.card(code)
    assert await world.press(target, card, world.card_data(ClaimAction.TAKE, code)) == EN.alert(
        "taken"
    )
    assert (await world.office.say_privately(target, "/oncall")).text.startswith("On call now.")
    reply = await world.office.say_privately(admin, "/revoke", str(target.id))
    assert reply.text == EN.staff("role_revoked", name="Rustam")

    fresh = await world.new_case()
    presses = [
        (world.office.card(code), world.card_data(ClaimAction.RESOLVE, code)),
        (world.office.card(fresh), world.card_data(ClaimAction.TAKE, fresh)),
        (world.office.card(fresh), world.card_data(ClaimAction.DETAILS, fresh)),
    ]
    observed = await world.start()
    for message, data in presses:
        observed.answers.append(await world.press(target, message, data))
    await world.finish(observed, target)
    clean(
        world,
        observed,
        set(),
        {("card.denied", code), ("card.denied", fresh), ("details.denied", fresh)},
    )
    unknown = await world.office.say_privately(target, "/oncall")
    assert unknown.text == EN.ui("err_unknown_command")


DEMOTIONS = ["coordinator-makes-an-admin-a-lawyer", "coordinator-makes-a-coordinator-a-lawyer"]


@pytest.mark.parametrize("attempt", DEMOTIONS)
async def test_a_coordinator_cannot_change_the_role_of_an_admin_or_another_coordinator(
    world: Firm, attempt: str
) -> None:
    coordinator = world.people[Role.COORDINATOR]
    target = world.standin.new_user("Senior", language_code="en")
    role = "admin" if "an-admin" in attempt else "coordinator"
    await world.make_staff(target, role)
    observed = await world.start()
    await world.command(coordinator, Where.PRIVATE, f"/grant {target.id} lawyer")
    await world.command(coordinator, Where.PRIVATE, f"/revoke {target.id}")
    await world.finish(observed, coordinator)
    row = staff_row_of(world, observed, target)
    assert row is not None
    kept = row["role"] == role and bool(row["active"]) and not observed.changes
    if f"grant:{attempt}" in KNOWN_HOLES:
        assert not kept, f"fixed? remove grant:{attempt} from KNOWN_HOLES"
        assert row["role"] == "lawyer"  # the hole: /grant overwrote a higher role
        return
    assert kept, [str(c) for c in observed.changes]
    refused = EN.staff("role_refused")
    assert [o.text for o in observed.said_in(coordinator.id)] == [refused, refused]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR])
async def test_nobody_changes_their_own_role_with_grant(world: Firm, role: Role) -> None:
    actor = world.people[role]
    observed = await world.start()
    await world.command(actor, Where.PRIVATE, f"/grant {actor.id} lawyer")
    await world.finish(observed, actor)
    assert [str(c) for c in observed.changes] == []
    assert [o.text for o in observed.said_in(actor.id)] == [EN.staff("role_refused")]


async def test_staff_replies_show_names_and_usage_with_angle_brackets_as_written(
    world: Firm,
) -> None:
    """The staff replies go out as HTML: "<telegram id>" and a name with "<" or "&" in it must
    reach the coordinator as written, not be refused by Telegram as a broken tag."""
    coordinator = world.people[Role.COORDINATOR]
    odd = world.standin.new_user("<b>Bo & Co</b>", language_code="en")
    await world.make_staff(odd, "lawyer")
    usage = EN.staff("roles_usage")
    assert "<telegram id>" in usage
    listed = await world.office.say_privately(coordinator, "/staff")
    assert "<b>Bo & Co</b> · lawyer" in listed.text
    assert listed.text.endswith(usage)
    for text in ("/grant", "/grant 12 pope", "/revoke", "/revoke someone"):
        name, _, args = text.partition(" ")
        reply = await world.office.say_privately(coordinator, name, args)
        assert reply.text == usage, text
    reply = await world.office.say_privately(coordinator, "/revoke", str(odd.id))
    assert reply.text == EN.staff("role_revoked", name="<b>Bo & Co</b>")


async def test_each_role_sees_only_its_own_commands_in_the_menu(world: Firm) -> None:
    staff_only = {n for a in ACTIONS if (n := command_names(a)) and a.roles != EVERYONE}
    menus = {
        role: {c["command"] for c in world.standin.visible_commands(user, user)}
        for role, user in world.people.items()
    }
    assert menus[Role.REPORTER] & staff_only == set()
    assert menus[Role.LAWYER] & staff_only == {"oncall"}
    for role in MANAGERS:
        assert {"cases", "stats", "oncall", "roster", "staff"} <= menus[role]
    for chat in (world.group, world.other):
        for user in world.people.values():
            seen = {c["command"] for c in world.standin.visible_commands(chat, user)}
            assert seen & staff_only == set(), (chat.title, user.first_name)
