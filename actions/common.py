"""Helpers shared by the flow actions: language and channel, identity data hygiene, parsing of typed answers
(names, e-mail addresses, yes / no / don't know). The facts of an incident report are actions/incident_facts.py.

Nothing here talks to the backend or sends messages; these are pure functions so they are easy to test.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any, Dict, List, Mapping, Optional, Tuple

from email_validator import EmailNotValidError, validate_email

from actions.texts import COUNTRY_FOR_LANGUAGE
from actions.words import BUT_WORDS, NO_WORDS, UNKNOWN_WORDS, YES_WORDS
from basics.languages import LANGUAGES
from bot.language import language_from_metadata
from bot.text import fold

# Length caps: what the backend accepts (description max 5000) and what a chat answer reasonably is.
MAX_NAME = 100
MAX_EMAIL = 254
MAX_DESCRIPTION = 3000
MAX_SHORT_TEXT = 300


# ---------------------------------------------------------------------------------------------- language


def metadata_language(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The language the channel's metadata names (the widget's choice or locale), as sv/nb/en, or None."""
    return language_from_metadata(metadata) if metadata else None


def get_lang(tracker: Any) -> str:
    """The conversation language: the `language` slot (set by the slot mapping in actions/language.py), else the
    channel metadata of the latest message, else English."""
    slot = tracker.get_slot("language")
    if slot in LANGUAGES:
        return slot
    found = metadata_language((tracker.latest_message or {}).get("metadata"))
    return found or "en"


def country_for(lang: str) -> str:
    return COUNTRY_FOR_LANGUAGE.get(lang, "NO")


def latest_metadata(tracker: Any) -> Dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def channel_identity(tracker: Any) -> Tuple[Optional[str], Optional[str]]:
    """Name and e-mail the Teams channel put in the message metadata (only trusted for staff)."""
    if not tracker.get_slot("is_staff"):
        return None, None
    metadata = latest_metadata(tracker)
    user = metadata.get("user") if isinstance(metadata.get("user"), dict) else {}
    name = user.get("name") or metadata.get("name") or metadata.get("user_name")
    # Teams gives the e-mail when the bot may resolve members, else the UPN (usually the same address).
    email = user.get("email") or user.get("upn") or metadata.get("email") or metadata.get("user_email")
    name = str(name).strip()[:MAX_NAME] if name else None
    email = normalise_email(str(email)) if email else None
    return name, email


def channel_name(tracker: Any) -> str:
    """The backend's channel value: teams for the Teams channel (or identified staff), else web."""
    input_channel = (tracker.get_latest_input_channel() or "").lower()
    if tracker.get_slot("is_staff") or input_channel in ("msteams", "botframework", "teams"):
        return "teams"
    return "web"


# ---------------------------------------------------------------------------------------------- text


def has_any(text: str, words: List[str]) -> bool:
    folded = fold(text)
    return any(fold(word) in folded for word in words)


def clean_text(value: Any) -> str:
    text = str(value or "")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    return text.strip()


_NAME_OK = re.compile(r"^[^\d@<>{}\[\]\\/|=_#$%^*~?!:;]+$")


def valid_name(text: str) -> Optional[str]:
    name = re.sub(r"\s+", " ", text).strip(" .,")
    if not (2 <= len(name) <= MAX_NAME) or not _NAME_OK.match(name):
        return None
    if len(name.split(" ")) > 6 or not any(ch.isalpha() for ch in name):
        return None
    return name


_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def normalise_email(text: str) -> Optional[str]:
    """The e-mail address in `text`, normalised, or None. No DNS look-up (check_deliverability False)."""
    match = _EMAIL_IN_TEXT.search(text or "")
    if not match:
        return None
    candidate = match.group(0).strip(".")
    if len(candidate) > MAX_EMAIL:
        return None
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


# What people type when they try to give an address and slip: "anna@example,se", "anna @ example.se",
# "anna.lindqvist@exmaple", "anna.lindqvist.example.se". Such a message is an answer to correct, never a stop.
_EMAIL_ATTEMPT = re.compile(r"[\w.%+-]+\s?@\s?[\w-]*(?:[.,][\w-]+)*|^[\w%+-]+(?:\.[\w%+-]+){2,}$", re.UNICODE)
# Big mail providers, for "did you mean" when the domain is a typo of one ("gmial.com", "hotmial.se").
COMMON_MAIL_DOMAINS = (
    "gmail.com", "hotmail.com", "outlook.com", "live.com", "yahoo.com", "icloud.com", "me.com", "msn.com",
    "protonmail.com", "proton.me", "hotmail.se", "live.se", "outlook.se", "telia.com", "comhem.se",
    "bredband.net", "hotmail.no", "live.no", "online.no", "outlook.dk", "hotmail.dk", "live.dk",
)


def looks_like_email_attempt(text: str) -> bool:
    """Whether `text` is a (possibly broken) try at typing an e-mail address."""
    return bool(_EMAIL_ATTEMPT.search((text or "").strip()))


def suggest_email(text: str) -> Optional[str]:
    """A valid address that the broken attempt in `text` most likely meant, or None when there is no
    safe guess. Only mechanical slips are mended: spaces around "@", a comma for a dot, a misspelt big
    provider. A missing domain ending is not guessed."""
    match = _EMAIL_ATTEMPT.search((text or "").strip())
    if not match or "@" not in match.group(0):
        return None
    local, _, domain = re.sub(r"\s", "", match.group(0)).partition("@")
    domain = domain.replace(",", ".").strip(".").lower()
    if domain not in COMMON_MAIL_DOMAINS:
        close = difflib.get_close_matches(domain, COMMON_MAIL_DOMAINS, n=1, cutoff=0.8)
        domain = close[0] if close else domain
    suggestion = normalise_email(f"{local}@{domain}")
    typed = normalise_email(match.group(0))
    return suggestion if suggestion and suggestion.lower() != (typed or "").lower() else None


def email_mistake(text: str) -> str:
    """The message key that says what is wrong with an address that did not validate."""
    if suggest_email(text):
        return "invalid_email_suggest"
    if "@" not in (text or ""):
        return "invalid_email_no_at"
    domain = re.sub(r"\s", "", text).rpartition("@")[2]
    if domain and "." not in domain.strip(".,"):
        return "invalid_email_no_ending"
    return "invalid_email"


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def yes_no_unknown(text: str) -> Optional[str]:
    """"yes", "no" or "unknown" for a typed answer, else None. A leading yes or no decides ("ja, tilgangen er
    fjerna no": "no" is Nynorsk for "now") unless a "but" follows; otherwise any no beats any yes ("yes, but
    not the backup")."""
    folded = fold(text).strip(" .!")
    if not folded:
        return None
    # A bare "?" is "I don't know"; a question mark inside a question ("do we have to tell IMY?") is not.
    if set(folded) <= {"?"} or has_any(folded, UNKNOWN_WORDS):
        return "unknown"
    tokens = re.findall(r"[a-z']+", folded)
    no_words, yes_words = {fold(w) for w in NO_WORDS}, {fold(w) for w in YES_WORDS}
    if tokens and tokens[0] in yes_words | no_words and not set(tokens) & BUT_WORDS:
        return "yes" if tokens[0] in yes_words else "no"
    if any(tok in no_words for tok in tokens):
        return "no"
    if any(tok in yes_words for tok in tokens):
        return "yes"
    return None
