"""Every sentence the bot says outside the questionnaire, in English (the catalogs' source).

Keys are stable message contexts (`ui.<key>` in the catalogs); the English text is the msgid,
so rewording a text here makes its translations show up as missing until they are updated
(`make i18n`, then translate; `tests/bot/test_i18n.py` lists what is missing).
Wording stays neutral: someone reading the reporter's phone should learn as little as possible.
"""

from __future__ import annotations

UI: dict[str, str] = {
    # Start and navigation
    "welcome": (
        "This bot passes reports about detained people to a team of lawyers.\n\n"
        "It asks short questions, one at a time. What you write is stored encrypted. "
        "You can go back, skip some questions, or cancel at any moment."
    ),
    "start_report": "Start a report",
    "resume": "Let's continue where you stopped.",
    "progress": "Question {n} of {total}",
    "back": "« Back",
    "skip": "Skip",
    "unknown": "Don't know",
    "done": "Done",
    "cancel": "Cancel",
    "selected_mark": "✓",
    "current_answer": "Current answer: {answer}",
    # Cancel
    "cancel_confirm": "Cancel the report? Everything you entered will be erased.",
    "cancel_yes": "Yes, erase it",
    "cancel_no": "No, continue",
    "cancelled": "The report was cancelled and erased. Send /start to begin again.",
    # Tier 0 complete
    "alerting": (
        "Thank you. A team of lawyers is being alerted now.\n"
        "A few more questions help the lawyer act: please continue."
    ),
    # Review and submission
    "review_title": "Please check your answers. Press one to change it.",
    "review_submit": "Send the report",
    "review_skipped": "skipped",
    "review_unknown": "don't know",
    "review_files": "{n} file(s)",
    "submitted": (
        "The report has been sent. Case code: {code}\n\n"
        "A lawyer will look at it and may write to you in this chat. "
        "Keep the code: with it you can follow up later.\n\n"
        "/status: the case's status\n/add: add information\n/erase: erase your data"
    ),
    "wipe_offer": (
        "For your safety, I can delete this conversation from your phone now. "
        "Note the case code first. The report stays with the lawyers."
    ),
    "wipe_yes": "Delete this conversation",
    "wipe_no": "Keep it",
    "wiped": "Thank you.",
    "wiped_with_code": "Thank you. Code: {code}",
    "kept": "The conversation is kept. You can delete it later with /wipe.",
    # Follow-up
    "status": "Case {code}: {status}.",
    "no_case": "You have no report yet. Send /start to begin.",
    "add_prompt": "Write what you want to add to case {code}, or send a photo or a document.",
    "add_saved": "Added to case {code}. Thank you.",
    "erase_confirm": (
        "Erase all your data, including your report? The lawyers will no longer see it. "
        "This cannot be undone."
    ),
    "erase_yes": "Yes, erase everything",
    "erase_no": "No",
    "erased": "Your data has been erased.",
    "nothing_to_erase": "There is nothing to erase.",
    "help": (
        "/start: begin a report\n/status: the status of your report\n"
        "/add: add information to your report\n/language: change the language\n"
        "/wipe: delete this conversation from your phone\n/erase: erase your data\n"
        "/cancel: cancel the report you are writing"
    ),
    "choose_language": "Choose a language.",
    "language_set": "Language changed.",
    # Problems with an answer
    "err_date_invalid": "I could not read this date. Please write it like 12.04.1990.",
    "err_datetime_invalid": "I could not read this. Please write a date and time like 12.04 14:30.",
    "err_date_future": "This date is in the future. Please check it.",
    "err_date_too_old": "This date is too far in the past. Please check it.",
    "err_phone_invalid": (
        "This does not look like a phone number. Please write it with the country code, "
        "like +7 701 123 45 67."
    ),
    "err_phone_too_short": "This number is too short. Please include the country code.",
    "err_text_too_long": "This is too long. Please keep it under {max} characters.",
    "err_text_too_short": "This is too short. Please write a little more.",
    "err_text_empty": "Please write an answer, or use the buttons.",
    "err_use_buttons": "Please choose one of the buttons.",
    "err_choose_one": "Choose at least one, then press Done.",
    "err_file_expected": "Please send a photo or a document, or press Done.",
    "err_file_too_big": "This file is too big. The limit is 20 MB.",
    "err_file_too_many": "That is as many files as I can take for this question.",
    "err_text_expected": "Please answer with text.",
    "err_unsupported": "I can only take text, photos and documents.",
    "err_stale_button": "This button is no longer active.",
    "err_rate_limited": "You are sending messages very fast. Please wait a minute.",
    "err_too_many_open": "You already have a report in progress. Finish or cancel it first.",
    "err_too_many_today": (
        "You have sent many reports today. If it is urgent, please contact the lawyers directly."
    ),
    "err_edit_ignored": "Edited messages are not read. Please send the corrected answer again.",
    "err_unknown_command": "I don't know this command. Send /help to see what I can do.",
    "err_try_again": "Something went wrong on our side. Please send your answer again.",
    "file_received": "Received: {n}. Send more, or press Done.",
    # Case statuses, as the reporter sees them (neutral words)
    "status_draft": "not sent yet",
    "status_new": "received, lawyers alerted",
    "status_triaged": "being reviewed",
    "status_assigned": "a lawyer has taken it",
    "status_in_contact": "a lawyer is in contact",
    "status_in_court": "in court",
    "status_released": "released",
    "status_deported": "deported",
    "status_convicted": "convicted",
    "status_closed": "closed",
}
