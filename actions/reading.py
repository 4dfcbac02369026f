"""What a message in the middle of a form is: an answer, a question, a stop, a command, something off topic.

Pure functions of the message (and the NLU's parse of it); the questions and the form base use them to
decide whether a message answers the question asked or interrupts it.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker

from actions.common import has_any
from actions.words import (
    DOMAIN_STEMS,
    FILLER_WORDS,
    MAX_WORDS_OF_A_STOP,
    NEW_REQUEST_MARKERS,
    QUESTION_WORDS,
    STOP_PHRASES,
    STOP_WORDS,
)
from bot.text import fold

# Below this the NLU is guessing: "min adress är Storgatan 1" has been heard as a hand-off at 0.48. A guess
# never takes a user's answer away; the answer goes to validation instead.
INTERRUPT_CONFIDENCE = 0.6
# An intent this confident is taken as the answer's meaning ("ja" heard as affirm).
ANSWER_INTENT_CONFIDENCE = 0.8
# 0.7: "vad blir det för väder i morgon?" has been heard as out_of_scope at 0.77; the second condition of
# `off_topic` (no word of ours) keeps real answers in.
OFF_TOPIC_CONFIDENCE = 0.7
INTENT_ANSWERS = {"affirm": "yes", "deny": "no"}
# "vad blir det för väder i morgon?" is short; "sykemeldinger lå på skriveren i 3. etasje hele helga" (heard as
# out of scope) is a description.
MAX_WORDS_OFF_TOPIC = 8


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def latest_intent(tracker: Tracker) -> Dict[str, Any]:
    return (tracker.latest_message or {}).get("intent") or {}


def share_of_intents(tracker: Tracker, names: Callable[[str], bool]) -> float:
    """How sure the NLU is that the latest message is one of a group of intents: the summed confidence of
    the ranked intents in the group. The classifier's confidences are probabilities, so "jag vill också
    anmäla en dataläcka" (incident 0.48, misconduct 0.32) is a new report at 0.80 even though neither
    intent alone reaches a threshold."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or [latest_intent(tracker)]
    return sum(float(r.get("confidence") or 0.0) for r in ranking if r.get("name") and names(r["name"]))


def answer_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the latest message when it is reliable: a button payload, or a confident prediction."""
    intent = latest_intent(tracker)
    if latest_text(tracker).startswith("/") or (intent.get("confidence") or 0) >= ANSWER_INTENT_CONFIDENCE:
        return intent.get("name")
    return None


def looks_like_question(text: str) -> bool:
    """A policy question asked in the middle of a form ("how long do you keep my CV?"), as opposed to an
    answer that merely mentions policy words ("Consultant, Amesto Solutions AS")."""
    folded = fold(text).strip()
    if folded.endswith("?"):
        return True
    # Without a question mark, "när jag skrev in mig låg listan öppen" is a story told with a "when" clause,
    # and a long message is an account rather than a question.
    if _STORY_OPENING.match(folded) or len(folded.split()) > MAX_WORDS_OF_AN_UNMARKED_QUESTION:
        return False
    return looks_like_question_opening(text)


# "When I / when we / då vi ...": a time clause that opens a statement, not a question.
_STORY_OPENING = re.compile(
    r"(nar|naar|when|da|medan|mens|while)\s+(jag|jeg|eg|i|vi|we|du|you|han|hon|hun|ho|he|she|de|dei|they|"
    r"man|min|mitt|mina|my|our|var|vart|vaar)\b")
# An unmarked question is short ("hur länge sparar ni mitt cv"); 20 words without "?" tell something.
MAX_WORDS_OF_AN_UNMARKED_QUESTION = 20


def answer_before_question(text: str) -> Optional[str]:
    """The answer part of "answer, question?" ("namn och e-post, måste vi meddela kunderna?"), or None when the
    message is only a question or has no question in it. Clauses are split at , ; . ! ? and new lines; the
    question starts at the first clause that opens like one, or is the last clause when the text ends in "?"."""
    clauses = [c for c in re.split(r"(?<=[,;.!?\n])", text.strip()) if c.strip(" ,;.!?\n")]
    if len(clauses) < 2 or not looks_like_question(text):
        return None
    start = next((i for i, clause in enumerate(clauses) if i and looks_like_question_opening(clause.strip())), None)
    if start is None and text.strip().endswith("?"):
        start = len(clauses) - 1
    answer = "".join(clauses[:start] if start else []).strip(" ,;\n")
    if not answer or not {fold(w) for w in re.findall(r"[\w']+", answer)} - FILLER_WORDS:
        return None  # "before that, do you really ...?": only a question
    return answer if start and not looks_like_question_opening(clauses[0]) else None


def looks_like_question_opening(text: str) -> bool:
    # A word with diacritics also matches typed without them ("nar" for "när"); a plain word matches only as
    # typed, so "vår chef ..." (our boss) is not "var ..." (where).
    lowered, folded = text.strip().lower(), fold(text).strip()
    return any(folded.startswith(fold(word)) if fold(word) != word else lowered.startswith(word)
               for word in QUESTION_WORDS)


def typed_stop(tracker: Tracker) -> bool:
    """The NLU heard a stop in typed text (the Cancel button's "/stop" payload is the confirmed stop)."""
    intent = latest_intent(tracker)
    return (intent.get("name") == "stop" and (intent.get("confidence") or 0.0) >= INTERRUPT_CONFIDENCE
            and not latest_text(tracker).startswith("/"))


def sounds_like_stop(text: str) -> bool:
    # A bare stop word only ending a very short answer ("nej avbryt", "jag vill avbryta"): "sluta skicka
    # nyhetsbrev" and "stop sending me newsletters" say what to withdraw.
    tokens = re.findall(r"\w+", fold(text))
    return ((len(tokens) <= MAX_WORDS_OF_A_STOP and has_any(text, STOP_PHRASES))
            or (0 < len(tokens) <= 3 and tokens[-1] in STOP_WORDS))


def has_phrase(text: str, phrases: List[str]) -> bool:
    """Whole-word phrase match, accents folded ("ocksa" matches "också")."""
    folded = " " + " ".join(re.findall(r"[\w']+", fold(text))) + " "
    return any(f" {fold(phrase)} " in folded for phrase in phrases)


def says_it_wants_more(text: str) -> bool:
    """"I also want ...", "by the way ...": words that make a message a new request, not an answer."""
    return has_phrase(text, NEW_REQUEST_MARKERS)


def off_topic(tracker: Tracker, text: str) -> bool:
    """A free-text answer that is plainly about something else ("what's the weather tomorrow?" typed where
    we asked what to erase): the NLU is confident it is out of scope and it names nothing of ours."""
    intent = latest_intent(tracker)
    if intent.get("name") != "out_of_scope" or (intent.get("confidence") or 0) < OFF_TOPIC_CONFIDENCE:
        return False
    words = re.findall(r"\w+", fold(text).replace("-", ""))
    if len(words) > MAX_WORDS_OFF_TOPIC:
        return False  # a description of this length answers the question; chatter is short
    # Long stems also match inside compounds ("löneuppgifter", "helseopplysninger"); short ones only start a word.
    return not any((stem in word) if len(stem) >= 4 else word.startswith(stem)
                   for word in words for stem in DOMAIN_STEMS)


def words_besides_email(text: str) -> List[str]:
    """The words of `text` other than an e-mail address and the punctuation around it."""
    return [w for w in re.split(r"[\s,;]+", text) if w and "@" not in w and w.strip(".:-")]


def active_form(tracker: Tracker) -> Optional[str]:
    return (tracker.active_loop or {}).get("name")
