"""What the bot says to coordinators and admins (English source; context `staff.<key>`)."""

from __future__ import annotations

STAFF_TEXTS: dict[str, str] = {
    # The command menu
    "cmd_cases": "Cases to triage",
    "cmd_stats": "Statistics",
    "cmd_expiring": "Cases due to be erased",
    "cmd_oncall": "Who is on call now",
    "cmd_roster": "On-call roster",
    "cmd_staff": "Staff and roles",
    # Lists
    "list_title": "Cases: {filter} ({total})",
    "list_empty": "No cases.",
    "filter_o": "open",
    "filter_u": "not taken",
    "filter_x": "urgent",
    "filter_s": "stale",
    "filter_a": "all",
    "prev": "◀",
    "next": "▶",
    # What matters most first: a button label may be cut short on a phone.
    "line": "{mark} {code}{reports}{taken} · {age} · {status}",
    "age_hours": "{n} h",
    "age_days": "{n} d",
    "line_taken": " · taken",
    "line_reports": " · reports: {n}",
    "line_linked": " · report of {code}",
    # One case
    "case_title": "Case {code}",
    "case_meta": "Urgency: {urgency}. Status: {status}. Reports: {reports}.",
    "case_taker": "Lawyer: {name}",
    "case_duplicate": "Possibly the same person as case {code}.",
    "case_merged_into": "Merged into case {code}: the work goes on there.",
    "case_suggestion": "Possibly the same person: case {code} ({status}).",
    "case_card_posted": "Card in the lawyers' chat: posted.",
    "case_card_digest": "Card in the lawyers' chat: in a digest.",
    "case_card_none": "Card in the lawyers' chat: not posted yet.",
    "case_card_primary": "Card in the lawyers' chat: the card of {code}.",
    "reports_title": "Further reports of the same person ({n}):",
    "report_merged": "Report {code} (merged)",
    "report_unconfirmed": "Report {code} (not confirmed yet)",
    "report_same": "The same answers as this case.",
    "notes_title": "Notes:",
    "history_title": "History:",
    "btn_status": "Status",
    "btn_assign": "Assign",
    "btn_note": "Note",
    "btn_contact": "Write to reporter",
    "btn_back": "« Back",
    "btn_merge": "Merge with {code}",
    "btn_open": "Open {code}",
    "btn_erase": "Erase case",
    "btn_cancel": "Cancel",
    "btn_merge_yes": "Yes, merge",
    "btn_erase_yes": "Yes, erase for good",
    "choose_status": "New status for {code}:",
    "choose_lawyer": "Assign {code} to:",
    "status_changed": "Status of {code}: {status}.",
    "assigned": "{code} assigned to {name}.",
    "assigned_not_told": (
        "{code} assigned to {name}. They have not started the bot, so only the card shows it."
    ),
    "send_note": "Send the note for {code} as one message.",
    "note_saved": "Note saved.",
    "send_contact": "Send the message for the reporter of {code}. They will not see who you are.",
    "contact_sent": "Sent to the reporter.",
    "contact_to_reporter": (
        "Message from the legal team about case {code}:\n\n{text}\n\nTo answer, send /add."
    ),
    # Merging and erasing
    "merge_ask": (
        "Merge case {secondary} into case {primary}?\n\nNothing is deleted: {secondary} keeps "
        "its answers and notes and becomes a further report of {primary}, which counts its "
        "reports. Its card in the lawyers' chat will say it was merged."
    ),
    "merged": "{secondary} merged into {primary}.",
    "card_merged": "Case {code}: merged into case {into}.",
    "erase_ask": (
        "Erase case {code} for good?\n\nIts answers, notes and files can never be read again, "
        "by anyone, and its card in the lawyers' chat is blanked."
    ),
    "erase_ask_linked": "Its further reports are erased with it: {codes}.",
    "erased": "Case {code} was erased.",
    "erased_linked": "Erased with it: {codes}.",
    # Retention
    "expiring_title": "Due to be erased within {days} days: {n}",
    "expiring_empty": "No case is due to be erased within {days} days.",
    "expiring_line": "{code} · {status} · erased on {date}",
    "expiring_due": "{code} · {status} · erased at the next daily run",
    "expiring_held": " · held: a further report came after it was closed",
    "expiring_more": "…and {n} more.",
    "btn_extend": "Keep {code} {days} days longer",
    "extended": "{code} is kept until {date}.",
    # History
    "who_bot": "bot",
    "who_ops": "operator",
    "who_other": "someone without a role",
    "h_status": "status: {status}",
    "h_assign": "assigned to {name}",
    "h_note": "note added",
    "h_contact": "message to the reporter",
    "h_taken": "taken",
    "h_declined": "declined",
    "h_resolved": "resolved",
    "h_in_contact": "in contact",
    "h_on_site": "on site",
    "h_lapsed": "claim lapsed",
    "h_extended": "kept longer",
    "h_merge_from": "{code} merged in",
    "h_merge_into": "merged into {code}",
    "h_promoted": "took the place of {code} (erased)",
    "h_relinked": "now a further report of {code}",
    "follow_ups_title": "Added later by the reporter of case {code}:",
    "follow_up_file": "file attached",
    "h_export": "exported",
    "h_denied": "refused to someone without a role",
    "not_allowed": "This is for coordinators.",
    "no_such_case": "No such case.",
    "invalid": "That change is not possible now.",
    # Roles
    "roles_usage": (
        "/staff: list\n/grant <telegram id> <lawyer|coordinator|admin>\n/revoke <telegram id>"
    ),
    "role_granted": "Done: {name} is now {role}.",
    "role_revoked": "Done: {name} has no role any more.",
    "role_refused": "You cannot give or take that role.",
    "staff_line": "{name} · {role}{unreachable}",
    "staff_unreachable": " · has not started the bot",
    # Statistics
    "stats_title": "Last {days} days",
    "stats_by_status": "By status: {items}",
    "stats_by_urgency": "By urgency: {items}",
    "stats_claim": "Time to claim: median {median} min, 90% within {p90} min",
    "stats_claim_none": "Time to claim: no claims yet",
    "stats_unclaimed": "Not taken now: {n}",
    "stats_per_day": "Reports per day: {items}",
    "stats_chart": "Reports per day",
}
