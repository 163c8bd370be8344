"""What the bot says to lawyers and coordinators, and the notices it sends reporters later.

English source texts; translations live in the catalogs under the context `alert.<key>`.
"""

from __future__ import annotations

ALERT_TEXTS: dict[str, str] = {
    # The card
    "urgency_urgent": "URGENT",
    "urgency_high": "HIGH",
    "urgency_normal": "normal",
    "card_city": "City: {city}",
    "card_held": "Held: {place}",
    "card_since": "Detained: {when} ({hours} h ago)",
    "card_since_unknown": "Detained: time unknown",
    "card_agency": "Agency: {agency}",
    "card_lawyer": "Lawyer: {lawyer}",
    "card_citizenship": "Citizenship: {citizenship}",
    "card_removal_talk": "Deportation/extradition: {removal}",
    "card_removal_at": "Removal: {when} (in {hours} h)",
    "card_removal_past": "Removal: {when} (time passed)",
    "card_flags": "Flags: {flags}",
    "card_name": "Name: {name}",
    "card_dob": "Born: {dob}",
    "card_reports": "Reports: {n}",
    "card_status": "Status: {status}",
    "card_taken_by": "Taken by: {name}",
    "card_unclaimed": "Not taken yet",
    "card_progress_in_contact": "in contact",
    "card_progress_on_site": "on site",
    "card_erased": "Case {code}: erased, its data can no longer be read.",
    # Buttons
    "btn_take": "Take",
    "btn_decline": "Decline",
    "btn_details": "Details",
    "btn_in_contact": "In contact",
    "btn_on_site": "On site",
    "btn_resolve": "Resolve",
    "btn_take_code": "Take {code}",
    # Answers to presses
    "taken": "The case is yours.",
    "taken_by_other": "Already taken by {name}.",
    "declined": "Passed on.",
    "not_allowed": "Only authorised lawyers and coordinators can do this.",
    "not_taker": "Only the lawyer who took the case can do this.",
    "details_sent": "Details sent to you privately.",
    "start_bot_first": "Open a private chat with the bot and press Start first.",
    "stale": "This button is no longer valid.",
    "progress_saved": "Noted.",
    "resolved": "Case closed.",
    # Private pages
    "page_new": "New case needs a lawyer:",
    "page_again": "Still not taken:",
    "page_lapsed": "Taken but no progress for {minutes} min, back in the queue:",
    "page_reminder": "Reminder: this case is still open.",
    "page_many": "{n} cases need a lawyer:",
    "page_assigned": "This case was assigned to you:",
    "page_many_assigned": "Assigned to you ({n}):",
    "page_many_reminder": "Reminder: still open with you ({n}):",
    # Two-way contact (the reporter's answer, to whoever wrote to them)
    "contact_reply": "The reporter of case {code} answered:\n\n{text}",
    "contact_reply_file": (
        "The reporter of case {code} answered with a file. Press Details on the card to see it."
    ),
    "contact_not_yours": (
        "Only a coordinator or the lawyer who has this case can write to its reporter."
    ),
    # Group notices
    "surge_on": (
        "Many new cases. Until it calms down, new cases come as a digest every {minutes} min; "
        "urgent ones still go to the on-call lawyers privately."
    ),
    "surge_off": "Back to one card per case.",
    "digest_title": "New cases ({n}):",
    # Coordinators
    "unreachable_lawyer": (
        "On-call lawyer {name} cannot be reached privately: they must open a chat with the bot "
        "and press Start."
    ),
    "delivery_failed": "Could not deliver a message for case {code}: {error}.",
    # Details (private)
    "details_title": "Case {code}",
    "details_files": "Files: {n}",
    # On-call roster
    "oncall_now": "On call now. Primary: {primary}. Secondary: {secondary}.",
    "oncall_nobody": "nobody",
    "roster_usage": (
        "/roster list\n/roster add <mon-fri|sat,sun|daily> <09:00-18:00> <primary|secondary> "
        "<telegram id>\n/roster remove <number>\n"
        "/roster sub <YYYY-MM-DDTHH:MM> <YYYY-MM-DDTHH:MM> <primary|secondary> <telegram id>"
    ),
    "roster_added": "Added.",
    "roster_removed": "Removed.",
    "roster_not_found": "No such entry.",
    "roster_not_staff": "That person is not a lawyer or coordinator of this bot.",
    "roster_empty": "The roster is empty.",
    # Reporter notices
    "reporter_assigned": "A lawyer has taken your case {code}.",
    "reporter_assigned_named": "A lawyer, {name}, has taken your case {code}.",
    "reporter_status_changed": "There is news on your case {code}. Send /status to see it.",
}
