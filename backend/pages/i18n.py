"""Every text of the staff pages in Swedish (sv), Norwegian Bokmål (nb) and English (en), and how the
language of a request is chosen.

One table, `TEXTS`: key -> {"sv", "nb", "en"}, read from the catalogue messages/<language>/staff.yml
(keys staff.page.<key>). Keys ending in `.one` / `.other` are the singular and plural of one phrase
(`Translator.n`); placeholders are `str.format` fields and must be the same in all three languages
(tests/backend/test_staff_pages.py and tests/test_messages.py check both). Translations are plain text: the views
pass them to `markup.html` as *arguments*, so they are escaped like any other value; the one place that
needs markup inside a sentence (`Translator.markup`) escapes the sentence first.

Language of a request (`choose_language`): the `staff_lang` cookie set by the switcher, else the
browser's Accept-Language (sv; nb, no, nn -> nb; en), else STAFF_DEFAULT_LANGUAGE (default en).

Dates use the e-mail helpers (`backend.email_templates.format_date` / `format_datetime`), so a date
reads the same on a page and in an e-mail: sv "24 december 2026", nb "24. desember 2026",
en "24 December 2026".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from backend.email_templates import format_date, format_datetime
from backend.pages.markup import Safe, escape, html
from basics.languages import DEFAULT_LANGUAGE, LANGUAGES
from basics.messages import message, message_table

LANGUAGE_COOKIE = "staff_lang"
# Each language named in itself, for the switcher (a reader who cannot read the page still finds theirs).
ENDONYMS = {lang: message(lang, "staff.format.endonym") for lang in LANGUAGES}
MAX_ACCEPT_LANGUAGE = 512

_ACCEPT_TAGS = {"sv": "sv", "nb": "nb", "no": "nb", "nn": "nb", "en": "en"}

_SHORT_MONTHS: dict[str, tuple[str, ...]] = {
    lang: tuple(message(lang, f"staff.format.short_month.{month:02d}") for month in range(1, 13))
    for lang in LANGUAGES
}

T = dict[str, str]

# Every page text by key: TEXTS[key][language] (messages/<language>/staff.yml, staff.page.*).
TEXTS: dict[str, T] = message_table("staff.page")


# --- choosing the language ----------------------------------------------------------------------

def normalize(value: Optional[str]) -> Optional[str]:
    """"sv-SE" -> "sv", "no" / "nn" / "nb-NO" -> "nb", "en-GB" -> "en"; anything else -> None."""
    base = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return _ACCEPT_TAGS.get(base)


def negotiate(accept_language: Optional[str]) -> Optional[str]:
    """The best of sv / nb / en in an Accept-Language header (by q-value, then order), or None."""
    candidates: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "")[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        language = normalize(tag) if tag and tag != "*" else None
        if language is not None and quality > 0:
            candidates.append((-quality, index, language))
    return min(candidates)[2] if candidates else None


def choose_language(cookie: Optional[str], accept_language: Optional[str], default: str = DEFAULT_LANGUAGE) -> str:
    """The switcher's choice (cookie), else the browser's preference, else the configured default."""
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]
    return negotiate(accept_language) or (default if default in LANGUAGES else DEFAULT_LANGUAGE)


# --- translating --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Translator:
    """The texts of one language. `tr(key, name=value)`; `tr.n(key, count)` picks `.one` / `.other`."""

    lang: str = DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: Any) -> str:
        text = TEXTS[key][self.lang]  # KeyError for a missing key: a test finds it, not a reader
        return text.format(**values) if values else text

    def n(self, key: str, count: float, **values: Any) -> str:
        form = "one" if abs(count) == 1 else "other"
        return self(f"{key}.{form}", n=count, **values)

    def label(self, group: str, code: Any) -> str:
        """A value label (`type`, `status`, `role`, ...); the raw code for a value we have no label for."""
        texts = TEXTS.get(f"{group}.{code}")
        return texts[self.lang] if texts else ("" if code is None else str(code))

    def markup(self, key: str, **values: Any) -> Safe:
        """A sentence with markup inside (values that are `Safe`); the sentence itself is escaped first."""
        return html(escape(TEXTS[key][self.lang]), **values)

    def date_text(self, value: Optional[str | datetime | date], country: Optional[str] = None) -> str:
        moment = _parse(value)
        return "—" if moment is None else format_date(moment, self.lang, country)

    def datetime_text(self, value: Optional[str | datetime], country: Optional[str] = None) -> str:
        moment = _parse(value)
        if moment is None:
            return "—"
        if not isinstance(moment, datetime):
            return format_date(moment, self.lang, country)
        return format_datetime(moment, self.lang, country)

    def short_date(self, value: date) -> str:
        """Day and abbreviated month for chart axes: sv "2 mar", nb "2. mar.", en "2 Mar"."""
        month = _SHORT_MONTHS[self.lang][value.month - 1]
        return message(self.lang, "staff.format.short_date", day=value.day, month=month)


def _parse(value: Optional[str | datetime | date]) -> Optional[datetime | date]:
    if not value:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def translator(lang: Optional[str]) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]

