"""The words the actions read messages by, in all three languages (and Nynorsk, dialect and folded forms).

The words themselves are data in bot/lexicon/*.txt, grouped by concern (bot/lexicon/README.md), so a translator or
reviewer edits them without Python; each file's header says who reads a list and how it is matched. This module
loads them once, under the names the readers import. Matching is done by `actions.common.has_any` (accent-folded
substrings) unless a file says otherwise.
"""

from __future__ import annotations

from typing import Dict, List, Set

from bot.text import fold, grouped, lexicon, tagged


def _words(name: str, tag: str) -> List[str]:
    """The words of `tag` in bot/lexicon/<name>.txt, in the file's order."""
    return list(tagged(name, tag))


def _folded(name: str, tag: str) -> Set[str]:
    """Words read as whole, folded tokens: folded here, so a word written with its accents matches too."""
    return {fold(word) for word in _words(name, tag)}


def _by_choice(name: str) -> Dict[str, List[str]]:
    return {choice: list(found) for choice, found in grouped(name).items()}


# -- yes, no, don't know (bot/lexicon/answers.txt) -----------------------------------------------------------
UNKNOWN_WORDS = _words("answers", "unknown")
YES_WORDS = _words("answers", "yes")
BUT_WORDS = _folded("answers", "but")
NO_WORDS = _words("answers", "no")
FILLER_WORDS = _folded("answers", "filler")
SAME_AS_BEFORE_PHRASES = _words("answers", "same_as_before")

# -- names, addresses, anonymity (identity.txt, company_forms.txt) -------------------------------------------
COMPANY_FORMS = frozenset(tagged("company_forms", "form", keep_case=True))  # as written: "AS", not "as"
(GROUP_NAME,) = _words("identity", "group_name")
NAME_INTROS = _words("identity", "name_intro")
NAME_ENDINGS = _words("identity", "name_ending")
EMAIL_FILLER_WORDS = _folded("identity", "email_filler")
ANONYMOUS_WORDS = _words("identity", "anonymous")
NOT_ANONYMOUS_WORDS = _words("identity", "not_anonymous")  # checked before ANONYMOUS_WORDS: "ikke anonymt" is named
NAMED_WORDS = _words("identity", "named")

# -- choices that have buttons, typed instead (rights.txt, choices.txt, fields.txt) --------------------------
RIGHT_WORDS = _by_choice("rights")
DATABASE_WORDS = _words("choices", "database")
APPLICATION_WORDS = _words("application_words", "actions")  # shared with the request guard
EMAIL_METHOD_WORDS = _words("choices", "email_method")
RECEIPT_METHOD_WORDS = _words("choices", "receipt_method")
FIELD_WORDS = _by_choice("fields")

# -- correcting an answer (corrections.txt) ------------------------------------------------------------------
AGAIN_WORDS = _words("corrections", "again")
CHANGE_WORDS = _words("corrections", "change")
AGREEING_WORDS = set(_words("corrections", "agreeing"))  # compared as written (questions/summary)

# -- what a message is: a question, a command, a stop, another request (question_words.txt, commands.txt) ----
# The start of a question: a `stem` opens the message whatever follows, a `word` only as a word of its own,
# followed by more ("var " opens "var sparar ni ...", not "vart").
QUESTION_WORDS = [word + " " if "word" in tags else word
                  for word, tags in lexicon("question_words").items() if tags & {"stem", "word"}]
COMMAND_WORDS = _folded("commands", "command")
STOP_PHRASES = _words("commands", "stop_phrase")
MAX_WORDS_OF_A_STOP = 8  # a stop phrase counts in an answer of at most this many words
STOP_WORDS = _folded("commands", "stop")
NEW_REQUEST_MARKERS = _words("commands", "new_request")

# -- what a request is about (requests.txt, erasing_verbs.txt, description_objects.txt, ...) -----------------
EVERYTHING_TOKENS = _folded("requests", "everything_token")
DELETE_WORDS = _words("erasing_verbs", "actions")  # shared with the request guard
WITHDRAW_WORDS = _words("requests", "withdraw")
EVERYTHING_WORDS = _words("requests", "everything")
# "All my data" answers "what should be erased?" too: erasure takes the everything phrases first.
DESCRIPTION_OBJECTS: Dict[str, List[str]] = {
    right: (EVERYTHING_WORDS if right == "erasure" else []) + found
    for right, found in _by_choice("description_objects").items()
}
DOMAIN_WORDS = _words("domain_words", "domain")
DOMAIN_STEMS = [fold(word).replace("-", "") for word in DOMAIN_WORDS]
REPORT_FRAME_WORDS = _folded("report_frame", "frame")
EARLIER_CASE_WORDS = _words("requests", "earlier_case")
FOLLOW_UP_WORDS = _words("requests", "follow_up")
OBJECTING_VERBS = tuple(fold(word) for word in _words("requests", "objecting_verb"))  # read like the guard's stems

# -- facts said in words, "do we have to report it?" (incident_facts.txt) ------------------------------------
CONTAINED_WORDS = _words("incident_facts", "contained")
ENCRYPTED_WORDS = _words("incident_facts", "encrypted")
NOTIFY_WORDS = _words("incident_facts", "notify")
MUST_WORDS = _words("incident_facts", "must")
