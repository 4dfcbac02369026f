"""The questions answered with codes from our e-mails: confirming a filed case, and checking a case's status
(reference, how to prove it is yours, the address, the code or the receipt)."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendError, BackendUnavailable, get_backend_client
from actions.common import (
    country_for,
    digits_of,
    has_any,
    looks_like_email_attempt,
    normalise_email,
)
from actions.questions.base import Asked, Question, Turn, Values, typed_choice
from actions.questions.requester import looks_like_email, validate_email_answer
from actions.texts import CASE_TYPE_NAMES, CONTACT, STATUS_NAMES, button, format_date, name_of, t
from actions.words import AGAIN_WORDS, CHANGE_WORDS, EMAIL_METHOD_WORDS, RECEIPT_METHOD_WORDS
from basics.references import REFERENCE_SHAPE_RE, find_reference

CODE_DIGITS = 6
RECEIPT_DIGITS = 16
# "change it" / "another address" as the answer where a code is asked: short, or it is something else.
MAX_WORDS_OF_A_CHANGE = 6
MESSAGES_SHOWN = 5
METHOD_WORDS = {"receipt": RECEIPT_METHOD_WORDS, "email": EMAIL_METHOD_WORDS}  # "anonym" is a receipt


# -- confirming a filed case -------------------------------------------------------------------------------

async def validate_verification_code(turn: Turn, value: Any) -> Values:
    if value in ("ok", "blocked"):
        return {"verification_code": value}
    code = digits_of(str(value or ""))
    reference = turn.slot_value("filed_reference")
    if len(code) != CODE_DIGITS:
        return turn.fail("invalid_code_format")
    if not reference:
        return {"verification_code": "blocked"}
    try:
        result = await get_backend_client().verify(reference, code)
    except BackendUnavailable:
        turn.say("verify_backend_down")
        return {"verification_code": None}
    except BackendError as error:
        if error.code == "already_verified":
            return turn.ok("ok")
        if error.code == "invalid_code":
            return turn.fail("code_invalid", attempts_left=error.details.get("attempts_left", "?"))
        if error.code == "code_expired":
            turn.say("code_expired")
            return {"verification_code": None}
        if error.code == "too_many_attempts":
            turn.say("code_too_many", contact=CONTACT[turn.lang])
            return {"verification_code": "blocked"}
        turn.say("filing_failed", contact=CONTACT[turn.lang])
        return {"verification_code": "blocked"}
    return turn.ok("ok", due_at=result.get("due_at"), due_clocks=result.get("clocks") or None)


def ask_verification_code(tracker: Tracker, lang: str) -> Asked:
    return t("ask_verification_code", lang, email=tracker.get_slot("requester_email") or ""), []


def looks_like_code(text: str, slots: Mapping[str, Any]) -> bool:
    return len(digits_of(text)) == CODE_DIGITS


# -- checking a case's status ------------------------------------------------------------------------------

def validate_status_reference(turn: Turn, value: Any) -> Values:
    reference = find_reference(str(value or ""))
    if not reference:
        return turn.fail("invalid_reference")
    return turn.ok(reference)


def looks_like_reference(text: str, slots: Mapping[str, Any]) -> bool:
    # The shape, not the check character: a mistyped reference is still an answer, told what is wrong with it.
    return REFERENCE_SHAPE_RE.search(text) is not None


async def validate_status_method(turn: Turn, value: Any) -> Values:
    text = str(value or "")
    if normalise_email(text):
        # They typed their e-mail address straight away: that is the e-mail method and its answer.
        chosen = turn.ok("email")
        turn.tracker.slots.update(chosen)
        return {**chosen, **await validate_status_email(turn.of("status_email"), text)}
    method = typed_choice(text, METHOD_WORDS)
    return turn.ok(method) if method else turn.fail("invalid_choice")


def ask_status_method(tracker: Tracker, lang: str) -> Asked:
    return t("ask_status_method", lang), [button(t("btn_status_email", lang), "email"),
                                          button(t("btn_status_receipt", lang), "receipt")]


def looks_like_method(text: str, slots: Mapping[str, Any]) -> bool:
    # The widget's buttons send "email" / "receipt"; "by e-mail please" has been heard as a correction.
    return (text in ("email", "receipt") or has_any(text, RECEIPT_METHOD_WORDS + EMAIL_METHOD_WORDS)
            or normalise_email(text) is not None)


async def validate_status_email(turn: Turn, value: Any) -> Values:
    refused = validate_email_answer(turn, value)
    if refused is not None:
        return refused
    email = normalise_email(str(value))
    try:
        await get_backend_client().status_code(turn.slot_value("status_reference"), email, turn.lang)
    except BackendUnavailable:
        turn.say("status_backend_down")
        return {"status_email": None}
    except BackendError:
        turn.say("status_not_found")
        return {"status_email": None, "status_reference": None}
    return turn.ok(email)


async def validate_status_code(turn: Turn, value: Any) -> Values:
    text = str(value or "")
    code = digits_of(text)
    if len(code) != CODE_DIGITS:
        if normalise_email(text) or looks_like_email_attempt(text):
            # "sorry, it should be anna@example.se": the code went to a mistyped address; send a new one.
            corrected = await validate_status_email(turn.of("status_email"), text)
            return {**corrected, "status_code": None}
        if has_any(text, CHANGE_WORDS + AGAIN_WORDS):
            turn.say("status_email_again")
            return {"status_email": None, "status_code": None}
        return turn.fail("invalid_code_format")
    try:
        status = await get_backend_client().status_verify(
            turn.slot_value("status_reference"), turn.slot_value("status_email"), code
        )
    except BackendUnavailable:
        turn.say("status_backend_down")
        return {"status_code": None}
    except BackendError as error:
        if error.code == "invalid_code":
            return turn.fail("code_invalid", attempts_left=error.details.get("attempts_left", "?"))
        if error.code == "too_many_attempts":
            turn.say("code_too_many", contact=CONTACT[turn.lang])
        elif error.code == "code_expired":
            turn.say("code_expired")
        else:
            turn.say("status_not_found")
        return {"status_code": "done"}
    show_status(turn.dispatcher, status, turn.lang)
    return turn.ok("done")


def looks_like_status_code(text: str, slots: Mapping[str, Any]) -> bool:
    # After a mistyped address no code arrives: a corrected address or "change it" is the answer here.
    return (len(digits_of(text)) == CODE_DIGITS or looks_like_email_attempt(text)
            or (len(text.split()) <= MAX_WORDS_OF_A_CHANGE and has_any(text, CHANGE_WORDS + AGAIN_WORDS)))


async def validate_status_receipt(turn: Turn, value: Any) -> Values:
    receipt = digits_of(str(value or ""))
    if len(receipt) != RECEIPT_DIGITS:
        return turn.fail("invalid_receipt_format")
    try:
        status = await get_backend_client().status_receipt(turn.slot_value("status_reference"), receipt)
    except BackendUnavailable:
        turn.say("status_backend_down")
        return {"status_receipt": None}
    except BackendError as error:
        if error.code == "too_many_attempts":
            turn.say("code_too_many", contact=CONTACT[turn.lang])
            return {"status_receipt": "done"}
        return turn.fail("status_not_found")
    show_status(turn.dispatcher, status, turn.lang)
    return turn.ok("done")


def looks_like_receipt(text: str, slots: Mapping[str, Any]) -> bool:
    return len(digits_of(text)) == RECEIPT_DIGITS


def show_status(dispatcher: CollectingDispatcher, status: Dict[str, Any], lang: str) -> None:
    country = country_for(lang)
    lines = [t("status_result", lang, reference=status.get("reference", ""),
               case_type=name_of(CASE_TYPE_NAMES, status.get("type"), lang),
               status=name_of(STATUS_NAMES, status.get("status"), lang))]
    if status.get("due_at"):
        lines.append(t("due_generic", lang, date=format_date(status["due_at"], lang, country)))
    messages = status.get("messages") or []
    if messages:
        lines.append(t("status_messages_header", lang))
        for message in messages[-MESSAGES_SHOWN:]:
            body = message.get("body") if isinstance(message, dict) else str(message)
            if body:
                lines.append(f"– {body}")
    dispatcher.utter_message(text="\n".join(lines))


QUESTIONS = (
    Question("verification_code", validate_verification_code, ask=ask_verification_code,
             expected="expect_verification_code", looks_like_answer=looks_like_code),
    Question("status_reference", validate_status_reference, expected="expect_status_reference",
             looks_like_answer=looks_like_reference),
    Question("status_method", validate_status_method, ask=ask_status_method, looks_like_answer=looks_like_method),
    Question("status_email", validate_status_email, expected="expect_requester_email",
             looks_like_answer=looks_like_email),
    Question("status_code", validate_status_code, expected="expect_verification_code",
             looks_like_answer=looks_like_status_code),
    Question("status_receipt", validate_status_receipt, expected="expect_status_receipt",
             looks_like_answer=looks_like_receipt),
)
