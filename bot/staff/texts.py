"""What the bot says to coordinators and admins (English source; context `staff.<key>`)."""

from __future__ import annotations

STAFF_TEXTS: dict[str, str] = {
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
    "line": "{mark} {code} · {status} · {age} h{taken}{reports}",
    "line_taken": " · taken",
    "line_reports": " · reports: {n}",
    # One case
    "case_title": "Case {code}",
    "case_meta": "Urgency: {urgency}. Status: {status}. Reports: {reports}.",
    "case_taker": "Lawyer: {name}",
    "case_duplicate": "Possibly the same person as case {code}.",
    "notes_title": "Notes:",
    "history_title": "History:",
    "btn_status": "Status",
    "btn_assign": "Assign",
    "btn_note": "Note",
    "btn_contact": "Write to reporter",
    "btn_back": "« Back",
    "choose_status": "New status for {code}:",
    "choose_lawyer": "Assign {code} to:",
    "status_changed": "Status of {code}: {status}.",
    "assigned": "{code} assigned to {name}.",
    "send_note": "Send the note for {code} as one message.",
    "note_saved": "Note saved.",
    "send_contact": "Send the message for the reporter of {code}. They will not see who you are.",
    "contact_sent": "Sent to the reporter.",
    "contact_to_reporter": (
        "Message from the legal team about case {code}:\n\n{text}\n\nTo answer, send /add."
    ),
    "assigned_to_you": "Case {code} was assigned to you.",
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
    "stats_chart": "Cases per day",
}
