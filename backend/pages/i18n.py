"""Every text of the staff pages in Swedish (sv), Norwegian Bokmål (nb) and English (en), and how the
language of a request is chosen.

One table, `TEXTS`: key -> {"sv", "nb", "en"}. Keys ending in `.one` / `.other` are the singular and
plural of one phrase (`Translator.n`); placeholders are `str.format` fields and must be the same in all
three languages (tests/backend/test_staff_pages.py checks both). Translations are plain text: the views
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

LANGUAGE_COOKIE = "staff_lang"
# Each language named in itself, for the switcher (a reader who cannot read the page still finds theirs).
ENDONYMS = {"sv": "Svenska", "nb": "Norsk", "en": "English"}
MAX_ACCEPT_LANGUAGE = 512

_ACCEPT_TAGS = {"sv": "sv", "nb": "nb", "no": "nb", "nn": "nb", "en": "en"}

_SHORT_MONTHS: dict[str, tuple[str, ...]] = {
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "nb": ("jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

T = dict[str, str]

TEXTS: dict[str, T] = {
    # --- frame: title, navigation, language switcher -----------------------------------------------
    "brand": {"sv": "Dataskyddsärenden", "nb": "Personvernsaker", "en": "Privacy cases"},
    "title": {"sv": "{page} · Dataskyddsärenden", "nb": "{page} · Personvernsaker", "en": "{page} · Privacy cases"},
    "nav.cases": {"sv": "Ärenden", "nb": "Saker", "en": "Cases"},
    "nav.dashboard": {"sv": "Översikt", "nb": "Oversikt", "en": "Dashboard"},
    "nav.signed_in_as": {"sv": "Inloggad som", "nb": "Logget inn som", "en": "Signed in as"},
    "nav.sign_out": {"sv": "Logga ut", "nb": "Logg ut", "en": "Sign out"},
    "lang.switcher": {"sv": "Språk", "nb": "Språk", "en": "Language"},
    "lang.current": {"sv": "valt språk", "nb": "valgt språk", "en": "current language"},

    # --- sign-in --------------------------------------------------------------------------------------
    "signin.title": {"sv": "Logga in", "nb": "Logg inn", "en": "Sign in"},
    "signin.button": {"sv": "Logga in", "nb": "Logg inn", "en": "Sign in"},
    "signin.token_label": {"sv": "Personlig åtkomsttoken", "nb": "Personlig tilgangstoken",
                           "en": "Personal staff token"},
    "signin.token_hint": {"sv": "Din token skrevs ut när ditt konto skapades med {command}.",
                          "nb": "Tokenet ditt ble skrevet ut da kontoen din ble opprettet med {command}.",
                          "en": "The token printed when your account was created with {command}."},
    "signin.signed_out": {"sv": "Du är nu utloggad.", "nb": "Du er nå logget ut.", "en": "You are signed out."},
    "signin.expired": {"sv": "Inloggningsformuläret hann gå ut. Försök igen.",
                       "nb": "Innloggingsskjemaet rakk å utløpe. Prøv igjen.",
                       "en": "The sign-in form expired. Please try again."},
    "signin.rate_limited": {"sv": "För många misslyckade försök. Vänta 15 minuter och försök sedan igen.",
                            "nb": "For mange mislykkede forsøk. Vent 15 minutter og prøv så igjen.",
                            "en": "Too many failed attempts. Wait 15 minutes and try again."},
    "signin.invalid": {"sv": "Den token du angav är inte giltig.", "nb": "Tokenet du oppga, er ikke gyldig.",
                       "en": "That token is not valid."},
    "provider.token": {"sv": "Personlig åtkomsttoken", "nb": "Personlig tilgangstoken",
                       "en": "Personal staff token"},
    "provider.oidc": {"sv": "Microsoft Entra ID", "nb": "Microsoft Entra ID", "en": "Microsoft Entra ID"},

    # --- error pages ----------------------------------------------------------------------------------
    "error.400": {"sv": "Felaktig begäran", "nb": "Ugyldig forespørsel", "en": "Bad request"},
    "error.403": {"sv": "Inte tillåtet", "nb": "Ikke tillatt", "en": "Not allowed"},
    "error.404": {"sv": "Hittades inte", "nb": "Finnes ikke", "en": "Not found"},
    "error.429": {"sv": "För många försök", "nb": "For mange forsøk", "en": "Too many attempts"},
    "error.generic": {"sv": "Något gick fel", "nb": "Noe gikk galt", "en": "Error"},
    "error.back_to_cases": {"sv": "Tillbaka till ärendena", "nb": "Tilbake til sakene", "en": "Back to the cases"},
    "error.sign_in": {"sv": "Logga in", "nb": "Logg inn", "en": "Sign in"},
    "error.no_such_case": {"sv": "Ärendet finns inte.", "nb": "Saken finnes ikke.", "en": "No such case."},
    "error.no_such_page": {"sv": "Sidan finns inte.", "nb": "Siden finnes ikke.", "en": "There is no such page."},
    "error.not_handled": {"sv": "Begäran kunde inte hanteras.", "nb": "Forespørselen kunne ikke behandles.",
                          "en": "The request could not be handled."},
    "error.bad_filter": {"sv": "Ett av filtervärdena är ogiltigt.", "nb": "En av filterverdiene er ugyldig.",
                         "en": "A filter value was not valid."},
    "error.csrf": {"sv": "Formuläret godtogs inte (säkerhetstoken saknas eller stämmer inte). Ladda om sidan "
                         "och försök igen.",
                   "nb": "Skjemaet ble ikke godtatt (sikkerhetstokenet mangler eller stemmer ikke). Last inn "
                         "siden på nytt og prøv igjen.",
                   "en": "The form was not accepted (its security token is missing or wrong). Reload the page "
                         "and try again."},

    # --- case list --------------------------------------------------------------------------------------
    "list.title": {"sv": "Ärenden", "nb": "Saker", "en": "Cases"},
    "filter.type": {"sv": "Typ", "nb": "Type", "en": "Type"},
    "filter.status": {"sv": "Status", "nb": "Status", "en": "Status"},
    "filter.language": {"sv": "Språk", "nb": "Språk", "en": "Language"},
    "filter.any": {"sv": "alla", "nb": "alle", "en": "any"},
    "filter.overdue": {"sv": "bara försenade", "nb": "bare forsinkede", "en": "overdue"},
    "filter.due_within_before": {"sv": "frist inom", "nb": "frist innen", "en": "due within"},
    "filter.due_within_after": {"sv": "dagar", "nb": "dager", "en": "days"},
    "filter.apply": {"sv": "Filtrera", "nb": "Filtrer", "en": "Filter"},
    "filter.clear": {"sv": "Rensa", "nb": "Nullstill", "en": "Clear"},
    "col.reference": {"sv": "Ärendenummer", "nb": "Saksnummer", "en": "Reference"},
    "col.type": {"sv": "Typ", "nb": "Type", "en": "Type"},
    "col.status": {"sv": "Status", "nb": "Status", "en": "Status"},
    "col.language": {"sv": "Språk", "nb": "Språk", "en": "Lang"},
    "col.country": {"sv": "Land", "nb": "Land", "en": "Country"},
    "col.filed": {"sv": "Inkom", "nb": "Mottatt", "en": "Filed"},
    "col.clock": {"sv": "Frist", "nb": "Frist", "en": "Clock"},
    "list.none": {"sv": "Inga ärenden matchar filtret.", "nb": "Ingen saker passer til filteret.",
                  "en": "No cases match."},
    "list.count.one": {"sv": "{n} ärende.", "nb": "{n} sak.", "en": "{n} case."},
    "list.count.other": {"sv": "{n} ärenden.", "nb": "{n} saker.", "en": "{n} cases."},

    # --- clocks -----------------------------------------------------------------------------------------
    "clock.closed": {"sv": "avslutat", "nb": "avsluttet", "en": "closed"},
    "clock.not_started": {"sv": "börjar löpa vid bekräftelse", "nb": "starter ved bekreftelse",
                          "en": "starts when verified"},
    "clock.days_overdue.one": {"sv": "försenat med {n} dag", "nb": "forsinket med {n} dag",
                               "en": "{n} day overdue"},
    "clock.days_overdue.other": {"sv": "försenat med {n} dagar", "nb": "forsinket med {n} dager",
                                 "en": "{n} days overdue"},
    "clock.due_today": {"sv": "frist i dag", "nb": "frist i dag", "en": "due today"},
    "clock.days_left.one": {"sv": "{n} dag kvar", "nb": "{n} dag igjen", "en": "{n} day left"},
    "clock.days_left.other": {"sv": "{n} dagar kvar", "nb": "{n} dager igjen", "en": "{n} days left"},
    "clock.extended": {"sv": " (förlängd)", "nb": " (forlenget)", "en": " (extended)"},
    "clock.due_on": {"sv": "frist {date}", "nb": "frist {date}", "en": "due {date}"},
    "clock.72h_title": {"sv": "72-timmarsfristen", "nb": "72-timersfristen", "en": "72-hour clock"},
    "clock.72h_title_due": {"sv": "72-timmarsfristen, löper ut {date}", "nb": "72-timersfristen, utløper {date}",
                            "en": "72-hour clock, due {date}"},
    "clock.72h_overdue.one": {"sv": "72-timmarsfristen: överskriden med {h} timme",
                              "nb": "72-timersfristen: overskredet med {h} time",
                              "en": "72 h clock: overdue by {h} h"},
    "clock.72h_overdue.other": {"sv": "72-timmarsfristen: överskriden med {h} timmar",
                                "nb": "72-timersfristen: overskredet med {h} timer",
                                "en": "72 h clock: overdue by {h} h"},
    "clock.72h_left.one": {"sv": "{h} av 72 timmar kvar", "nb": "{h} av 72 timer igjen",
                           "en": "{h} h left of 72 h"},
    "clock.72h_left.other": {"sv": "{h} av 72 timmar kvar", "nb": "{h} av 72 timer igjen",
                             "en": "{h} h left of 72 h"},
    "clock.acknowledged": {"sv": "mottagande bekräftat", "nb": "mottak bekreftet", "en": "acknowledged"},
    "clock.acknowledge_by": {"sv": "bekräfta mottagandet senast {date}", "nb": "bekreft mottak innen {date}",
                             "en": "acknowledge by {date}"},
    "clock.feedback_by": {"sv": "återkoppling senast {date}", "nb": "tilbakemelding innen {date}",
                          "en": "feedback by {date}"},

    # --- case detail ------------------------------------------------------------------------------------
    "detail.all_cases": {"sv": "← Alla ärenden", "nb": "← Alle saker", "en": "← All cases"},
    "detail.section.case": {"sv": "Ärendet", "nb": "Saken", "en": "Case"},
    "detail.section.requester": {"sv": "Avsändare", "nb": "Innsender", "en": "Requester"},
    "detail.section.details": {"sv": "Vad avsändaren skrev", "nb": "Hva innsenderen skrev",
                               "en": "What they wrote"},
    "detail.section.messages": {"sv": "Meddelanden", "nb": "Meldinger", "en": "Messages"},
    "detail.section.work": {"sv": "Handläggning", "nb": "Saksbehandling", "en": "Work on the case"},
    "detail.section.timeline": {"sv": "Tidslinje", "nb": "Tidslinje", "en": "Timeline"},
    "fact.type": {"sv": "Typ", "nb": "Type", "en": "Type"},
    "fact.status": {"sv": "Status", "nb": "Status", "en": "Status"},
    "fact.language": {"sv": "Språk", "nb": "Språk", "en": "Language"},
    "fact.country": {"sv": "Land", "nb": "Land", "en": "Country"},
    "fact.channel": {"sv": "Kanal", "nb": "Kanal", "en": "Channel"},
    "fact.company": {"sv": "Bolag", "nb": "Selskap", "en": "Company"},
    "fact.filed": {"sv": "Inkom", "nb": "Mottatt", "en": "Filed"},
    "fact.verified": {"sv": "Bekräftat", "nb": "Bekreftet", "en": "Verified"},
    "fact.aware": {"sv": "Anmälaren fick kännedom om incidenten", "nb": "Melderen ble kjent med avviket",
                   "en": "Reporter became aware"},
    "fact.answer_due": {"sv": "Svar senast", "nb": "Svarfrist", "en": "Answer due"},
    "fact.authority_due": {"sv": "Anmälan till tillsynsmyndigheten senast (72 timmar)",
                           "nb": "Frist for melding til tilsynsmyndigheten (72 timer)",
                           "en": "Authority notification due (72 h)"},
    "fact.acknowledge_due": {"sv": "Mottagandet bekräftas senast", "nb": "Frist for mottaksbekreftelse",
                             "en": "Acknowledgement due"},
    "fact.feedback_due": {"sv": "Återkoppling senast", "nb": "Frist for tilbakemelding", "en": "Feedback due"},
    "fact.original_due": {"sv": "Ursprunglig frist", "nb": "Opprinnelig frist", "en": "Originally due"},
    "fact.extension": {"sv": "Förlängning", "nb": "Forlengelse", "en": "Extension"},
    "fact.extension_value.one": {"sv": "{n} månad, beslutad {date}", "nb": "{n} måned, besluttet {date}",
                                 "en": "{n} month on {date}"},
    "fact.extension_value.other": {"sv": "{n} månader, beslutad {date}", "nb": "{n} måneder, besluttet {date}",
                                   "en": "{n} months on {date}"},
    "fact.extension_reason": {"sv": "Skäl för förlängningen", "nb": "Begrunnelse for forlengelsen",
                              "en": "Extension reason"},
    "fact.status_reason": {"sv": "Motivering av status", "nb": "Begrunnelse for status", "en": "Status reason"},
    "fact.closed": {"sv": "Avslutat", "nb": "Avsluttet", "en": "Closed"},
    "requester.anonymised": {"sv": "Personuppgifterna gallrades enligt gallringsreglerna den {date}.",
                             "nb": "Personopplysningene ble slettet etter slettereglene {date}.",
                             "en": "Personal data removed under the retention rule on {date}."},
    "requester.anonymous": {"sv": "Anonym anmälare. Hen läser meddelanden och svarar med sitt kvitto.",
                            "nb": "Anonym melder. Vedkommende leser meldinger og svarer med kvitteringen sin.",
                            "en": "Anonymous reporter. They read messages and reply with their receipt."},
    "requester.none": {"sv": "Inga uppgifter om avsändaren.", "nb": "Ingen opplysninger om innsenderen.",
                       "en": "No requester data."},
    "requester.name": {"sv": "Namn", "nb": "Navn", "en": "Name"},
    "requester.email": {"sv": "E-post", "nb": "E-post", "en": "E-mail"},
    "requester.identity": {"sv": "Identitet", "nb": "Identitet", "en": "Identity"},
    "requester.by_channel": {"sv": "bekräftad av kanalen (Teams)", "nb": "bekreftet av kanalen (Teams)",
                             "en": "confirmed by the channel (Teams)"},
    "requester.by_code": {"sv": "bekräftad med kod via e-post", "nb": "bekreftet med kode på e-post",
                          "en": "e-mail code"},
    "requester.unverified": {"sv": "inte bekräftad ännu", "nb": "ikke bekreftet ennå", "en": "not verified yet"},
    "details.none": {"sv": "Inga uppgifter.", "nb": "Ingen opplysninger.", "en": "No details."},
    "detail_field.description": {"sv": "Beskrivning", "nb": "Beskrivelse", "en": "Description"},
    "detail_field.position": {"sv": "Tjänst och bolag", "nb": "Stilling og selskap", "en": "Position and company"},
    "detail_field.data_types": {"sv": "Typer av personuppgifter", "nb": "Typer personopplysninger",
                                "en": "Kinds of personal data"},
    "detail_field.people_affected": {"sv": "Ungefärligt antal berörda", "nb": "Omtrentlig antall berørte",
                                     "en": "Roughly how many people"},
    "detail_field.encrypted": {"sv": "Krypterat", "nb": "Kryptert", "en": "Encrypted"},
    "detail_field.contained": {"sv": "Stoppat eller under kontroll", "nb": "Stanset eller under kontroll",
                               "en": "Contained"},
    "answer.yes": {"sv": "Ja", "nb": "Ja", "en": "Yes"},
    "answer.no": {"sv": "Nej", "nb": "Nei", "en": "No"},
    "answer.unknown": {"sv": "Vet inte", "nb": "Vet ikke", "en": "Don't know"},
    "messages.none": {"sv": "Inga meddelanden ännu.", "nb": "Ingen meldinger ennå.", "en": "No messages yet."},
    "messages.staff_to_requester": {"sv": "{name} → avsändaren", "nb": "{name} → innsenderen",
                                    "en": "{name} → requester"},
    "messages.staff": {"sv": "handläggare", "nb": "saksbehandler", "en": "staff"},
    "messages.anonymous": {"sv": "Anonym anmälare", "nb": "Anonym melder", "en": "Anonymous reporter"},
    "messages.requester": {"sv": "Avsändaren", "nb": "Innsenderen", "en": "Requester"},

    # --- timeline ---------------------------------------------------------------------------------------
    "timeline.entry": {"sv": "av {actor}", "nb": "av {actor}", "en": "by {actor}"},
    "actor.service": {"sv": "assistenten", "nb": "assistenten", "en": "assistant"},
    "actor.system": {"sv": "systemet", "nb": "systemet", "en": "system"},
    "actor.requester": {"sv": "avsändaren", "nb": "innsenderen", "en": "requester"},
    "actor.cli": {"sv": "kommandoraden", "nb": "kommandolinjen", "en": "CLI"},
    "action.case_created": {"sv": "Ärendet registrerades", "nb": "Saken ble registrert", "en": "Case filed"},
    "action.case_verified": {"sv": "Avsändaren bekräftade ärendet", "nb": "Innsenderen bekreftet saken",
                             "en": "Requester verified"},
    "action.case_viewed": {"sv": "Ärendet visades (personuppgifter)", "nb": "Saken ble vist (personopplysninger)",
                           "en": "Case viewed (personal data)"},
    "action.transcript_erasures_queued": {"sv": "Chattloggar köades för radering",
                                          "nb": "Chattlogger ble satt i kø for sletting",
                                          "en": "Chat transcripts queued for erasure"},
    "action.transcript_erased": {"sv": "En chattlogg raderades", "nb": "En chattlogg ble slettet",
                                 "en": "A chat transcript was erased"},
    "action.status_changed": {"sv": "Status ändrades", "nb": "Status ble endret", "en": "Status changed"},
    "action.case_extended": {"sv": "Fristen förlängdes", "nb": "Fristen ble forlenget", "en": "Deadline extended"},
    "action.staff_message": {"sv": "Meddelande till avsändaren", "nb": "Melding til innsenderen",
                             "en": "Message to requester"},
    "action.requester_message": {"sv": "Meddelande från avsändaren", "nb": "Melding fra innsenderen",
                                 "en": "Message from requester"},
    "action.status_viewed": {"sv": "Avsändaren tittade på status", "nb": "Innsenderen sjekket status",
                             "en": "Requester looked up the status"},
    "action.verification_code_issued": {"sv": "Verifieringskod skickades", "nb": "Bekreftelseskode sendt",
                                        "en": "Verification code sent"},
    "action.case_expired": {"sv": "Förföll utan bekräftelse", "nb": "Utløpt uten bekreftelse",
                            "en": "Expired unverified"},
    "action.case_anonymised": {"sv": "Anonymiserat (gallring)", "nb": "Anonymisert (sletting)",
                               "en": "Anonymised (retention)"},
    "timeline.reason_given": {"sv": " (med motivering)", "nb": " (med begrunnelse)", "en": " (reason given)"},
    "timeline.months.one": {"sv": "+{n} månad", "nb": "+{n} måned", "en": "+{n} month"},
    "timeline.months.other": {"sv": "+{n} månader", "nb": "+{n} måneder", "en": "+{n} months"},
    "timeline.anonymous": {"sv": "anonymt", "nb": "anonymt", "en": "anonymous"},
    "timeline.purpose.case": {"sv": "för att bekräfta ärendet", "nb": "for å bekrefte saken",
                              "en": "to confirm the case"},
    "timeline.purpose.status": {"sv": "för att se status", "nb": "for å se status",
                                "en": "for a status look-up"},
    "timeline.proof.email_code": {"sv": "med kod via e-post", "nb": "med kode på e-post",
                                  "en": "with an e-mail code"},
    "timeline.proof.receipt": {"sv": "med kvitto", "nb": "med kvittering", "en": "with the receipt"},
    "timeline.retention.one": {"sv": "efter {n} dag", "nb": "etter {n} dag", "en": "after {n} day"},
    "timeline.retention.other": {"sv": "efter {n} dagar", "nb": "etter {n} dager", "en": "after {n} days"},

    # --- forms and flash messages -----------------------------------------------------------------------
    "form.status.title": {"sv": "Ändra status", "nb": "Endre status", "en": "Change status"},
    "form.status.new": {"sv": "Ny status", "nb": "Ny status", "en": "New status"},
    "form.status.reason": {"sv": "Motivering (krävs vid avslag)", "nb": "Begrunnelse (påkrevd ved avslag)",
                           "en": "Reason (required when rejecting)"},
    "form.status.submit": {"sv": "Ändra status", "nb": "Endre status", "en": "Change status"},
    "form.extend.title": {"sv": "Förläng fristen (en gång)", "nb": "Forleng fristen (én gang)",
                          "en": "Extend the deadline (once)"},
    "form.extend.by": {"sv": "Med", "nb": "Med", "en": "By"},
    "form.extend.months.one": {"sv": "{n} månad", "nb": "{n} måned", "en": "{n} month"},
    "form.extend.months.other": {"sv": "{n} månader", "nb": "{n} måneder", "en": "{n} months"},
    "form.extend.reason": {"sv": "Skäl (skickas till avsändaren på hens språk)",
                           "nb": "Begrunnelse (sendes til innsenderen på vedkommendes språk)",
                           "en": "Reason (sent to the requester in their language)"},
    "form.extend.submit": {"sv": "Förläng", "nb": "Forleng", "en": "Extend"},
    "form.message.title": {"sv": "Meddelande till avsändaren", "nb": "Melding til innsenderen",
                           "en": "Message to the requester"},
    "form.message.body": {"sv": "Meddelande", "nb": "Melding", "en": "Message"},
    "form.message.submit": {"sv": "Skicka", "nb": "Send", "en": "Send"},
    "done.status": {"sv": "Statusen är ändrad.", "nb": "Statusen er endret.", "en": "Status changed."},
    "done.extension": {"sv": "Fristen är förlängd. Avsändaren får besked på sitt eget språk.",
                       "nb": "Fristen er forlenget. Innsenderen får beskjed på sitt eget språk.",
                       "en": "Deadline extended; the requester is being told in their language."},
    "done.message": {"sv": "Meddelandet är sparat. Avsändaren får besked om att ett meddelande väntar.",
                     "nb": "Meldingen er lagret. Innsenderen får beskjed om at en melding venter.",
                     "en": "Message saved; the requester is notified that a message is waiting."},
    "fail.invalid_transition": {"sv": "Den statusändringen går inte att göra från nuvarande status.",
                                "nb": "Den statusendringen er ikke mulig fra nåværende status.",
                                "en": "That status change is not possible from the current status."},
    "fail.reason_required": {"sv": "Du måste ange en motivering.", "nb": "Du må oppgi en begrunnelse.",
                             "en": "A reason is required."},
    "fail.invalid_status": {"sv": "Välj en status.", "nb": "Velg en status.", "en": "Choose a status."},
    "fail.already_extended": {"sv": "Ärendet har redan förlängts en gång.",
                              "nb": "Saken er allerede forlenget én gang.",
                              "en": "The case has already been extended once."},
    "fail.extension_too_late": {"sv": "Den ursprungliga fristen har passerat, så avsändaren kan inte längre "
                                      "få besked i tid.",
                                "nb": "Den opprinnelige fristen er passert, så innsenderen kan ikke lenger få "
                                      "beskjed i tide.",
                                "en": "The original deadline has passed, so the requester can no longer be "
                                      "told in time."},
    "fail.extension_not_allowed": {"sv": "Det här ärendet kan inte förlängas.",
                                   "nb": "Denne saken kan ikke forlenges.",
                                   "en": "This case cannot be extended."},
    "fail.case_closed": {"sv": "Ärendet är avslutat.", "nb": "Saken er avsluttet.", "en": "The case is closed."},
    "fail.invalid_field": {"sv": "Ett fält är ogiltigt (kontrollera längd och tecken).",
                           "nb": "Et felt er ugyldig (sjekk lengde og tegn).",
                           "en": "A field was not valid (check the length and characters)."},
    "fail.missing_field": {"sv": "Ett obligatoriskt fält saknas.", "nb": "Et obligatorisk felt mangler.",
                           "en": "A required field is missing."},
    "fail.generic": {"sv": "Ändringen sparades inte.", "nb": "Endringen ble ikke lagret.",
                   "en": "The change was not saved."},

    # --- dashboard ----------------------------------------------------------------------------------------
    "dash.title": {"sv": "Översikt", "nb": "Oversikt", "en": "Dashboard"},
    "dash.per_week": {"sv": "Ärenden per vecka och typ", "nb": "Saker per uke etter type",
                      "en": "Cases per week by type"},
    "dash.on_time": {"sv": "Besvarade i tid", "nb": "Besvart i tide", "en": "On-time rate"},
    "dash.open": {"sv": "Öppna ärenden", "nb": "Åpne saker", "en": "Open cases"},
    "dash.overdue.one": {"sv": "{n} försenat", "nb": "{n} forsinket", "en": "{n} overdue"},
    "dash.overdue.other": {"sv": "{n} försenade", "nb": "{n} forsinket", "en": "{n} overdue"},
    "dash.breaches": {"sv": "Öppna personuppgiftsincidenter", "nb": "Åpne avvik", "en": "Open breaches"},
    "dash.col.aware": {"sv": "Känd sedan", "nb": "Kjent siden", "en": "Aware since"},
    "dash.col.clock": {"sv": "72-timmarsfristen", "nb": "72-timersfristen", "en": "72 h clock"},
    "dash.hours_left.one": {"sv": "{h} timme kvar", "nb": "{h} time igjen", "en": "{h} h left"},
    "dash.hours_left.other": {"sv": "{h} timmar kvar", "nb": "{h} timer igjen", "en": "{h} h left"},
    "dash.hours_over.one": {"sv": "överskriden med {h} timme", "nb": "overskredet med {h} time",
                            "en": "overdue by {h} h"},
    "dash.hours_over.other": {"sv": "överskriden med {h} timmar", "nb": "overskredet med {h} timer",
                              "en": "overdue by {h} h"},
    "dash.breaches_not_in_role": {"sv": "Personuppgiftsincidenter ingår inte i din roll.",
                                  "nb": "Avvik er ikke en del av rollen din.",
                                  "en": "Breaches are not in your role."},
    "dash.no_breaches": {"sv": "Inga öppna personuppgiftsincidenter.", "nb": "Ingen åpne avvik.",
                         "en": "No open breaches."},
    "chart.bar_title": {"sv": "{label}: {n} (veckan från {week})", "nb": "{label}: {n} (uken fra {week})",
                        "en": "{label}: {n} (week of {week})"},
    "chart.no_answers": {"sv": "Inga besvarade ärenden med frist ännu.", "nb": "Ingen besvarte saker med frist ennå.",
                         "en": "No answered cases with a deadline yet."},
    "chart.rate_label": {"sv": "Andel besvarade i tid: {rate} procent", "nb": "Andel besvart i tide: {rate} prosent",
                         "en": "On-time rate {rate} percent"},
    "chart.rate_text": {"sv": "{on} i tid, {late} för sent ({rate} %)", "nb": "{on} i tide, {late} for sent ({rate} %)",
                        "en": "{on} on time, {late} late ({rate} %)"},
    "chart.clock_label": {"sv": "{used} av {total} timmar har gått", "nb": "{used} av {total} timer er brukt",
                          "en": "{used} of {total} hours used"},

    # --- value labels -------------------------------------------------------------------------------------
    "type.access": {"sv": "Registerutdrag", "nb": "Innsyn", "en": "Access"},
    "type.rectification": {"sv": "Rättelse", "nb": "Retting", "en": "Rectification"},
    "type.erasure": {"sv": "Radering", "nb": "Sletting", "en": "Erasure"},
    "type.restriction": {"sv": "Begränsning av behandling", "nb": "Begrenset behandling", "en": "Restriction"},
    "type.objection": {"sv": "Invändning", "nb": "Protest", "en": "Objection"},
    "type.portability": {"sv": "Dataportabilitet", "nb": "Dataportabilitet", "en": "Portability"},
    "type.consent_withdrawal": {"sv": "Återkallat samtycke", "nb": "Tilbaketrukket samtykke",
                                "en": "Consent withdrawal"},
    "type.application_withdrawal": {"sv": "Återkallad jobbansökan", "nb": "Tilbaketrukket jobbsøknad",
                                    "en": "Application withdrawal"},
    "type.recruitment_consent_withdrawal": {"sv": "Återkallat samtycke (rekryteringsdatabasen)",
                                            "nb": "Tilbaketrukket samtykke (rekrutteringsdatabasen)",
                                            "en": "Recruitment consent withdrawal"},
    "type.incident": {"sv": "Personuppgiftsincident", "nb": "Avvik (brudd på personopplysningssikkerheten)",
                      "en": "Incident (breach)"},
    "type.misconduct": {"sv": "Anmälan om missförhållanden", "nb": "Varsel om kritikkverdige forhold",
                        "en": "Misconduct report"},
    "type.complaint": {"sv": "Klagomål", "nb": "Klage", "en": "Complaint"},
    "status.awaiting_verification": {"sv": "Väntar på bekräftelse", "nb": "Venter på bekreftelse",
                                     "en": "Awaiting verification"},
    "status.open": {"sv": "Öppet", "nb": "Åpen", "en": "Open"},
    "status.in_progress": {"sv": "Pågår", "nb": "Under behandling", "en": "In progress"},
    "status.waiting_for_requester": {"sv": "Väntar på avsändaren", "nb": "Venter på innsenderen",
                                     "en": "Waiting for requester"},
    "status.completed": {"sv": "Slutfört", "nb": "Fullført", "en": "Completed"},
    "status.rejected": {"sv": "Avslaget", "nb": "Avslått", "en": "Rejected"},
    "status.withdrawn": {"sv": "Återkallat", "nb": "Trukket tilbake", "en": "Withdrawn"},
    "status.expired": {"sv": "Förfallet", "nb": "Utløpt", "en": "Expired"},
    "case_language.sv": {"sv": "Svenska", "nb": "Svensk", "en": "Swedish"},
    "case_language.nb": {"sv": "Norska", "nb": "Norsk", "en": "Norwegian"},
    "case_language.en": {"sv": "Engelska", "nb": "Engelsk", "en": "English"},
    "role.privacy_officer": {"sv": "Dataskyddsansvarig", "nb": "Personvernansvarlig", "en": "Privacy officer"},
    "role.recruiter": {"sv": "Rekryterare", "nb": "Rekrutterer", "en": "Recruiter"},
    "role.security": {"sv": "Säkerhet", "nb": "Sikkerhet", "en": "Security"},
    "country.NO": {"sv": "Norge", "nb": "Norge", "en": "Norway"},
    "country.SE": {"sv": "Sverige", "nb": "Sverige", "en": "Sweden"},
    "country.DK": {"sv": "Danmark", "nb": "Danmark", "en": "Denmark"},
    "channel.web": {"sv": "Webbplatsen", "nb": "Nettsiden", "en": "Website"},
    "channel.teams": {"sv": "Teams", "nb": "Teams", "en": "Teams"},
    "channel.api": {"sv": "API", "nb": "API", "en": "API"},
}


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
    """The texts of one language. `tr("key", name=value)`; `tr.n("key", count)` picks `.one` / `.other`."""

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
        return f"{value.day}. {month}" if self.lang == "nb" else f"{value.day} {month}"


def _parse(value: Optional[str | datetime | date]) -> Optional[datetime | date]:
    if not value:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def translator(lang: Optional[str]) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]

