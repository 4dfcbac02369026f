"""The facts of an incident report as people say them: when it happened (`parse_aware_at`, and `says_when` /
`names_time_of_day` for how precisely), how many people (`people_count` for the answer, `people_said` in a
longer message) and which kinds of data (`data_kinds_said`). Pure functions of the text, in sv/nb/en.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple

from actions.common import country_for, yes_no_unknown
from actions.texts import zone_for_country
from bot.text import fold

MAX_PEOPLE_COUNT_TEXT = 100

_NUMBER = re.compile(r"\d[\d\s.,]*")


def people_count(text: str) -> Optional[str]:
    """A rough number of people as the user said it ("cirka 40", "not sure, maybe 200? could be more", "5-10"),
    or "unknown". A number wins over "not sure": the guess is the fact the privacy team needs."""
    match = _NUMBER.search(text)
    if match:
        return re.sub(r"\s+", " ", text).strip()[:MAX_PEOPLE_COUNT_TEXT]
    if yes_no_unknown(text) == "unknown":
        return "unknown"
    words = {"en": 1, "ett": 1, "one": 1, "två": 2, "to": 2, "two": 2, "tre": 3, "three": 3, "fyra": 4, "fire": 4,
             "four": 4, "fem": 5, "five": 5, "tio": 10, "ti": 10, "ten": 10, "hundra": 100, "hundre": 100,
             "hundred": 100, "tusen": 1000, "thousand": 1000, "many": None, "många": None, "mange": None,
             "alla": None, "alle": None, "all": None, "hundreds": None, "hundratals": None, "hundrevis": None,
             "thousands": None, "tusentals": None, "tusenvis": None, "dozens": None, "dussintals": None,
             "titals": None, "several": None, "flera": None, "flere": None, "fleire": None, "few": None,
             "fåtal": None, "massor": None, "masse": None, "lots": None, "mykje": None}
    for token in re.findall(r"\w+", text.lower()):
        if token in words:
            return text.strip()[:60]
    return None


# -- when ----------------------------------------------------------------------------------------------

_DATEPARSER_LANG = {"sv": "sv", "nb": "nb", "en": "en"}
_MORNING = re.compile(r"\b(i\s*morse|i\s*morges|this morning|tidigt i dag|tidlig i dag)\b", re.IGNORECASE)
_EVENING = re.compile(r"\b(i\s*går\s*kväll|i\s*går\s*kveld|igår\s*kväll|yesterday evening|last night|i natt|i natt)\b",
                      re.IGNORECASE)
# "earlier today": the day, said the way dateparser and the day words below read it.
_EARLIER_TODAY = re.compile(r"\b(earlier today|today earlier|tidigare i ?dag|i ?dag tidigare|tidligere i ?dag|"
                            r"i ?dag tidligere|tidlegare i ?dag|i ?dag tidlegare)\b", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"\b(i\s*förrgår|i\s*forgårs|day before yesterday)\b", re.IGNORECASE)
_CLOCK = re.compile(r"\b(?:kl\.?|klockan|klokka|at|around|about|runt|kring|vid|ved|ca\.?|cirka|omkring|rundt)\s*"
                    r"(\d{1,2})(?:[:.](\d{2}))?(?:-tiden|-tida|\s*(?:am|pm|a\.m\.|p\.m\.))?(?![\d:.]*\s*(?:personer|people|st))\b",
                    re.IGNORECASE)
# "in the afternoon / evening": a clock hour under 12 said with these is after noon.
_AFTER_NOON = re.compile(r"(eftermiddag|ettermiddag|afternoon|kväll|kvall|kveld|evening|tonight)", re.IGNORECASE)
_EARLY_HOURS = re.compile(r"(morgon|morgen|morges|morse|morning|natt|night|förmiddag|formiddag|føremiddag|a\.?m\b)",
                          re.IGNORECASE)
# A day said in words, with the part of the day: "yesterday afternoon around 3", "i dag på morgonen".
_DAY_WORDS = re.compile(r"\b(i\s*går|igår|i\s*gar|yesterday|i\s*dag|idag|today)\b", re.IGNORECASE)
# A part of the day said with the day ("i går förmiddag", "yesterday morning"): its usual hour.
# First match wins: "eftermiddag" and "förmiddag" both contain "middag".
_PART_OF_DAY = [
    (re.compile(r"(kväll|kvall|kveld|evening|tonight|natt|night)", re.IGNORECASE), 20),
    (re.compile(r"(eftermiddag|ettermiddag|afternoon)", re.IGNORECASE), 15),
    (re.compile(r"(förmiddag|formiddag|føremiddag|forenoon|before lunch)", re.IGNORECASE), 10),
    (re.compile(r"(lunch|lunsj|middag|noon)", re.IGNORECASE), 12),
    (re.compile(r"(morgon|morgen|morges|morse|morning)", re.IGNORECASE), 8),
]
_WEEKDAYS = {
    0: ["måndags", "mandag", "monday"], 1: ["tisdags", "tirsdag", "tuesday"], 2: ["onsdags", "onsdag", "wednesday"],
    3: ["torsdags", "torsdag", "thursday"], 4: ["fredags", "fredag", "friday"], 5: ["lördags", "lørdag", "saturday"],
    6: ["söndags", "søndag", "sunday"],
}


# Small numbers said in words ("rundt tre", "around three", "for et par timer siden").
NUMBER_WORDS = {
    "en": 1, "ett": 1, "et": 1, "ein": 1, "eit": 1, "one": 1, "a": 1, "an": 1, "två": 2, "to": 2, "two": 2,
    "par": 2, "couple": 2, "tre": 3, "three": 3, "några": 3, "noen": 3, "nokre": 3, "nokon": 3, "few": 3,
    "fyra": 4, "fire": 4, "four": 4, "fem": 5, "five": 5, "sex": 6, "seks": 6, "six": 6, "sju": 7, "syv": 7,
    "seven": 7, "åtta": 8, "åtte": 8, "eight": 8, "nio": 9, "ni": 9, "nine": 9, "tio": 10, "ti": 10, "ten": 10,
    "elva": 11, "elleve": 11, "eleven": 11, "tolv": 12, "twelve": 12,
}
_CLOCK_IN_WORDS = re.compile(
    r"\b(?:kl\.?|klockan|klokka|klokken|at|around|about|runt|kring|vid|ved|ca\.?|cirka|omkring|rundt)\s+"
    r"(ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|ein|eitt|to|fire|seks|sju|syv|åtte|ni|ti|elleve|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?:-?tiden|-?tida|\s*o'?clock)?\b",
    re.IGNORECASE)
# "för en halvtimme sedan", "for et par timer siden", "a couple of hours ago", "for 20 minutter siden".
_AGO = re.compile(
    r"\b(?:för|for|fyr)?\s*(?P<n>\d{1,3}|[a-zåäöæø]+)?\s*(?:of\s+)?(?:par\s+|couple\s+of\s+|few\s+)?"
    r"(?P<unit>halvtimme|halvtime|halvtimen|half\s+an\s+hour|kvart|kvarter|quarter\s+of\s+an\s+hour|"
    r"timmar|timmer|timme|timer|time|tima|timar|hours?|"
    r"minuter|minutter|minutt|minut|minutes?|mins?)\s+(?:sedan|sen|siden|sidan|ago)\b", re.IGNORECASE)


def _ago(text: str) -> Optional[timedelta]:
    """How long ago, from "för 3 timmar sedan", "for en halvtime siden", "a couple of hours ago"."""
    match = _AGO.search(text)
    if not match:
        return None
    unit = match.group("unit").lower()
    if unit.startswith(("halv", "half")):
        return timedelta(minutes=30)
    if unit.startswith(("kvart", "quarter")):
        return timedelta(minutes=15)
    word = (match.group("n") or "").lower()
    folded = fold(match.group(0)).lower()
    count = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
    if count is None or " par " in f" {folded} " or "couple" in folded:
        count = 2 if (" par " in f" {folded} " or "couple" in folded) else (3 if "few" in folded else 1)
    minutes = count * (60 if unit.startswith(("tim", "hour")) else 1)
    return timedelta(minutes=minutes)


def _clock(text: str) -> Optional[Tuple[int, int]]:
    match = _CLOCK.search(text)
    in_words = _CLOCK_IN_WORDS.search(text) if not match else None
    if in_words:
        hour = NUMBER_WORDS.get(in_words.group(1).lower(), {"eitt": 1}.get(in_words.group(1).lower(), 0))
        # "vid fyratiden", "rundt tretida": an hour said in words is a working-day hour, so 1-6 is afternoon
        # unless the morning or the night is named.
        if hour < 12 and (_AFTER_NOON.search(text) or (hour <= 6 and not _EARLY_HOURS.search(text))):
            hour += 12
        return (hour, 0) if 0 < hour <= 23 else None
    if not match:
        bare = re.search(r"\b(\d{1,2})[:.](\d{2})\b", text)
        if not bare:
            return None
        hour, minute = int(bare.group(1)), int(bare.group(2))
    else:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if (re.search(r"\bpm\b|p\.m\.", text, re.IGNORECASE) or _AFTER_NOON.search(text)) and hour < 12:
            hour += 12
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _part_of_day(text: str) -> Optional[int]:
    return next((hour for pattern, hour in _PART_OF_DAY if pattern.search(text)), None)


def says_when(text: str) -> bool:
    """Whether a longer message says when something happened in a way `parse_aware_at` reads without guessing:
    "for 2 timer siden", "yesterday afternoon around 3", "i går kl 14" (not a bare "i dag" or a date)."""
    return bool(_ago(text) or (_DAY_WORDS.search(text) and (_clock(text) or _part_of_day(text))))


_PEOPLE = re.compile(
    r"(?:(?:ca\.?|cirka|about|around|maybe|perhaps|kanske|kanskje|omkring|rundt|runt|nearly|nästan|nesten|over|"
    r"över|mer än|mer enn|more than|upp mot|opp mot|up to)\s+)?\d[\d\s.,]*\s*"
    r"(?:personer|persons|people|kunder|kundar|customers|clients|klienter|ansatte|anställda|employees|medarbetare|"
    r"medarbeidere|kandidater|kandidatar|candidates|deltakere|deltakarar|deltagare|participants|elever|students|"
    r"brukere|användare|users|stk|st\.?|"
    # a list of 300 names or addresses is about 300 people
    r"namn|navn|names|e-?postadresser|e-?mail addresses|emails|adresser|addresses|kontakter|contacts|"
    r"poster|records|rader|rows|søkere|sökande|applicants|medlemmer|medlemmar|members)\b", re.IGNORECASE)


def people_said(text: str) -> Optional[str]:
    """"maybe 200 customers" in a longer message: the count as said, for the "how many?" question."""
    match = _PEOPLE.search(text)
    return re.sub(r"\s+", " ", match.group(0)).strip() if match else None


# Kinds of personal data as people name them in a report ("namn, personnummer och lön", "names and phone
# numbers"): the words as typed are what the privacy team reads, so they are kept, not mapped to categories.
# A bare "e-mail" is how something was sent ("a phishing email"), so only an e-mail *address* is a kind.
_DATA_KINDS = re.compile(
    r"\b(namn|navn|names?|personnummer|personnumre|fødselsnummer|fødselsnumre|fodselsnummer|id[- ]?numbers?|"
    r"national id numbers?|social security numbers?|lön|löner|lønn|løn|salar(?:y|ies)|löneuppgifter|"
    r"lønnsopplysninger|kontonummer|kontonumre|account numbers?|bank ?details|bankuppgifter|bankopplysninger|"
    r"kortnummer|card numbers?|e-?post(?:adresser|adresse|adress)|e-?mail address(?:es)?|mejladresser|"
    r"adress(?:er)?|adresser?|address(?:es)?|telefonnummer|telefonnumre|phone numbers?|mobilnummer|"
    r"hälsouppgifter|helseopplysninger|health data|sjukskrivning(?:ar)?|sykemelding(?:er)?|sick leave|diagnos(?:er|es)?|"
    r"pass(?:nummer)?|passports?|lösenord|passord|passwords?|bilder|bilete|photos?|födelsedat(?:um|a)|"
    r"fødselsdato(?:er)?|dates? of birth)\b", re.IGNORECASE)
# A report that names at least this many kinds answers "which kinds of data?" already.
MIN_DATA_KINDS_OF_AN_ANSWER = 2


def data_kinds_said(text: str) -> Optional[str]:
    """"namn, personnummer, lön" from "Den innehåller namn, personnummer och lön för hela avdelningen", for the
    incident's data-types question; None when the report names fewer than two kinds."""
    found: List[str] = []
    for match in _DATA_KINDS.finditer(text):
        word = match.group(0).lower()
        if word not in found:
            found.append(word)
    return ", ".join(found) if len(found) >= MIN_DATA_KINDS_OF_AN_ANSWER else None


def names_time_of_day(text: str) -> bool:
    """Whether the reporter said when during the day ("kl 14", "i morse", "now"), not just which day."""
    return bool(_clock(text) or _ago(text) or _part_of_day(text) or _MORNING.search(text) or _EVENING.search(text)
                or re.search(r"\b(nu|nå|now|timm|time|hour|minut)", text, re.IGNORECASE))


def parse_aware_at(text: str, lang: str, now: Optional[datetime] = None) -> Tuple[Optional[datetime], bool]:
    """When the reporter became aware, from free text in the user's language.

    Returns (UTC datetime or None, is_in_future). Relative phrases are read in the local time zone of the
    user's language; dates prefer the past; a future time is reported as such (never accepted).
    """
    import dateparser  # imported lazily: loading its language data takes a moment

    zone = zone_for_country(country_for(lang))
    now_utc = now or datetime.now(timezone.utc)
    local_now = now_utc.astimezone(zone)
    raw = _EARLIER_TODAY.sub(lambda m: "today" if m.group(0)[0] in "eE" else "i dag", text.strip())
    clock = _clock(raw)

    def at(day: datetime, default: Tuple[int, int]) -> datetime:
        hour, minute = clock or default
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)

    result: Optional[datetime] = None
    folded = fold(raw)
    day_word = _DAY_WORDS.search(raw)
    ago = _ago(raw)
    if ago is not None:
        result = local_now - ago
    elif day_word and not _DAY_BEFORE.search(raw) and (clock or _part_of_day(raw)):
        # "yesterday afternoon around 3", "i går føremiddag": dateparser reads none of it; the day and the
        # clock (or the part of the day's usual hour) are enough.
        yesterday = re.match(r"i\s*g|yesterday", day_word.group(1), re.IGNORECASE)
        result = at(local_now - timedelta(days=1 if yesterday else 0), (_part_of_day(raw) or 0, 0))
    elif re.fullmatch(r"(i\s*dag|idag|today)[.!]?", raw, re.IGNORECASE):
        result = at(local_now, (0, 0))  # the day only: its start, so the 72-hour clock never starts late
    elif _MORNING.search(raw):
        result = at(local_now, (8, 0))
    elif _EVENING.search(raw):
        # "last night at three" is early this morning; "last night", "i går kväll kl 21" the evening before.
        small_hours = clock is not None and clock[0] < 12
        result = at(local_now - timedelta(days=0 if small_hours else 1), (20, 0))
    elif _DAY_BEFORE.search(raw):
        result = at(local_now - timedelta(days=2), (0, 0))
    elif re.search(r"\b(nu|nå|now|nyss|nettopp|nettopp nå|akkurat nå|just now)\b", raw, re.IGNORECASE) and len(raw) < 25:
        result = local_now
    else:
        for weekday, names in _WEEKDAYS.items():
            if any(fold(name) in folded for name in names) and re.search(
                r"\b(i|sist|forrige|förra|last|på|pa)\b", folded
            ):
                days_back = (local_now.weekday() - weekday) % 7 or 7
                result = at(local_now - timedelta(days=days_back), (0, 0))
                break
    if result is None:
        # dateparser does not know "kl." everywhere; give it plain HH:MM.
        prepared = _CLOCK.sub(lambda m: f"{int(m.group(1)):02d}:{int(m.group(2) or 0):02d}", raw)
        parsed = dateparser.parse(
            prepared,
            languages=[_DATEPARSER_LANG.get(lang, "en"), "en"],
            settings={
                "PREFER_DATES_FROM": "past",
                "RELATIVE_BASE": local_now.replace(tzinfo=None),
                "TIMEZONE": str(zone),
                "RETURN_AS_TIMEZONE_AWARE": True,
            },
        )
        if parsed is None and day_word:
            # "har sett det flera gånger men tänkte på det först i går": the day, said among other words.
            yesterday = re.match(r"i\s*g|yesterday", day_word.group(1), re.IGNORECASE)
            parsed = at(local_now - timedelta(days=1 if yesterday else 0), (0, 0))
        if parsed is None:
            return None, False
        result = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
        local = result.astimezone(zone)
        if clock is None and (local.hour, local.minute) == (local_now.hour, local_now.minute):
            # A day without a time ("i går", "last week"): dateparser keeps the current time of day, which
            # could start the 72-hour clock after the real moment. The start of that day never does.
            result = local.replace(hour=0, minute=0, second=0, microsecond=0)
    result_utc = result.astimezone(timezone.utc)
    # A few minutes of slack for clocks and "now"; anything later is a future time.
    if result_utc > now_utc + timedelta(minutes=5):
        return result_utc, True
    return min(result_utc, now_utc), False
