"""Bot API methods about the bot, chats, members, commands and menu buttons."""

from __future__ import annotations

from typing import Any

from bot.standin.commands import check_commands, scope_key
from bot.standin.errors import bad_request
from bot.standin.models import PlayChat, PlayUser
from bot.standin.params import Params
from bot.standin.registry import method
from bot.standin.state import State

JsonDict = dict[str, Any]
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_MENU_TYPES = ("default", "commands", "web_app")


@method("getMe")
async def get_me(st: State, p: Params) -> JsonDict:
    """getMe."""
    return {
        **st.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not st.group_privacy,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def member_json(st: State, chat: PlayChat, user: PlayUser, status: str) -> JsonDict:
    """A ``ChatMember`` object of the given status."""
    out: JsonDict = {"status": status, "user": user.to_api()}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update({"can_be_edited": False, "is_anonymous": False})
        out.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        out["until_date"] = 0
    return out


def _status(st: State, chat: PlayChat, user_id: int) -> tuple[PlayUser, str]:
    if user_id == st.bot.id:
        return st.bot, chat.bot_status
    user = st.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.is_private:
        return user, "member" if user_id == chat.id else "left"
    return user, chat.members.get(user_id, "left")


@method("getChat")
async def get_chat(st: State, p: Params) -> JsonDict:
    """getChat: a ``ChatFullInfo``."""
    chat = st.find_chat(p.chat_id())
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, True), "gifts_from_channels": True},
    }


@method("getChatMember")
async def get_chat_member(st: State, p: Params) -> JsonDict:
    """getChatMember."""
    chat = st.find_chat(p.chat_id())
    user, status = _status(st, chat, p.req_int("user_id"))
    return member_json(st, chat, user, status)


@method("getChatAdministrators")
async def get_chat_administrators(st: State, p: Params) -> list[JsonDict]:
    """getChatAdministrators (the bot included when it is one)."""
    chat = st.find_chat(p.chat_id())
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    admins = [
        member_json(st, chat, st.users[uid], status)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator")
    ]
    if chat.bot_status == "administrator":
        admins.append(member_json(st, chat, st.bot, "administrator"))
    return admins


@method("getChatMemberCount")
async def get_chat_member_count(st: State, p: Params) -> int:
    """getChatMemberCount."""
    chat = st.find_chat(p.chat_id())
    if chat.is_private:
        return 2
    present = [s for s in chat.members.values() if s not in ("left", "kicked")]
    return len(present) + (chat.bot_status in ("member", "administrator"))


@method("leaveChat")
async def leave_chat(st: State, p: Params) -> bool:
    """leaveChat: the bot leaves a group; later sends there get 403."""
    chat = st.find_chat(p.chat_id())
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    st.check_can_send(chat)
    chat.bot_status = "left"
    st.record("left_chat", chat.id)
    return True


@method("setMyCommands")
async def set_my_commands(st: State, p: Params) -> bool:
    """setMyCommands, stored per (scope, language_code); an empty list deletes."""
    key = scope_key(st, p.opt_json("scope"), p.opt_str("language_code"))
    commands = check_commands(p.opt_json("commands"))
    if commands:
        st.commands[key] = commands
    else:
        st.commands.pop(key, None)
    st.record("commands_set", None, scope=list(key[0]), language_code=key[1], commands=commands)
    return True


@method("getMyCommands")
async def get_my_commands(st: State, p: Params) -> list[JsonDict]:
    """getMyCommands: exactly the list of that scope and language (no fallback)."""
    key = scope_key(st, p.opt_json("scope"), p.opt_str("language_code"))
    return list(st.commands.get(key, []))


@method("deleteMyCommands")
async def delete_my_commands(st: State, p: Params) -> bool:
    """deleteMyCommands."""
    key = scope_key(st, p.opt_json("scope"), p.opt_str("language_code"))
    st.commands.pop(key, None)
    st.record("commands_deleted", None, scope=list(key[0]), language_code=key[1])
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(st: State, p: Params) -> bool:
    """setChatMenuButton for one private chat, or the default without chat_id."""
    button = p.opt_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_TYPES:
        raise bad_request("can't parse menu button JSON object")
    chat_id = p.opt_int("chat_id")
    if chat_id is None:
        st.default_menu_button = button
    else:
        chat = st.find_chat(chat_id)
        if not chat.is_private:
            raise bad_request("menu button can be changed only in private chats")
        chat.menu_button = button
    st.record("menu_button_set", chat_id, menu_button=button)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(st: State, p: Params) -> JsonDict:
    """getChatMenuButton."""
    chat_id = p.opt_int("chat_id")
    chat = None if chat_id is None else st.find_chat(chat_id)
    return (chat.menu_button if chat else None) or st.default_menu_button


def _profile_setter(field: str) -> None:
    name = field.title().replace("_", "")

    @method(f"setMy{name}")
    async def setter(st: State, p: Params) -> bool:
        st.profile[(field, p.opt_str("language_code") or "")] = p.opt_str(field) or ""
        st.record("profile_set", None, field=field, value=p.opt_str(field))
        return True

    @method(f"getMy{name}")
    async def getter(st: State, p: Params) -> JsonDict:
        return {field: st.profile.get((field, p.opt_str("language_code") or ""), "")}


for _field in ("name", "description", "short_description"):
    _profile_setter(_field)


@method("close")
async def close(st: State, p: Params) -> bool:
    """close (the stand-in has nothing to close; it logs the call)."""
    st.record("closed", None)
    return True


@method("logOut")
async def log_out(st: State, p: Params) -> bool:
    """logOut (logged, otherwise no effect)."""
    st.record("logged_out", None)
    return True
