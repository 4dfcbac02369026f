"""E-mails to requesters (sv, nb, en) and to staff, as plain text. Staff deadline alerts are in the
language configured for the recipient role (`render_staff_alert`, `render_staff_digest`); the case
service's own new-case notice to PRIVACY_TEAM_EMAIL (`staff_new_case`) follows the privacy officer's alert language.

Each e-mail carries only what it is for: a code e-mail holds the code and the reference, a "message
waiting" e-mail holds no message text. Codes are never put in subjects (subjects show on lock screens).
Dates are written the way each language writes them and in the case's local time zone.

`render(template, language, **context) -> (subject, body)`; unknown language -> English, unknown
template -> KeyError, missing context -> ValueError naming the missing fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from backend.deadlines import zone_for
from basics.dates import format_day
from basics.languages import normalise_language

__all__ = [
    "CASE_TYPE_NAMES",
    "TEMPLATES",
    "case_type_name",
    "format_date",
    "format_datetime",
    "render",
    "render_staff_alert",
    "render_staff_digest",
    "supervisory_authority",
]

CASE_TYPE_NAMES: dict[str, dict[str, str]] = {
    "sv": {
        "access": "begäran om tillgång till personuppgifter (registerutdrag)",
        "rectification": "begäran om rättelse av personuppgifter",
        "erasure": "begäran om radering av personuppgifter",
        "restriction": "begäran om begränsning av behandling",
        "objection": "invändning mot behandling av personuppgifter",
        "portability": "begäran om dataportabilitet",
        "consent_withdrawal": "återkallelse av samtycke",
        "application_withdrawal": "återkallelse av jobbansökan",
        "recruitment_consent_withdrawal": "återkallelse av samtycke till rekryteringsdatabasen",
        "incident": "anmälan om personuppgiftsincident",
        "misconduct": "anmälan om missförhållanden",
        "complaint": "klagomål om hur vi hanterar personuppgifter",
    },
    "nb": {
        "access": "forespørsel om innsyn i personopplysninger",
        "rectification": "forespørsel om retting av personopplysninger",
        "erasure": "forespørsel om sletting av personopplysninger",
        "restriction": "forespørsel om begrenset behandling",
        "objection": "protest mot behandling av personopplysninger",
        "portability": "forespørsel om dataportabilitet",
        "consent_withdrawal": "tilbaketrekking av samtykke",
        "application_withdrawal": "tilbaketrekking av jobbsøknad",
        "recruitment_consent_withdrawal": "tilbaketrekking av samtykke til rekrutteringsdatabasen",
        "incident": "melding om avvik (brudd på personopplysningssikkerheten)",
        "misconduct": "varsel om kritikkverdige forhold",
        "complaint": "klage på hvordan vi behandler personopplysninger",
    },
    "en": {
        "access": "request for access to personal data",
        "rectification": "request to correct personal data",
        "erasure": "request to erase personal data",
        "restriction": "request to restrict processing",
        "objection": "objection to the processing of personal data",
        "portability": "request for data portability",
        "consent_withdrawal": "withdrawal of consent",
        "application_withdrawal": "withdrawal of a job application",
        "recruitment_consent_withdrawal": "withdrawal of consent to the recruitment database",
        "incident": "personal data incident report",
        "misconduct": "report of misconduct",
        "complaint": "complaint about how we handle personal data",
    },
}

_SIGNATURE = {
    "sv": "Vänliga hälsningar\nIntegritetsteamet",
    "nb": "Vennlig hilsen\nPersonvernteamet",
    "en": "Kind regards\nThe privacy team",
}

_AUTOMATED_NOTE = {
    "sv": "Det här är ett automatiskt meddelande. Svara inte på det; använd assistenten på vår webbplats "
          "eller i Teams om du har frågor.",
    "nb": "Dette er en automatisk melding. Ikke svar på den; bruk assistenten på nettsiden vår eller i "
          "Teams hvis du har spørsmål.",
    "en": "This is an automated message. Please do not reply; use the assistant on our website or in "
          "Teams if you have questions.",
}


def case_type_name(case_type: str, language: str) -> str:
    """The case type in words; the raw type name for an unknown type rather than failing an e-mail."""
    return CASE_TYPE_NAMES[normalise_language(language)].get(case_type, case_type.replace("_", " "))


def _local(dt: datetime | date, country: str | None) -> datetime | date:
    if isinstance(dt, datetime):
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("format_date needs a timezone-aware datetime")
        return dt.astimezone(zone_for(country))
    if isinstance(dt, date):
        return dt
    raise TypeError(f"expected a datetime or date, got {type(dt).__name__}")


def format_date(dt: datetime | date, language: str, country: str | None = None) -> str:
    """The local date as each language writes it: sv "24 november 2026", nb "24. november 2026",
    en "24 November 2026". Aware datetimes are converted to the country's zone first."""
    return format_day(_local(dt, country), language)


def format_datetime(dt: datetime, language: str, country: str | None = None) -> str:
    """Local date and time with the zone abbreviation: sv "24 november 2026 kl. 09.00 (CET)",
    nb "24. november 2026 kl. 09.00 (CET)", en "24 November 2026, 09:00 (CET)"."""
    local = _local(dt, country)
    if not isinstance(local, datetime):
        raise TypeError("format_datetime needs a datetime")
    lang = normalise_language(language)
    day = format_day(local, lang)
    zone = local.tzname() or ""
    if lang in ("sv", "nb"):
        return f"{day} kl. {local:%H.%M} ({zone})"
    return f"{day}, {local:%H:%M} ({zone})"


_AUTHORITIES: dict[str, dict[str, str]] = {
    "NO": {"sv": "Datatilsynet i Norge", "nb": "Datatilsynet",
           "en": "Datatilsynet (the Norwegian Data Protection Authority)"},
    "SE": {"sv": "Integritetsskyddsmyndigheten (IMY)", "nb": "Integritetsskyddsmyndigheten (IMY) i Sverige",
           "en": "IMY (the Swedish Authority for Privacy Protection)"},
    "DK": {"sv": "Datatilsynet i Danmark", "nb": "Datatilsynet i Danmark",
           "en": "Datatilsynet (the Danish Data Protection Agency)"},
}
_ANY_AUTHORITY = {"sv": "dataskyddsmyndigheten", "nb": "datatilsynsmyndigheten",
                  "en": "the data protection authority"}


def supervisory_authority(country: str | None, language: str) -> str:
    """The supervisory authority of the case's country, named in the reader's language."""
    lang = normalise_language(language)
    names = _AUTHORITIES.get((country or "").strip().upper())
    return names[lang] if names else _ANY_AUTHORITY[lang]


def _minutes(value: object, language: str) -> str:
    minutes = int(value)  # type: ignore[call-overload]
    words = {
        "sv": ("minut", "minuter"),
        "nb": ("minutt", "minutter"),
        "en": ("minute", "minutes"),
    }[language]
    return f"{minutes} {words[0] if minutes == 1 else words[1]}"


# --- templates -----------------------------------------------------------------------------------
# Each builder gets the language (already normalised) and the context and returns (subject, body
# without signature). They are small functions rather than format strings because optional parts
# (a due date that is not set yet) change whole sentences.

Builder = Callable[[str, Mapping[str, object]], tuple[str, str]]


def _verification_code(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    code, ref, minutes = c["code"], c["reference"], _minutes(c["minutes_valid"], lang)
    if lang == "sv":
        return (
            f"Din verifieringskod för ärende {ref}",
            f"Hej!\n\nHär är din kod för att bekräfta ärende {ref}:\n\n    {code}\n\n"
            f"Skriv in koden i chatten. Den gäller i {minutes}.\n\n"
            "Har du inte bett om någon kod kan du bortse från det här mejlet.",
        )
    if lang == "nb":
        return (
            f"Bekreftelseskoden din for sak {ref}",
            f"Hei!\n\nHer er koden for å bekrefte sak {ref}:\n\n    {code}\n\n"
            f"Skriv inn koden i chatten. Den gjelder i {minutes}.\n\n"
            "Har du ikke bedt om en kode, kan du se bort fra denne e-posten.",
        )
    return (
        f"Your verification code for case {ref}",
        f"Hello,\n\nHere is your code to confirm case {ref}:\n\n    {code}\n\n"
        f"Enter it in the chat. It is valid for {minutes}.\n\n"
        "If you did not ask for a code, you can ignore this e-mail.",
    )


def _case_received(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref = c["reference"]
    kind = case_type_name(str(c["case_type"]), lang)
    due = c.get("due_at")
    due_text = format_date(due, lang, c.get("country")) if due is not None else None  # type: ignore[arg-type]
    if lang == "sv":
        lines = [f"Hej!\n\nVi har tagit emot ditt ärende: {kind}.\n\nÄrendenummer: {ref}"]
        if due_text:
            lines.append(f"Du får svar från oss senast den {due_text}.")
        lines.append("Spara ärendenumret. Med det kan du fråga assistenten hur ärendet går.")
        return f"Vi har tagit emot ditt ärende {ref}", "\n\n".join(lines)
    if lang == "nb":
        lines = [f"Hei!\n\nVi har mottatt saken din: {kind}.\n\nSaksnummer: {ref}"]
        if due_text:
            lines.append(f"Du får svar fra oss senest {due_text}.")
        lines.append("Ta vare på saksnummeret. Med det kan du spørre assistenten hvordan saken går.")
        return f"Vi har mottatt saken din {ref}", "\n\n".join(lines)
    lines = [f"Hello,\n\nWe have received your case: {kind}.\n\nReference: {ref}"]
    if due_text:
        lines.append(f"You will hear from us by {due_text} at the latest.")
    lines.append("Please keep the reference. With it you can ask the assistant how your case is going.")
    return f"We have received your case {ref}", "\n\n".join(lines)


def _status_code(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    code, ref, minutes = c["code"], c["reference"], _minutes(c["minutes_valid"], lang)
    if lang == "sv":
        return (
            f"Kod för att se status på ärende {ref}",
            f"Hej!\n\nDu har bett om att få se hur ärende {ref} går. Din kod är:\n\n    {code}\n\n"
            f"Skriv in koden i chatten. Den gäller i {minutes}.\n\n"
            "Har du inte bett om koden kan du bortse från det här mejlet; ingen kan se ärendet utan den.",
        )
    if lang == "nb":
        return (
            f"Kode for å se status for sak {ref}",
            f"Hei!\n\nDu har bedt om å se hvordan sak {ref} går. Koden din er:\n\n    {code}\n\n"
            f"Skriv inn koden i chatten. Den gjelder i {minutes}.\n\n"
            "Har du ikke bedt om koden, kan du se bort fra denne e-posten; ingen kan se saken uten den.",
        )
    return (
        f"Code to see the status of case {ref}",
        f"Hello,\n\nYou asked to see how case {ref} is going. Your code is:\n\n    {code}\n\n"
        f"Enter it in the chat. It is valid for {minutes}.\n\n"
        "If you did not ask for it, you can ignore this e-mail; nobody can see the case without the code.",
    )


def _extension_notice(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref, reason = c["reference"], str(c["reason"]).strip()
    new_due = format_date(c["new_due_at"], lang, c.get("country"))  # type: ignore[arg-type]
    authority = supervisory_authority(c.get("country"), lang)  # type: ignore[arg-type]
    if lang == "sv":
        return (
            f"Ärende {ref}: vi behöver mer tid",
            f"Hej!\n\nVi behöver mer tid för att hantera ditt ärende {ref}. "
            f"Du får svar senast den {new_due}.\n\nSkälet är:\n{reason}\n\n"
            "Dataskyddsförordningen (artikel 12.3) tillåter en sådan förlängning när en begäran är "
            "komplicerad eller när vi har fått många begäranden. Du har rätt att klaga hos "
            f"{authority} om du inte är nöjd med hur vi hanterar ärendet.",
        )
    if lang == "nb":
        return (
            f"Sak {ref}: vi trenger mer tid",
            f"Hei!\n\nVi trenger mer tid til å behandle saken din {ref}. "
            f"Du får svar senest {new_due}.\n\nBegrunnelsen er:\n{reason}\n\n"
            "Personvernforordningen (artikkel 12 nr. 3) tillater en slik forlengelse når en forespørsel "
            "er sammensatt eller vi har mottatt mange forespørsler. Du kan klage til "
            f"{authority} hvis du ikke er fornøyd med hvordan vi behandler saken.",
        )
    return (
        f"Case {ref}: we need more time",
        f"Hello,\n\nWe need more time to handle your case {ref}. "
        f"You will hear from us by {new_due} at the latest.\n\nThe reason is:\n{reason}\n\n"
        "The GDPR (Article 12(3)) allows this extension when a request is complex or we have received "
        f"many requests. You can complain to {authority} if you are not satisfied "
        "with how we handle your case.",
    )


def _staff_message(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    ref = c["reference"]
    if lang == "sv":
        return (
            f"Nytt meddelande i ärende {ref}",
            f"Hej!\n\nDu har fått ett nytt meddelande från oss i ärende {ref}.\n\n"
            "Av säkerhetsskäl skickar vi inte meddelandet med e-post. Fråga assistenten om status för "
            "ärendet, så kan du läsa det när du har bekräftat att ärendet är ditt.",
        )
    if lang == "nb":
        return (
            f"Ny melding i sak {ref}",
            f"Hei!\n\nDu har fått en ny melding fra oss i sak {ref}.\n\n"
            "Av sikkerhetshensyn sender vi ikke meldingen på e-post. Spør assistenten om status for "
            "saken, så kan du lese den når du har bekreftet at saken er din.",
        )
    return (
        f"New message in case {ref}",
        f"Hello,\n\nThere is a new message from us in case {ref}.\n\n"
        "For your security we do not send the message by e-mail. Ask the assistant for the status of "
        "your case and you can read it once you have confirmed that the case is yours.",
    )


_CLOCK_LABELS = {
    "due_at": {"sv": "Svar senast", "nb": "Svar innen", "en": "Answer due"},
    "authority_notification_due_at": {"sv": "Anmälan till tillsynsmyndigheten senast (72 h)",
                                      "nb": "Melding til tilsynsmyndigheten innen (72 t)",
                                      "en": "Authority notification due (72 h)"},
    "acknowledge_due_at": {"sv": "Bekräftelse senast", "nb": "Bekreftelse innen", "en": "Acknowledgement due"},
    "feedback_due_at": {"sv": "Återkoppling senast", "nb": "Tilbakemelding innen", "en": "Feedback due"},
}
_STAFF_NEW_CASE = {
    "sv": ("Nytt ärende {ref} ({type})", "Ett nytt ärende har registrerats.\n\nReferens: {ref}\nTyp: {type}",
           "Öppna ärendet på personalsidorna för att arbeta med det."),
    "nb": ("Ny sak {ref} ({type})", "En ny sak er registrert.\n\nReferanse: {ref}\nType: {type}",
           "Åpne saken på ansattsidene for å jobbe med den."),
    "en": ("New case {ref} ({type})", "A new case has been filed.\n\nReference: {ref}\nType: {type}",
           "Open the case in the staff pages to work on it."),
}


def _staff_new_case(lang: str, c: Mapping[str, object]) -> tuple[str, str]:
    # The privacy team's notice, in ALERT_LANGUAGE_PRIVACY_OFFICER / ALERT_LANGUAGE; no personal data: the
    # case is read in the staff view.
    lang = lang if lang in _STAFF_NEW_CASE else "en"
    subject, intro, outro = _STAFF_NEW_CASE[lang]
    ref, case_type = c["reference"], str(c["case_type"])
    country = c.get("country")
    lines = [intro.format(ref=ref, type=case_type_name(case_type, lang))]
    due_lines: list[str] = []
    if c.get("due_summary"):
        due_lines.append(str(c["due_summary"]))
    clocks = dict(c.get("clocks") or {})  # type: ignore[call-overload]
    if c.get("due_at") is not None:
        clocks.setdefault("due_at", c["due_at"])
    for name, value in clocks.items():
        if value is None:
            continue
        label = _CLOCK_LABELS.get(name, {}).get(lang) or name.replace("_", " ")
        due_lines.append(f"{label}: {format_datetime(value, lang, country)}")  # type: ignore[arg-type]
    if due_lines:
        lines.append("\n".join(due_lines))
    lines.append(outro)
    return subject.format(ref=ref, type=case_type), "\n\n".join(lines)


TEMPLATES: dict[str, tuple[Builder, tuple[str, ...], bool]] = {
    # name: (builder, required context, addressed to the requester)
    "verification_code": (_verification_code, ("code", "minutes_valid", "reference"), True),
    "case_received": (_case_received, ("reference", "case_type"), True),
    "status_code": (_status_code, ("code", "minutes_valid", "reference"), True),
    "extension_notice": (_extension_notice, ("reference", "new_due_at", "reason"), True),
    "staff_message": (_staff_message, ("reference",), True),
    "staff_new_case": (_staff_new_case, ("reference", "case_type"), False),
}


def render(template: str, language: str, **context: object) -> tuple[str, str]:
    """(subject, body) of an e-mail.

    Context per template:
    - verification_code: code, minutes_valid, reference
    - case_received: reference, case_type, due_at (aware datetime or None), country
    - status_code: code, minutes_valid, reference
    - extension_notice: reference, new_due_at, reason, country
    - staff_message: reference (the message itself is never e-mailed)
    - staff_new_case: reference, case_type, and any of due_summary (str), due_at, clocks
      (dict name -> aware datetime, as from deadlines.clocks_for), country; in the privacy officer's language
    """
    builder, required, to_requester = TEMPLATES[template]  # KeyError for unknown templates
    missing = [name for name in required if context.get(name) is None]
    if missing:
        raise ValueError(f"template {template!r} is missing context: {', '.join(missing)}")
    lang = normalise_language(language)
    subject, body = builder(lang, context)
    if to_requester:
        body = f"{body}\n\n{_SIGNATURE[lang]}\n\n{_AUTOMATED_NOTE[lang]}\n"
    else:
        body = f"{body}\n"
    return subject, body


# --- staff alerts (backend/services/alerts.py) ----------------------------------------------------
# In the language configured for the recipient role (ALERT_LANGUAGE_<ROLE>, ALERT_LANGUAGE). They carry
# the reference, the case type and the deadline, plus a link to the staff page: never the requester's
# name, address, company or words. Keys ending in `.one` / `.other` are singular and plural.

_ALERT_TEXTS: dict[str, dict[str, str]] = {
    "reference": {"sv": "Ärendenummer", "nb": "Saksnummer", "en": "Reference"},
    "type": {"sv": "Typ", "nb": "Type", "en": "Type"},
    "not_set": {"sv": "inte satt", "nb": "ikke satt", "en": "not set"},
    "deadline.answer_due": {"sv": "Svar senast", "nb": "Svarfrist", "en": "Answer due"},
    "deadline.authority_due": {"sv": "Anmälan till tillsynsmyndigheten senast (72 timmar)",
                               "nb": "Frist for melding til tilsynsmyndigheten (72 timer)",
                               "en": "Authority notification due (72 h)"},
    "deadline.acknowledge_due": {"sv": "Mottagandet bekräftas senast", "nb": "Frist for mottaksbekreftelse",
                                 "en": "Acknowledgement due"},
    "authority": {"sv": "Tillsynsmyndighet", "nb": "Tilsynsmyndighet", "en": "Supervisory authority"},
    "link": {"sv": "Öppna ärendet: {url}", "nb": "Åpne saken: {url}", "en": "Open the case: {url}"},
    "no_link": {"sv": "Öppna ärendet på handläggarsidorna.", "nb": "Åpne saken på saksbehandlersidene.",
                "en": "Open the case in the staff pages."},
    "new_case.subject": {"sv": "Nytt ärende {ref}: {type_name}", "nb": "Ny sak {ref}: {type_name}",
                         "en": "New case {ref} ({case_type})"},
    "new_case.intro": {"sv": "Ett nytt ärende behöver hanteras.", "nb": "En ny sak må behandles.",
                       "en": "A new case needs attention."},
    "due_soon.subject.one": {"sv": "Ärende {ref}: svar ska lämnas inom {n} dag",
                             "nb": "Sak {ref}: svarfristen går ut om {n} dag",
                             "en": "Case {ref}: answer due in {n} day"},
    "due_soon.subject.other": {"sv": "Ärende {ref}: svar ska lämnas inom {n} dagar",
                               "nb": "Sak {ref}: svarfristen går ut om {n} dager",
                               "en": "Case {ref}: answer due in {n} days"},
    "due_soon.subject_today": {"sv": "Ärende {ref}: svar ska lämnas i dag", "nb": "Sak {ref}: svarfristen går ut i dag",
                               "en": "Case {ref}: answer due today"},
    "due_soon.intro.one": {"sv": "Begäran måste besvaras inom {n} dag.", "nb": "Forespørselen må besvares innen {n} dag.",
                           "en": "This request must be answered within {n} day."},
    "due_soon.intro.other": {"sv": "Begäran måste besvaras inom {n} dagar.",
                             "nb": "Forespørselen må besvares innen {n} dager.",
                             "en": "This request must be answered within {n} days."},
    "due_soon.intro_today": {"sv": "Begäran måste besvaras i dag.", "nb": "Forespørselen må besvares i dag.",
                             "en": "This request must be answered today."},
    "breach.subject_left.one": {"sv": "Personuppgiftsincident {ref}: {n} timme kvar att anmäla till tillsynsmyndigheten",
                                "nb": "Avvik {ref}: {n} time igjen til fristen for å melde til tilsynsmyndigheten",
                                "en": "Breach {ref}: {n} hour left to notify the supervisory authority"},
    "breach.subject_left.other": {"sv": "Personuppgiftsincident {ref}: {n} timmar kvar att anmäla till tillsynsmyndigheten",
                                  "nb": "Avvik {ref}: {n} timer igjen til fristen for å melde til tilsynsmyndigheten",
                                  "en": "Breach {ref}: {n} hours left to notify the supervisory authority"},
    "breach.subject_over.one": {"sv": "Personuppgiftsincident {ref}: fristen för anmälan till tillsynsmyndigheten "
                                      "är överskriden med {n} timme",
                                "nb": "Avvik {ref}: fristen for å melde til tilsynsmyndigheten er overskredet med {n} time",
                                "en": "Breach {ref}: overdue by {n} hour to notify the supervisory authority"},
    "breach.subject_over.other": {"sv": "Personuppgiftsincident {ref}: fristen för anmälan till tillsynsmyndigheten "
                                        "är överskriden med {n} timmar",
                                  "nb": "Avvik {ref}: fristen for å melde til tilsynsmyndigheten er overskredet med {n} timer",
                                  "en": "Breach {ref}: overdue by {n} hours to notify the supervisory authority"},
    "breach.intro_left.one": {"sv": "Det återstår {n} timme av 72-timmarsfristen för att anmäla incidenten till "
                                    "tillsynsmyndigheten (artikel 33 i dataskyddsförordningen).",
                              "nb": "Det gjenstår {n} time av 72-timersfristen for å melde avviket til "
                                    "tilsynsmyndigheten (personvernforordningen artikkel 33).",
                              "en": "The 72-hour clock for notifying the supervisory authority (GDPR Art. 33) is "
                                    "running: {n} hour left."},
    "breach.intro_left.other": {"sv": "Det återstår {n} timmar av 72-timmarsfristen för att anmäla incidenten till "
                                      "tillsynsmyndigheten (artikel 33 i dataskyddsförordningen).",
                                "nb": "Det gjenstår {n} timer av 72-timersfristen for å melde avviket til "
                                      "tilsynsmyndigheten (personvernforordningen artikkel 33).",
                                "en": "The 72-hour clock for notifying the supervisory authority (GDPR Art. 33) is "
                                      "running: {n} hours left."},
    "breach.intro_over.one": {"sv": "72-timmarsfristen för att anmäla incidenten till tillsynsmyndigheten (artikel 33 "
                                    "i dataskyddsförordningen) gick ut för {n} timme sedan. Anmäl utan ytterligare "
                                    "dröjsmål och ange skälen till förseningen.",
                              "nb": "72-timersfristen for å melde avviket til tilsynsmyndigheten (personvernforordningen "
                                    "artikkel 33) gikk ut for {n} time siden. Meld fra uten ytterligere opphold og "
                                    "oppgi grunnen til forsinkelsen.",
                              "en": "The 72-hour deadline for notifying the supervisory authority (GDPR Art. 33) "
                                    "passed {n} hour ago. Notify without further delay and give the reasons for "
                                    "the delay."},
    "breach.intro_over.other": {"sv": "72-timmarsfristen för att anmäla incidenten till tillsynsmyndigheten (artikel "
                                      "33 i dataskyddsförordningen) gick ut för {n} timmar sedan. Anmäl utan "
                                      "ytterligare dröjsmål och ange skälen till förseningen.",
                                "nb": "72-timersfristen for å melde avviket til tilsynsmyndigheten "
                                      "(personvernforordningen artikkel 33) gikk ut for {n} timer siden. Meld fra uten "
                                      "ytterligere opphold og oppgi grunnen til forsinkelsen.",
                                "en": "The 72-hour deadline for notifying the supervisory authority (GDPR Art. 33) "
                                      "passed {n} hours ago. Notify without further delay and give the reasons for "
                                      "the delay."},
    "misconduct.subject": {"sv": "Anmälan om missförhållanden {ref}: bekräfta mottagandet",
                           "nb": "Varsel {ref}: bekreft at det er mottatt",
                           "en": "Misconduct report {ref}: acknowledge it"},
    "misconduct.intro": {"sv": "Anmälan har ännu inte fått någon mottagningsbekräftelse. Mottagandet ska bekräftas "
                               "inom sju dagar från att anmälan kom in.",
                         "nb": "Varselet har ennå ikke fått noen mottaksbekreftelse. Mottaket skal bekreftes innen "
                               "sju dager etter at varselet kom inn.",
                         "en": "This report has not been acknowledged yet; it must be acknowledged within 7 days "
                               "of receipt."},
    "digest.subject": {"sv": "Försenade dataskyddsärenden {date}: {n}", "nb": "Forsinkede personvernsaker {date}: {n}",
                       "en": "Overdue privacy cases on {date}: {n}"},
    "digest.intro": {"sv": "De här ärendena har passerat sin frist:", "nb": "Disse sakene har passert fristen:",
                     "en": "These cases are past their deadline:"},
    "digest.line.one": {"sv": "- {ref}  {type_name}  frist {due}  (försenat med {n} dag)",
                        "nb": "- {ref}  {type_name}  frist {due}  (forsinket med {n} dag)",
                        "en": "- {ref}  {type_name}  due {due}  ({n} day overdue)"},
    "digest.line.other": {"sv": "- {ref}  {type_name}  frist {due}  (försenat med {n} dagar)",
                          "nb": "- {ref}  {type_name}  frist {due}  (forsinket med {n} dager)",
                          "en": "- {ref}  {type_name}  due {due}  ({n} days overdue)"},
    "digest.link": {"sv": "Hela listan: {url}", "nb": "Hele listen: {url}", "en": "The list: {url}"},
}

STAFF_ALERT_KINDS = ("new_case", "rights_due_soon", "breach_24h", "breach_60h", "misconduct_ack")


def _alert_text(key: str, lang: str, count: int | None = None, **values: object) -> str:
    if count is not None:
        key = f"{key}.{'one' if abs(count) == 1 else 'other'}"
        values["n"] = count
    return _ALERT_TEXTS[key][lang].format(**values)


def render_staff_alert(
    kind: str,
    language: str,
    *,
    reference: str,
    case_type: str,
    country: str | None,
    deadline: datetime | None,
    deadline_label: str,
    days_left: int | None = None,
    hours_left: float | None = None,
    base_url: str = "",
) -> tuple[str, str]:
    """(subject, body) of a deadline alert to a staff mailbox.

    `kind`: one of STAFF_ALERT_KINDS; `deadline_label`: answer_due | authority_due | acknowledge_due;
    `days_left` for rights_due_soon, `hours_left` (negative when overdue) for the breach alerts;
    `base_url`: STAFF_BASE_URL (empty: no link). KeyError for an unknown kind.
    """
    lang = normalise_language(language)
    ref = reference
    extra: list[str] = []
    if kind == "new_case":
        subject = _alert_text("new_case.subject", lang, ref=ref, case_type=case_type,
                              type_name=case_type_name(case_type, lang))
        intro = _alert_text("new_case.intro", lang)
    elif kind == "rights_due_soon":
        days = max(days_left or 0, 0)
        if days == 0:
            subject = _alert_text("due_soon.subject_today", lang, ref=ref)
            intro = _alert_text("due_soon.intro_today", lang)
        else:
            subject = _alert_text("due_soon.subject", lang, days, ref=ref)
            intro = _alert_text("due_soon.intro", lang, days)
    elif kind in ("breach_24h", "breach_60h"):
        left = hours_left or 0.0
        hours = round(abs(left))
        side = "left" if left >= 0 else "over"
        subject = _alert_text(f"breach.subject_{side}", lang, hours, ref=ref)
        intro = _alert_text(f"breach.intro_{side}", lang, hours)
        extra.append(f"{_alert_text('authority', lang)}: {supervisory_authority(country, lang)}")
    elif kind == "misconduct_ack":
        subject = _alert_text("misconduct.subject", lang, ref=ref)
        intro = _alert_text("misconduct.intro", lang)
    else:
        raise KeyError(kind)
    when = format_datetime(deadline, lang, country) if deadline is not None else _alert_text("not_set", lang)
    facts = [
        f"{_alert_text('reference', lang)}: {ref}",
        f"{_alert_text('type', lang)}: {case_type_name(case_type, lang)}",
        f"{_alert_text(f'deadline.{deadline_label}', lang)}: {when}",
        *extra,
    ]
    link = (_alert_text("link", lang, url=f"{base_url}/staff/cases/{ref}") if base_url
            else _alert_text("no_link", lang))
    return subject, f"{intro}\n\n" + "\n".join(facts) + f"\n\n{link}\n"


def render_staff_digest(
    language: str, *, day: date, rows: list[Mapping[str, object]], base_url: str = "",
) -> tuple[str, str]:
    """(subject, body) of the daily digest. `rows`: reference, type, due_at (aware datetime), country,
    days_overdue (int)."""
    lang = normalise_language(language)
    lines = [
        _alert_text("digest.line", lang, int(row["days_overdue"]), ref=row["reference"],  # type: ignore[call-overload]
                    type_name=case_type_name(str(row["type"]), lang),
                    due=format_datetime(row["due_at"], lang, row.get("country")))  # type: ignore[arg-type]
        for row in rows
    ]
    subject = _alert_text("digest.subject", lang, date=format_date(day, lang), n=len(rows))
    link = f"\n\n{_alert_text('digest.link', lang, url=f'{base_url}/staff/cases?overdue=true')}" if base_url else ""
    return subject, f"{_alert_text('digest.intro', lang)}\n\n" + "\n".join(lines) + link + "\n"
