"""The review screen: every answer is shown, however long the answers were."""

from __future__ import annotations

from typing import Any

from bot.domain.intake_model import Action
from tests.bot.conftest import RunningBot
from tests.bot.reporter_driver import QUESTIONNAIRE, SKIP, begin, cases, tr

EN = tr("en")


def longest(question_id: str) -> str:
    """The longest answer the question takes, full of characters HTML has to escape."""
    question = QUESTIONNAIRE.get(question_id)
    assert question is not None
    return ("&<i>" * question.max_length)[: question.max_length]


# Every question asked, every free-text answer as long as allowed.
EVERYTHING: list[tuple[str, Any]] = [
    ("reporter_role", "relative"),
    ("detained_name", longest("detained_name")),
    ("detained_dob", "12.04.1990"),
    ("detained_at", "5 hours ago"),
    ("detained_city", longest("detained_city")),
    ("detained_place", longest("detained_place")),
    ("held_at", "police_station"),
    ("held_at_details", longest("held_at_details")),
    ("agency", "police"),
    ("citizenship", ["ru", "kz", "ua", "by", "kg", "uz", "tj", "other"]),
    ("citizenship_other", longest("citizenship_other")),
    ("removal_talk", "extradition"),
    ("lawyer_status", "none"),
    ("urgent_flags", ["minor", "health", "violence", "no_contact", "removal_scheduled"]),
    ("grounds", "criminal"),
    ("article", longest("article")),
    ("documents", ["passport", "residence_permit", "asylum"]),
    ("court_hearing", "yes"),
    ("court_details", longest("court_details")),
    ("removal_time", "tomorrow 10:00"),
    ("removal_details", longest("removal_details")),
    ("extradition_country", longest("extradition_country")),
    ("interpreter", "yes"),
    ("interpreter_language", longest("interpreter_language")),
    ("story", longest("story")),
    ("papers", SKIP),
    ("contact_method", "phone"),
    ("contact_phone", "+7 701 123 45 67"),
    ("safe_times", longest("safe_times")),
    ("consent_family", "yes"),
    ("consent_public", "no"),
]


async def test_a_review_of_the_longest_answers_shows_every_question_in_one_message(
    running_bot: RunningBot,
) -> None:
    reporter = await begin(running_bot)
    review = await reporter.answer_until(None, EVERYTHING)
    assert review is not None
    text = review.text or ""
    assert text.startswith(EN.ui("review_title"))
    asked = [q for q, _ in EVERYTHING]
    assert {q.id for q in QUESTIONNAIRE.questions} == set(asked)
    for question_id in asked:
        question = QUESTIONNAIRE.get(question_id)
        assert question is not None
        assert EN.question(question)[:25] in text, question_id
    assert text.endswith("No")  # the last answer, not a cut
    assert len(review.buttons()) == len(asked) + 2  # an Edit for each, Send, Cancel
    # And it can be sent.
    reply = await reporter.press(Action.SUBMIT)
    (case,) = await cases(running_bot)
    assert case.code in (reply.text or "")
    assert case.submitted_at is not None
