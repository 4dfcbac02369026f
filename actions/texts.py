"""Every text the flow actions send, in Swedish (sv), Norwegian Bokmål (nb) and English (en).

Why a table in Python and not domain responses: the form questions and confirmations depend on the
flow, the chosen right and values the user gave (summary, reference, dates), and the same key is used
from several actions. Simple replies that rules send (greet, hand-off, fallback) stay in domain.yml as
conditional response variations.

`t(key, lang, **values)` formats a text; `tests/actions/test_flows_helpers.py` checks that every key exists in all
three languages with the same placeholders.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from basics.dates import COUNTRY_TIMEZONES, format_day
from basics.languages import normalise_language

# Where the privacy team sits for a case handled in this language: used for the case country (the
# backend's calendar arithmetic) and the time zone dates are shown in. English speakers go to the head
# office in Oslo.
COUNTRY_FOR_LANGUAGE = {"sv": "SE", "nb": "NO", "en": "NO"}


def parse_iso(value: str) -> Optional[datetime]:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def zone_for_country(country: str) -> ZoneInfo:
    """The case country's zone; the head office's (Oslo) for anything unknown, so a chat line never fails."""
    return ZoneInfo(COUNTRY_TIMEZONES.get(country, COUNTRY_TIMEZONES["NO"]))


def format_date(value: Any, lang: str, country: str = "NO") -> str:
    """'24 november 2026' (sv), '24. november 2026' (nb), '24 November 2026' (en), in the case's time zone."""
    moment = value if isinstance(value, datetime) else parse_iso(str(value or ""))
    if moment is None:
        return ""
    return format_day(moment.astimezone(zone_for_country(country)), lang)


def format_datetime(value: Any, lang: str, country: str = "NO") -> str:
    """The date as above plus the local time ('24 november 2026 kl. 09:30' / 'at 09:30')."""
    moment = value if isinstance(value, datetime) else parse_iso(str(value or ""))
    if moment is None:
        return ""
    local = moment.astimezone(zone_for_country(country))
    day = format_day(local, lang)
    clock = local.strftime("%H:%M")
    return {"sv": f"{day} kl. {clock}", "nb": f"{day} kl. {clock}", "en": f"{day} at {clock}"}[
        normalise_language(lang)
    ]


RIGHT_NAMES = {
    "access": {"sv": "tillgång till dina personuppgifter (registerutdrag)",
               "nb": "innsyn i personopplysningene dine",
               "en": "access to your personal data"},
    "rectification": {"sv": "rättelse av felaktiga uppgifter", "nb": "retting av uriktige opplysninger",
                      "en": "rectification of inaccurate data"},
    "erasure": {"sv": "radering av dina personuppgifter", "nb": "sletting av personopplysningene dine",
                "en": "erasure of your personal data"},
    "restriction": {"sv": "begränsning av behandlingen", "nb": "begrensning av behandlingen",
                    "en": "restriction of processing"},
    "objection": {"sv": "invändning mot behandlingen", "nb": "protest mot behandlingen",
                  "en": "objection to processing"},
    "portability": {"sv": "dataportabilitet (dina uppgifter i maskinläsbart format)",
                    "nb": "dataportabilitet (opplysningene dine i maskinlesbart format)",
                    "en": "data portability (your data in a machine-readable format)"},
    "consent_withdrawal": {"sv": "återkallelse av samtycke", "nb": "tilbaketrekking av samtykke",
                           "en": "withdrawal of consent"},
}

# Short names of what a user can ask for, used when the bot juggles two requests ("your erasure request").
GOAL_NAMES = {
    "rights:access": {"sv": "begäran om registerutdrag", "nb": "innsynsbegjæring", "en": "access request"},
    "rights:rectification": {"sv": "begäran om rättelse", "nb": "krav om retting", "en": "rectification request"},
    "rights:erasure": {"sv": "begäran om radering", "nb": "krav om sletting", "en": "erasure request"},
    "rights:restriction": {"sv": "begäran om begränsning", "nb": "krav om begrensning",
                           "en": "restriction request"},
    "rights:objection": {"sv": "invändning mot behandlingen", "nb": "protest mot behandlingen",
                         "en": "objection to processing"},
    "rights:portability": {"sv": "begäran om dataportabilitet", "nb": "krav om dataportabilitet",
                           "en": "data portability request"},
    "rights:consent_withdrawal": {"sv": "återkallelse av samtycke", "nb": "tilbaketrekking av samtykke",
                                  "en": "consent withdrawal"},
    "rights:": {"sv": "begäran om dina rättigheter", "nb": "forespørsel om rettighetene dine",
                "en": "rights request"},
    "application_withdrawal:": {"sv": "återkallelse av ansökan", "nb": "tilbaketrekking av søknad",
                                "en": "application withdrawal"},
    "incident:": {"sv": "incidentrapport", "nb": "avviksmelding", "en": "incident report"},
    "misconduct:": {"sv": "rapport om missförhållanden", "nb": "varsling om kritikkverdige forhold",
                    "en": "misconduct report"},
    "complaint:": {"sv": "klagomål", "nb": "klage", "en": "complaint"},
    "case_status:": {"sv": "kontroll av ett ärendes status", "nb": "sjekk av status i en sak",
                     "en": "case status check"},
}


def goal_name(flow: Optional[str], right: Optional[str], lang: str) -> str:
    """"erasure request" / "begäran om radering" for the goal (flow, right)."""
    key = f"{flow}:{right or ''}" if flow == "rights" else f"{flow}:"
    names = GOAL_NAMES.get(key) or GOAL_NAMES.get(f"{flow}:") or GOAL_NAMES["rights:"]
    return names[normalise_language(lang)]


CASE_TYPE_NAMES = {
    **RIGHT_NAMES,
    "application_withdrawal": {"sv": "återkallelse av ansökan", "nb": "tilbaketrekking av søknad",
                               "en": "withdrawal of an application"},
    "recruitment_consent_withdrawal": {"sv": "återkallelse av samtycke till rekryteringsdatabasen",
                                       "nb": "tilbaketrekking av samtykke til rekrutteringsdatabasen",
                                       "en": "withdrawal of consent to the recruitment database"},
    "incident": {"sv": "incidentrapport", "nb": "avviksmelding", "en": "incident report"},
    "misconduct": {"sv": "rapport om missförhållanden", "nb": "varsling om kritikkverdige forhold",
                   "en": "misconduct report"},
    "complaint": {"sv": "klagomål", "nb": "klage", "en": "complaint"},
}

STATUS_NAMES = {
    "awaiting_verification": {"sv": "väntar på bekräftelse av e-postkod", "nb": "venter på bekreftelse med e-postkode",
                              "en": "waiting for the e-mail code"},
    "open": {"sv": "mottaget, inte påbörjat ännu", "nb": "mottatt, ikke påbegynt ennå", "en": "received, not started yet"},
    "in_progress": {"sv": "under handläggning", "nb": "under behandling", "en": "being worked on"},
    "waiting_for_requester": {"sv": "väntar på svar från dig", "nb": "venter på svar fra deg",
                              "en": "waiting for an answer from you"},
    "completed": {"sv": "avslutat", "nb": "avsluttet", "en": "completed"},
    "rejected": {"sv": "avslaget", "nb": "avslått", "en": "rejected"},
    "withdrawn": {"sv": "återkallat", "nb": "trukket tilbake", "en": "withdrawn"},
    "expired": {"sv": "utgånget (koden bekräftades aldrig)", "nb": "utløpt (koden ble aldri bekreftet)",
                "en": "expired (the code was never confirmed)"},
}

# Labels for fields in summaries and in "which field do you want to change?".
FIELD_LABELS = {
    "right": {"sv": "Typ av begäran", "nb": "Type forespørsel", "en": "Type of request"},
    "case_description": {"sv": "Beskrivning", "nb": "Beskrivelse", "en": "Description"},
    "withdrawal_target": {"sv": "Vad som återkallas", "nb": "Hva som trekkes tilbake", "en": "What is withdrawn"},
    "application_position": {"sv": "Tjänst och företag", "nb": "Stilling og selskap", "en": "Position and company"},
    "requester_name": {"sv": "Namn", "nb": "Navn", "en": "Name"},
    "requester_email": {"sv": "E-post", "nb": "E-post", "en": "E-mail"},
    "incident_aware_at": {"sv": "Upptäcktes", "nb": "Oppdaget", "en": "Discovered"},
    "incident_data_types": {"sv": "Typer av personuppgifter", "nb": "Typer personopplysninger",
                            "en": "Kinds of personal data"},
    "incident_people_count": {"sv": "Ungefärligt antal personer", "nb": "Omtrentlig antall personer",
                              "en": "Roughly how many people"},
    "incident_encrypted": {"sv": "Krypterat", "nb": "Kryptert", "en": "Encrypted"},
    "incident_contained": {"sv": "Stoppat/under kontroll", "nb": "Stanset/under kontroll", "en": "Contained"},
    "reporter_anonymous": {"sv": "Anonym rapport", "nb": "Anonym melding", "en": "Anonymous report"},
}


YES_NO_UNKNOWN = {
    "yes": {"sv": "Ja", "nb": "Ja", "en": "Yes"},
    "no": {"sv": "Nej", "nb": "Nei", "en": "No"},
    "unknown": {"sv": "Vet inte", "nb": "Vet ikke", "en": "Don't know"},
}

WITHDRAWAL_TARGET_NAMES = {
    "application": {"sv": "ansökan till en tjänst", "nb": "søknad på en stilling", "en": "an application for a position"},
    "database": {"sv": "samtycke till rekryteringsdatabasen", "nb": "samtykke til rekrutteringsdatabasen",
                 "en": "consent to the recruitment database"},
}

CONTACT = {
    "sv": ("Amesto Group att. chief privacy officer, Postboks 6395, 0604 Etterstad, Norge. "
           "Telefon +47 922 03 214. E-post amestotrust@amesto.no – skicka inga personuppgifter i vanlig, "
           "okrypterad e-post."),
    "nb": ("Amesto Group att. chief privacy officer, Postboks 6395, 0604 Etterstad. "
           "Telefon +47 922 03 214. E-post amestotrust@amesto.no – ikke send personopplysninger i vanlig, "
           "ukryptert e-post."),
    "en": ("Amesto Group att. chief privacy officer, Postboks 6395, 0604 Etterstad, Norway. "
           "Phone +47 922 03 214. E-mail amestotrust@amesto.no – please do not send personal data by ordinary, "
           "unencrypted e-mail."),
}

T: Dict[str, Dict[str, str]] = {
    # ---------------------------------------------------------------- flow introductions
    "intro_rights": {
        "sv": ("Jag hjälper dig med en begäran om {right_name}. Jag behöver bara ditt namn och din e-postadress "
               "(inget personnummer). Vi skickar en engångskod till e-posten för att bekräfta att det är du, "
               "och sedan får du ett ärendenummer och datumet då du senast får svar (högst 30 dagar). "
               "Du kan skriva ”avbryt” när som helst."),
        "nb": ("Jeg hjelper deg med en forespørsel om {right_name}. Jeg trenger bare navnet ditt og e-postadressen din "
               "(ikke fødselsnummer). Vi sender en engangskode til e-posten for å bekrefte at det er deg, "
               "og så får du et saksnummer og datoen du senest får svar (maks 30 dager). "
               "Du kan skrive «avbryt» når som helst."),
        "en": ("I'll help you with a request for {right_name}. I only need your name and e-mail address "
               "(no national ID number). We send a one-time code to that e-mail to confirm it is you; then you get "
               "a case reference and the date by which you will hear from us (at most 30 days). "
               "You can type \"stop\" at any time."),
    },
    "intro_rights_erasure_extra": {
        "sv": "Obs: för radering kan integritetsteamet behöva bekräfta din identitet i ett extra steg innan något raderas.",
        "nb": "Merk: ved sletting kan personvernteamet trenge å bekrefte identiteten din i et ekstra steg før noe slettes.",
        "en": "Note: for erasure the privacy team may need to confirm your identity in one more step before anything is deleted.",
    },
    "intro_withdrawal": {
        "sv": ("Jag hjälper dig att återkalla en ansökan eller ditt samtycke till vår rekryteringsdatabas. "
               "Jag behöver ditt namn och din e-postadress, och vi bekräftar med en kod via e-post."),
        "nb": ("Jeg hjelper deg å trekke tilbake en søknad eller samtykket ditt til rekrutteringsdatabasen vår. "
               "Jeg trenger navnet ditt og e-postadressen din, og vi bekrefter med en kode på e-post."),
        "en": ("I'll help you withdraw an application or your consent to our recruitment database. "
               "I need your name and e-mail address, and we confirm it with a code sent by e-mail."),
    },
    "intro_incident": {
        "sv": ("Tack för att du rapporterar. Jag ställer några korta frågor: vad som hänt, när det upptäcktes, "
               "vilka uppgifter och ungefär hur många personer det gäller, om uppgifterna var krypterade och om "
               "det är stoppat. Du kan rapportera anonymt. Integritetsteamet bedömer inom 72 timmar om "
               "tillsynsmyndigheten ska underrättas. Är det akut, ring också din chef eller IT-support nu."),
        "nb": ("Takk for at du melder fra. Jeg stiller noen korte spørsmål: hva som skjedde, når det ble oppdaget, "
               "hvilke opplysninger og omtrent hvor mange personer det gjelder, om opplysningene var kryptert og om "
               "det er stanset. Du kan melde anonymt. Personvernteamet vurderer innen 72 timer om Datatilsynet "
               "skal varsles. Haster det, ring også lederen din eller IT-support nå."),
        "en": ("Thank you for reporting this. I'll ask a few short questions: what happened, when it was discovered, "
               "which data and roughly how many people are affected, whether the data was encrypted and whether it "
               "is contained. You can report anonymously. The privacy team assesses within 72 hours whether the "
               "supervisory authority must be notified. If it is urgent, also call your manager or IT support now."),
    },
    "intro_misconduct": {
        "sv": ("Du kan rapportera missförhållanden här, med namn eller anonymt. Vi bekräftar mottagandet inom "
               "7 dagar och ger återkoppling inom 3 månader."),
        "nb": ("Du kan varsle om kritikkverdige forhold her, med navn eller anonymt. Vi bekrefter mottak innen "
               "7 dager og gir tilbakemelding innen 3 måneder."),
        "en": ("You can report misconduct here, with your name or anonymously. We acknowledge receipt within "
               "7 days and give feedback within 3 months."),
    },
    # The second line names the supervisory authorities (policy section 5, GDPR Art. 77; names from the product
    # brief, see knowledge/README.md): complaining to us first never replaces that route.
    "intro_complaint": {
        "sv": ("Tråkigt att du inte är nöjd. Beskriv ditt klagomål, så registrerar jag det till integritetsteamet. "
               "Jag behöver ditt namn och din e-postadress för att kunna svara dig.\n"
               "Du kan också alltid klaga direkt hos en tillsynsmyndighet: IMY (Sverige), Datatilsynet (Norge) eller "
               "Datatilsynet (Danmark)."),
        "nb": ("Leit at du ikke er fornøyd. Beskriv klagen din, så registrerer jeg den hos personvernteamet. "
               "Jeg trenger navnet ditt og e-postadressen din for å kunne svare deg.\n"
               "Du kan også alltid klage direkte til en tilsynsmyndighet: Datatilsynet (Norge), IMY (Sverige) eller "
               "Datatilsynet (Danmark)."),
        "en": ("I'm sorry you are not satisfied. Describe your complaint and I will register it with the privacy "
               "team. I need your name and e-mail address so we can answer you.\n"
               "You can also always complain directly to a supervisory authority: IMY (Sweden), Datatilsynet (Norway) "
               "or Datatilsynet (Denmark)."),
    },
    "intro_status": {
        "sv": "Jag kan visa hur ditt ärende ligger till. Först behöver jag ärendenumret och ett bevis på att ärendet är ditt.",
        "nb": "Jeg kan vise hvordan saken din står. Først trenger jeg saksnummeret og et bevis på at saken er din.",
        "en": "I can show where your case stands. First I need the case reference and proof that the case is yours.",
    },
    "choose_delete": {
        "sv": "Vill du återkalla en ansökan, återkalla ditt samtycke till rekryteringsdatabasen eller radera allt vi har om dig?",
        "nb": "Vil du trekke tilbake en søknad, trekke tilbake samtykket til rekrutteringsdatabasen eller slette alt vi har om deg?",
        "en": "Do you want to withdraw an application, withdraw your consent to the recruitment database, or erase everything we hold about you?",
    },
    "btn_delete_application": {"sv": "Återkalla en ansökan", "nb": "Trekk tilbake en søknad", "en": "Withdraw an application"},
    "btn_delete_database": {"sv": "Lämna rekryteringsdatabasen", "nb": "Gå ut av rekrutteringsdatabasen",
                            "en": "Leave the recruitment database"},
    "btn_delete_everything": {"sv": "Radera allt om mig", "nb": "Slett alt om meg", "en": "Erase everything about me"},

    # ---------------------------------------------------------------- questions
    "ask_right": {
        "sv": "Vilken rättighet vill du använda?",
        "nb": "Hvilken rettighet vil du bruke?",
        "en": "Which right do you want to use?",
    },
    "ask_description_rectification": {
        "sv": "Vilka uppgifter är fel, och vad ska det stå i stället?",
        "nb": "Hvilke opplysninger er feil, og hva skal det stå i stedet?",
        "en": "Which data is wrong, and what should it say instead?",
    },
    "ask_description_objection": {
        "sv": "Vilken behandling invänder du mot (till exempel direktmarknadsföring)? Berätta gärna kort varför.",
        "nb": "Hvilken behandling protesterer du mot (for eksempel direkte markedsføring)? Fortell gjerne kort hvorfor.",
        "en": "Which processing do you object to (for example direct marketing)? Briefly say why, if you like.",
    },
    "ask_description_consent_withdrawal": {
        "sv": "Vilket samtycke vill du återkalla (till exempel nyhetsbrev, marknadsföring via e-post, kursinbjudningar)?",
        "nb": "Hvilket samtykke vil du trekke tilbake (for eksempel nyhetsbrev, markedsføring på e-post, kursinvitasjoner)?",
        "en": "Which consent do you want to withdraw (for example newsletter, marketing e-mails, course invitations)?",
    },
    "ask_description_restriction": {
        "sv": "Vilka uppgifter eller vilken behandling ska begränsas, och varför (till exempel medan riktigheten kontrolleras)?",
        "nb": "Hvilke opplysninger eller hvilken behandling skal begrenses, og hvorfor (for eksempel mens riktigheten kontrolleres)?",
        "en": "Which data or processing should be restricted, and why (for example while its accuracy is checked)?",
    },
    "ask_description_erasure": {
        "sv": "Ska vi radera allt vi har om dig, eller något särskilt? Skriv ”allt” eller beskriv vad.",
        "nb": "Skal vi slette alt vi har om deg, eller noe bestemt? Skriv «alt» eller beskriv hva.",
        "en": "Should we erase everything we hold about you, or something specific? Type \"everything\" or describe it.",
    },
    "ask_description_incident": {
        "sv": "Vad har hänt? Beskriv kort – ta inte med fler personuppgifter än nödvändigt.",
        "nb": "Hva har skjedd? Beskriv kort – ikke ta med flere personopplysninger enn nødvendig.",
        "en": "What happened? Describe it briefly – please include no more personal data than needed.",
    },
    "ask_description_misconduct": {
        "sv": "Vad vill du rapportera? Beskriv vad som hänt, när och var, så långt du vet.",
        "nb": "Hva vil du varsle om? Beskriv hva som har skjedd, når og hvor, så langt du vet.",
        "en": "What do you want to report? Describe what happened, when and where, as far as you know.",
    },
    "ask_description_complaint": {
        "sv": "Vad gäller ditt klagomål på hur vi behandlar personuppgifter?",
        "nb": "Hva gjelder klagen din på hvordan vi behandler personopplysninger?",
        "en": "What is your complaint about how we process personal data?",
    },
    "ask_withdrawal_target": {
        "sv": "Gäller det en ansökan till en viss tjänst, eller ditt samtycke till rekryteringsdatabasen?",
        "nb": "Gjelder det en søknad på en bestemt stilling, eller samtykket ditt til rekrutteringsdatabasen?",
        "en": "Is it an application for a specific position, or your consent to the recruitment database?",
    },
    "btn_target_application": {"sv": "En ansökan", "nb": "En søknad", "en": "An application"},
    "btn_target_database": {"sv": "Rekryteringsdatabasen", "nb": "Rekrutteringsdatabasen", "en": "The recruitment database"},
    "ask_application_position": {
        "sv": "Vilken tjänst och vilket företag sökte du (till exempel ”Konsult, Amesto Solutions AB”)?",
        "nb": "Hvilken stilling og hvilket selskap søkte du på (for eksempel «Konsulent, Amesto Solutions AS»)?",
        "en": "Which position and company did you apply to (for example \"Consultant, Amesto Solutions AS\")?",
    },
    "ask_requester_name": {
        "sv": "Vad heter du (för- och efternamn)?",
        "nb": "Hva heter du (fornavn og etternavn)?",
        "en": "What is your name (first and last name)?",
    },
    "ask_requester_email": {
        "sv": "Vilken e-postadress ska vi använda? Vi skickar en bekräftelsekod dit.",
        "nb": "Hvilken e-postadresse skal vi bruke? Vi sender en bekreftelseskode dit.",
        "en": "Which e-mail address should we use? We will send a confirmation code there.",
    },
    "ask_incident_aware_at": {
        "sv": "När upptäckte du det? Till exempel ”i morse”, ”i går kl. 14” eller ”för 2 timmar sedan”.",
        "nb": "Når oppdaget du det? For eksempel «i morges», «i går kl. 14» eller «for 2 timer siden».",
        "en": "When did you discover it? For example \"this morning\", \"yesterday at 2 pm\" or \"2 hours ago\".",
    },
    "ask_incident_data_types": {
        "sv": "Vilka typer av personuppgifter gäller det (till exempel namn, e-post, löneuppgifter, hälsouppgifter)?",
        "nb": "Hvilke typer personopplysninger gjelder det (for eksempel navn, e-post, lønnsopplysninger, helseopplysninger)?",
        "en": "Which kinds of personal data are involved (for example names, e-mail addresses, salary data, health data)?",
    },
    "ask_incident_people_count": {
        "sv": "Ungefär hur många personer berörs? En uppskattning eller ”vet inte” räcker.",
        "nb": "Omtrent hvor mange personer er berørt? Et anslag eller «vet ikke» holder.",
        "en": "Roughly how many people are affected? An estimate or \"don't know\" is fine.",
    },
    "ask_incident_encrypted": {
        "sv": "Var uppgifterna krypterade?",
        "nb": "Var opplysningene kryptert?",
        "en": "Was the data encrypted?",
    },
    "ask_incident_contained": {
        "sv": "Är det stoppat nu, så att inga fler uppgifter kan komma ut?",
        "nb": "Er det stanset nå, slik at ikke flere opplysninger kan komme ut?",
        "en": "Is it contained now, so that no more data can get out?",
    },
    "ask_reporter_anonymous": {
        "sv": "Vill du vara anonym? Då får du en kvittokod som du använder för att följa ärendet.",
        "nb": "Vil du være anonym? Da får du en kvitteringskode som du bruker for å følge saken.",
        "en": "Do you want to stay anonymous? Then you get a receipt code to follow the case with.",
    },
    "ask_reporter_anonymous_staff": {
        "sv": "Du är inloggad som {name}. Vill du rapportera anonymt i stället för med ditt namn?",
        "nb": "Du er logget inn som {name}. Vil du melde anonymt i stedet for med navnet ditt?",
        "en": "You are signed in as {name}. Do you want to report anonymously instead of with your name?",
    },
    "btn_anonymous": {"sv": "Anonymt", "nb": "Anonymt", "en": "Anonymously"},
    "btn_named": {"sv": "Med mitt namn", "nb": "Med navnet mitt", "en": "With my name"},
    "summary_header": {
        "sv": "Stämmer det här?",
        "nb": "Stemmer dette?",
        "en": "Is this correct?",
    },
    "summary_footer_verify": {
        "sv": "Om det stämmer skickar jag in det och du får en kod via e-post.",
        "nb": "Hvis det stemmer, sender jeg det inn og du får en kode på e-post.",
        "en": "If it is, I'll file it and you will get a code by e-mail.",
    },
    "summary_footer_open": {
        "sv": "Om det stämmer skickar jag in det.",
        "nb": "Hvis det stemmer, sender jeg det inn.",
        "en": "If it is, I'll file it.",
    },
    "btn_yes_send": {"sv": "Ja, skicka", "nb": "Ja, send", "en": "Yes, file it"},
    "btn_change": {"sv": "Ändra något", "nb": "Endre noe", "en": "Change something"},
    "btn_cancel": {"sv": "Avbryt", "nb": "Avbryt", "en": "Cancel"},
    "btn_retry": {"sv": "Försök igen", "nb": "Prøv igjen", "en": "Try again"},
    "btn_handoff": {"sv": "Kontakta en människa", "nb": "Kontakt et menneske", "en": "Talk to a person"},
    "ask_field_to_correct": {
        "sv": "Vad vill du ändra?",
        "nb": "Hva vil du endre?",
        "en": "What do you want to change?",
    },
    "ask_verification_code": {
        "sv": "Skriv den 6-siffriga koden som vi skickade till {email}. Skriv ”skicka ny kod” om den inte kommit.",
        "nb": "Skriv den 6-sifrede koden vi sendte til {email}. Skriv «send ny kode» hvis den ikke har kommet.",
        "en": "Enter the 6-digit code we sent to {email}. Type \"send a new code\" if it has not arrived.",
    },
    "ask_status_reference": {
        "sv": "Vilket ärendenummer gäller det (till exempel PRV-2026-7K3Q-9CX9)?",
        "nb": "Hvilket saksnummer gjelder det (for eksempel PRV-2026-7K3Q-9CX9)?",
        "en": "What is the case reference (for example PRV-2026-7K3Q-9CX9)?",
    },
    "ask_status_method": {
        "sv": "Hur vill du visa att ärendet är ditt: med en kod till din e-post, eller med kvittokoden från en anonym rapport?",
        "nb": "Hvordan vil du vise at saken er din: med en kode til e-posten din, eller med kvitteringskoden fra en anonym melding?",
        "en": "How do you want to prove the case is yours: with a code sent to your e-mail, or with the receipt code of an anonymous report?",
    },
    "btn_status_email": {"sv": "Kod via e-post", "nb": "Kode på e-post", "en": "Code by e-mail"},
    "btn_status_receipt": {"sv": "Kvittokod", "nb": "Kvitteringskode", "en": "Receipt code"},
    "ask_status_email": {
        "sv": "Vilken e-postadress angav du när ärendet skapades?",
        "nb": "Hvilken e-postadresse oppga du da saken ble opprettet?",
        "en": "Which e-mail address did you give when the case was filed?",
    },
    "ask_status_code": {
        "sv": "Om ärendenumret och e-postadressen hör ihop har vi skickat en 6-siffrig kod. Skriv koden här.",
        "nb": "Hvis saksnummeret og e-postadressen hører sammen, har vi sendt en 6-sifret kode. Skriv koden her.",
        "en": "If the reference and the e-mail address belong together, we have sent a 6-digit code. Enter it here.",
    },
    "ask_status_receipt": {
        "sv": "Skriv kvittokoden (16 siffror) som du fick när du rapporterade.",
        "nb": "Skriv kvitteringskoden (16 sifre) du fikk da du meldte fra.",
        "en": "Enter the receipt code (16 digits) you were given when you reported.",
    },

    # ---------------------------------------------------------------- validation
    "invalid_right": {
        "sv": "Jag förstod inte vilken rättighet du menar. Välj en av knapparna.",
        "nb": "Jeg forsto ikke hvilken rettighet du mener. Velg en av knappene.",
        "en": "I did not understand which right you mean. Please choose one of the buttons.",
    },
    "invalid_choice": {
        "sv": "Jag förstod inte svaret. Välj en av knapparna.",
        "nb": "Jeg forsto ikke svaret. Velg en av knappene.",
        "en": "I did not understand the answer. Please choose one of the buttons.",
    },
    "invalid_name": {
        "sv": "Det ser inte ut som ett namn. Skriv ditt för- och efternamn, till exempel ”Anna Svensson”.",
        "nb": "Det ser ikke ut som et navn. Skriv fornavn og etternavn, for eksempel «Kari Nordmann».",
        "en": "That does not look like a name. Please type your first and last name, for example \"Jane Smith\".",
    },
    "invalid_email": {
        "sv": "Det ser inte ut som en giltig e-postadress. Skriv den som namn@exempel.se.",
        "nb": "Det ser ikke ut som en gyldig e-postadresse. Skriv den som navn@eksempel.no.",
        "en": "That does not look like a valid e-mail address. Please type it like name@example.com.",
    },
    "identity_reused": {
        "sv": "Jag använder namnet och e-postadressen från din förra begäran: {name}, {email}. Du kan ändra dem i sammanfattningen.",
        "nb": "Jeg bruker navnet og e-postadressen fra den forrige forespørselen din: {name}, {email}. Du kan endre dem i sammendraget.",
        "en": "I'll use the name and e-mail address from your earlier request: {name}, {email}. You can change them in the summary.",
    },
    "confirm_stop": {
        "sv": "Vill du avbryta? Då tar jag bort svaren du har gett hittills. Tryck på Avbryt – eller svara på frågan, så fortsätter vi.",
        "nb": "Vil du avbryte? Da sletter jeg svarene du har gitt så langt. Trykk på Avbryt – eller svar på spørsmålet, så fortsetter vi.",
        "en": "Do you want to stop? Then I'll delete the answers you have given so far. Tap Cancel – or answer the question and we'll carry on.",
    },
    "wrong_field_email": {
        "sv": "Det där ser ut som en e-postadress, men jag frågade efter: {field}.",
        "nb": "Det ser ut som en e-postadresse, men jeg spurte om: {field}.",
        "en": "That looks like an e-mail address, but I asked for: {field}.",
    },
    "same_as_before_unknown": {
        "sv": "Jag har inga uppgifter från tidigare i det här samtalet, så skriv dem gärna igen.",
        "nb": "Jeg har ikke noe fra tidligere i denne samtalen, så skriv det gjerne igjen.",
        "en": "I don't have that from earlier in this conversation, so please type it again.",
    },
    "email_kept_for_later": {
        "sv": "Tack, jag har noterat e-postadressen. Nu behöver jag: {field}.",
        "nb": "Takk, jeg har notert e-postadressen. Nå trenger jeg: {field}.",
        "en": "Thanks, I have noted the e-mail address. Now I need: {field}.",
    },
    "name_email_kept_for_later": {
        "sv": "Tack, jag har noterat ditt namn och din e-postadress. Nu behöver jag: {field}.",
        "nb": "Takk, jeg har notert navnet og e-postadressen din. Nå trenger jeg: {field}.",
        "en": "Thanks, I have noted your name and e-mail address. Now I need: {field}.",
    },
    "invalid_email_suggest": {
        "sv": "Något ser fel ut i adressen. Menade du {suggestion}? Tryck på knappen, eller skriv adressen igen.",
        "nb": "Noe ser feil ut i adressen. Mente du {suggestion}? Trykk på knappen, eller skriv adressen på nytt.",
        "en": "Something looks wrong in the address. Did you mean {suggestion}? Tap the button, or type the address again.",
    },
    "invalid_email_no_at": {
        "sv": "En e-postadress behöver ett @, till exempel namn@exempel.se. Skriv den gärna igen.",
        "nb": "En e-postadresse trenger en @, for eksempel navn@eksempel.no. Skriv den gjerne på nytt.",
        "en": "An e-mail address needs an @, like name@example.com. Please type it again.",
    },
    "invalid_email_no_ending": {
        "sv": "Efter @ saknas en ändelse som .se eller .com, till exempel namn@exempel.se. Skriv hela adressen igen.",
        "nb": "Etter @ mangler en endelse som .no eller .com, for eksempel navn@eksempel.no. Skriv hele adressen på nytt.",
        "en": "The part after the @ needs an ending such as .com or .se, like name@example.com. Please type the whole address again.",
    },
    "invalid_off_topic": {
        "sv": "Det där verkar handla om något annat, så jag sparar det inte som svar.",
        "nb": "Det ser ut til å handle om noe annet, så jeg lagrer det ikke som svar.",
        "en": "That seems to be about something else, so I have not saved it as your answer.",
    },
    "other_request_later": {
        "sv": "Jag har noterat ditt andra ärende ({other}). Vi gör först klart det här ({current}), sedan frågar "
              "jag om du vill fortsätta med det andra. Vill du hellre avbryta det här, skriv ”avbryt”.",
        "nb": "Jeg har notert den andre saken din ({other}). Vi gjør først ferdig denne ({current}), så spør jeg "
              "om du vil fortsette med den andre. Vil du heller avbryte denne, skriv «avbryt».",
        "en": "I have noted your other request ({other}). Let's finish this one first ({current}); then I will "
              "ask whether you want to go on with the other one. If you would rather stop this one, type "
              "“stop”.",
    },
    # A policy answer that may also have been a request: one short line offers the request (actions/routing.py).
    "offer_request": {
        "sv": "Vill du också att jag hjälper dig med ett ärende: {goal}?",
        "nb": "Vil du også at jeg hjelper deg med en sak: {goal}?",
        "en": "Would you also like me to help you file this: {goal}?",
    },
    "btn_offer_request": {"sv": "Ja, starta", "nb": "Ja, start", "en": "Yes, start it"},
    # Rasa's two-stage fallback, in our words: the closest candidates as buttons.
    "clarify_request": {
        "sv": "Jag är inte säker på att jag förstod. Menade du något av det här?",
        "nb": "Jeg er ikke sikker på at jeg forsto. Mente du noe av dette?",
        "en": "I'm not sure I understood. Did you mean one of these?",
    },
    "clarify_topic": {
        "sv": "Jag är inte säker på vilken fråga du menar. Gäller det något av det här?",
        "nb": "Jeg er ikke sikker på hvilket spørsmål du mener. Gjelder det noe av dette?",
        "en": "I'm not sure which question you mean. Is it one of these?",
    },
    "btn_something_else": {"sv": "Något annat", "nb": "Noe annet", "en": "Something else"},
    "other_request_offer": {
        "sv": "Du nämnde också ett annat ärende: {other}. Vill du börja med det nu?",
        "nb": "Du nevnte også en annen sak: {other}. Vil du begynne på den nå?",
        "en": "You also mentioned another request: {other}. Would you like to start on it now?",
    },
    "btn_start_other": {"sv": "Ja, börja", "nb": "Ja, begynn", "en": "Yes, start"},
    "invalid_too_short": {
        "sv": "Kan du beskriva det med några fler ord?",
        "nb": "Kan du beskrive det med noen flere ord?",
        "en": "Could you describe it in a few more words?",
    },
    "invalid_too_long": {
        "sv": "Det blev för långt (högst {limit} tecken). Korta ner det, så kan teamet be om mer senare.",
        "nb": "Det ble for langt (maks {limit} tegn). Kort det ned, så kan teamet be om mer senere.",
        "en": "That is too long (at most {limit} characters). Please shorten it; the team can ask for more later.",
    },
    "national_id_removed": {
        "sv": "Du behöver inte ange personnummer, så jag har tagit bort det och sparar det inte.",
        "nb": "Du trenger ikke oppgi fødselsnummer, så jeg har fjernet det og lagrer det ikke.",
        "en": "You do not need to give a national ID number, so I removed it and will not store it.",
    },
    "invalid_date": {
        "sv": "Jag förstod inte tidpunkten. Skriv till exempel ”i dag 09:30”, ”i går” eller ”24 november 14:00”.",
        "nb": "Jeg forsto ikke tidspunktet. Skriv for eksempel «i dag 09:30», «i går» eller «24. november 14:00».",
        "en": "I did not understand the time. Try for example \"today 09:30\", \"yesterday\" or \"24 November 14:00\".",
    },
    "invalid_future_date": {
        "sv": "Den tidpunkten ligger i framtiden. När upptäckte du det?",
        "nb": "Det tidspunktet er i fremtiden. Når oppdaget du det?",
        "en": "That time is in the future. When did you discover it?",
    },
    "incident_card_offer": {
        "sv": "Du kan fylla i formuläret nedan på en gång, eller svara på mina frågor en i taget här i chatten.",
        "nb": "Du kan fylle ut skjemaet nedenfor med en gang, eller svare på spørsmålene mine ett om gangen her i "
              "chatten.",
        "en": "You can fill in the form below in one go, or answer my questions one at a time here in the chat.",
    },
    "aware_at_understood_day": {
        "sv": "Noterat: upptäckt {when}. Du angav ingen tid, så vi räknar 72-timmarsfristen från dagens början. "
              "Vet du tiden kan du ändra den i sammanfattningen.",
        "nb": "Notert: oppdaget {when}. Du oppga ikke klokkeslett, så vi regner 72-timersfristen fra starten av "
              "dagen. Vet du tidspunktet, kan du endre det i sammendraget.",
        "en": "Noted: discovered {when}. You gave no time, so we count the 72-hour deadline from the start of that "
              "day. If you know the time, you can change it in the summary.",
    },
    "aware_at_understood": {
        "sv": "Noterat: upptäckt {when}.",
        "nb": "Notert: oppdaget {when}.",
        "en": "Noted: discovered {when}.",
    },
    "invalid_yes_no_unknown": {
        "sv": "Svara ja, nej eller vet inte.",
        "nb": "Svar ja, nei eller vet ikke.",
        "en": "Please answer yes, no or don't know.",
    },
    "invalid_people_count": {
        "sv": "Skriv ett ungefärligt antal (till exempel ”cirka 40”) eller ”vet inte”.",
        "nb": "Skriv et omtrentlig antall (for eksempel «ca. 40») eller «vet ikke».",
        "en": "Please give a rough number (for example \"about 40\") or \"don't know\".",
    },
    "invalid_reference": {
        "sv": "Det ser inte ut som ett ärendenummer. Det ser ut så här: PRV-2026-7K3Q-9CX9.",
        "nb": "Det ser ikke ut som et saksnummer. Det ser slik ut: PRV-2026-7K3Q-9CX9.",
        "en": "That does not look like a case reference. It looks like this: PRV-2026-7K3Q-9CX9.",
    },
    "invalid_code_format": {
        "sv": "Koden består av 6 siffror.",
        "nb": "Koden består av 6 sifre.",
        "en": "The code has 6 digits.",
    },
    "invalid_receipt_format": {
        "sv": "Kvittokoden består av 16 siffror.",
        "nb": "Kvitteringskoden består av 16 sifre.",
        "en": "The receipt code has 16 digits.",
    },
    "invalid_summary_answer": {
        "sv": "Svara ”ja” för att skicka, ”ändra” för att rätta något eller ”avbryt”.",
        "nb": "Svar «ja» for å sende, «endre» for å rette noe eller «avbryt».",
        "en": "Answer \"yes\" to file it, \"change\" to correct something, or \"stop\".",
    },
    "invalid_field": {
        "sv": "Jag förstod inte vilket fält du menar. Välj en av knapparna.",
        "nb": "Jeg forsto ikke hvilket felt du mener. Velg en av knappene.",
        "en": "I did not understand which field you mean. Please choose one of the buttons.",
    },
    "repeat_explain": {
        "sv": "Jag frågar efter: {expected}",
        "nb": "Jeg spør etter: {expected}",
        "en": "What I need here: {expected}",
    },
    "repeat_offer": {
        "sv": "Det verkar krångla. Du kan försöka igen, avbryta, eller få kontaktuppgifter till en människa.",
        "nb": "Det ser ut til å by på problemer. Du kan prøve igjen, avbryte eller få kontaktinformasjon til et menneske.",
        "en": "This seems difficult. You can try again, stop, or get contact details for a person.",
    },
    "expect_requester_name": {"sv": "ditt för- och efternamn, 2–100 tecken, utan siffror.",
                              "nb": "fornavn og etternavn, 2–100 tegn, uten sifre.",
                              "en": "your first and last name, 2–100 characters, no digits."},
    "expect_requester_email": {"sv": "en e-postadress som du kan läsa nu, till exempel anna@exempel.se.",
                               "nb": "en e-postadresse du kan lese nå, for eksempel kari@eksempel.no.",
                               "en": "an e-mail address you can read now, for example jane@example.com."},
    "expect_case_description": {"sv": "en kort beskrivning med egna ord (minst några ord, högst {limit} tecken).",
                                "nb": "en kort beskrivelse med egne ord (minst noen ord, maks {limit} tegn).",
                                "en": "a short description in your own words (a few words at least, at most {limit} characters)."},
    "expect_incident_aware_at": {"sv": "när du fick veta om det, till exempel ”i morse”, ”i går 14:00” eller ”för 3 timmar sedan”.",
                                 "nb": "når du fikk vite om det, for eksempel «i morges», «i går 14:00» eller «for 3 timer siden».",
                                 "en": "when you found out, for example \"this morning\", \"yesterday 14:00\" or \"3 hours ago\"."},
    "expect_incident_people_count": {"sv": "ett ungefärligt antal personer, eller ”vet inte”.",
                                     "nb": "et omtrentlig antall personer, eller «vet ikke».",
                                     "en": "a rough number of people, or \"don't know\"."},
    "expect_yes_no_unknown": {"sv": "”ja”, ”nej” eller ”vet inte”.", "nb": "«ja», «nei» eller «vet ikke».",
                              "en": "\"yes\", \"no\" or \"don't know\"."},
    "expect_choice": {"sv": "ett av alternativen på knapparna.", "nb": "et av alternativene på knappene.",
                      "en": "one of the options on the buttons."},
    "expect_verification_code": {"sv": "de 6 siffrorna i e-postmeddelandet från oss (kolla även skräpposten).",
                                 "nb": "de 6 sifrene i e-posten fra oss (sjekk også søppelposten).",
                                 "en": "the 6 digits in the e-mail from us (check the spam folder too)."},
    "expect_status_reference": {"sv": "ärendenumret, till exempel PRV-2026-7K3Q-9CX9.",
                                "nb": "saksnummeret, for eksempel PRV-2026-7K3Q-9CX9.",
                                "en": "the case reference, for example PRV-2026-7K3Q-9CX9."},
    "expect_status_receipt": {"sv": "de 16 siffrorna i kvittokoden.", "nb": "de 16 sifrene i kvitteringskoden.",
                              "en": "the 16 digits of the receipt code."},

    # ---------------------------------------------------------------- filing and verification
    "filing": {
        "sv": "Ett ögonblick, jag registrerar ärendet …",
        "nb": "Et øyeblikk, jeg registrerer saken …",
        "en": "One moment, I'm filing the case …",
    },
    "backend_down": {
        "sv": ("Förlåt, ärendesystemet svarar inte just nu. Dina svar är sparade. Skriv ”försök igen” (eller svara "
               "ja) om en stund, så skickar jag samma ärende – det registreras bara en gång."),
        "nb": ("Beklager, saksbehandlingssystemet svarer ikke akkurat nå. Svarene dine er lagret. Skriv «prøv igjen» "
               "(eller svar ja) om litt, så sender jeg den samme saken – den registreres bare én gang."),
        "en": ("Sorry, the case system is not answering right now. Your answers are saved. Type \"try again\" (or "
               "answer yes) in a moment and I will send the same case – it will be filed only once."),
    },
    "filing_failed": {
        "sv": "Förlåt, ärendet kunde inte registreras. Du kan i stället kontakta oss direkt: {contact}",
        "nb": "Beklager, saken kunne ikke registreres. Du kan i stedet kontakte oss direkte: {contact}",
        "en": "Sorry, the case could not be filed. You can contact us directly instead: {contact}",
    },
    "code_sent": {
        "sv": "Ärendet är registrerat med nummer {reference}. Vi har skickat en 6-siffrig kod till {email}.",
        "nb": "Saken er registrert med nummer {reference}. Vi har sendt en 6-sifret kode til {email}.",
        "en": "Your case is registered as {reference}. We have sent a 6-digit code to {email}.",
    },
    "filed_open": {
        "sv": "Tack! Ärendet är registrerat med nummer {reference}.",
        "nb": "Takk! Saken er registrert med nummer {reference}.",
        "en": "Thank you! Your case is registered as {reference}.",
    },
    "due_rights": {
        "sv": "Du får svar senast {date}.",
        "nb": "Du får svar senest {date}.",
        "en": "You will hear from us by {date}.",
    },
    "due_generic": {
        "sv": "Vi återkommer senast {date}.",
        "nb": "Vi kommer tilbake til deg senest {date}.",
        "en": "We will get back to you by {date}.",
    },
    "due_incident": {
        "sv": "Integritetsteamet bedömer ärendet och eventuell anmälan till tillsynsmyndigheten före {date}.",
        "nb": "Personvernteamet vurderer saken og eventuell melding til Datatilsynet før {date}.",
        "en": "The privacy team assesses it, and whether to notify the supervisory authority, before {date}.",
    },
    "due_misconduct": {
        "sv": "Vi bekräftar mottagandet senast {date}.",
        "nb": "Vi bekrefter mottak senest {date}.",
        "en": "We will acknowledge receipt by {date}.",
    },
    "due_misconduct_feedback": {
        "sv": "Du får återkoppling senast {date}.",
        "nb": "Du får tilbakemelding senest {date}.",
        "en": "You will get feedback by {date}.",
    },
    "receipt_once": {
        "sv": ("Din kvittokod är: {receipt}\nSpara den nu – den visas bara den här gången och vi kan inte ta fram den "
               "igen. Med ärendenumret och kvittokoden kan du senare fråga mig om status (”hur går det med mitt "
               "ärende?”) och läsa svar från teamet, utan att visa vem du är."),
        "nb": ("Kvitteringskoden din er: {receipt}\nTa vare på den nå – den vises bare denne gangen, og vi kan ikke "
               "hente den fram igjen. Med saksnummeret og kvitteringskoden kan du senere spørre meg om status "
               "(«hvordan går det med saken min?») og lese svar fra teamet, uten å vise hvem du er."),
        "en": ("Your receipt code is: {receipt}\nSave it now – it is shown only this once and we cannot retrieve it "
               "again. With the case reference and the receipt code you can later ask me for the status (\"what is "
               "the status of my case?\") and read answers from the team, without revealing who you are."),
    },
    "withdrawal_explain_application": {
        "sv": ("Vad som händer: när ansökan återkallas raderas ansökan och uppgifterna från rekryteringsprocessen "
               "(annars sparas de i 3 månader efter att processen avslutats)."),
        "nb": ("Hva som skjer: når søknaden trekkes tilbake, slettes søknaden og opplysningene fra "
               "rekrutteringsprosessen (ellers lagres de i 3 måneder etter at prosessen er avsluttet)."),
        "en": ("What happens: when the application is withdrawn, the application and the data from the recruitment "
               "process are deleted (otherwise they are kept for 3 months after the process ends)."),
    },
    "withdrawal_explain_database": {
        "sv": ("Vad som händer: när samtycket återkallas raderas dina uppgifter i rekryteringsdatabasen och delas inte "
               "längre inom koncernen (annars sparas de i 360 dagar från samtycket)."),
        "nb": ("Hva som skjer: når samtykket trekkes tilbake, slettes opplysningene dine i rekrutteringsdatabasen og "
               "deles ikke lenger i konsernet (ellers lagres de i 360 dager fra samtykket)."),
        "en": ("What happens: when the consent is withdrawn, your data in the recruitment database is deleted and no "
               "longer shared within the group (otherwise it is kept for 360 days from the consent)."),
    },
    "complaint_authority": {
        "sv": "Du har också alltid rätt att klaga hos Integritetsskyddsmyndigheten (IMY) i Sverige eller Datatilsynet i Norge eller Danmark.",
        "nb": "Du har også alltid rett til å klage til Datatilsynet i Norge (eller IMY i Sverige, Datatilsynet i Danmark).",
        "en": "You also always have the right to complain to a supervisory authority: Datatilsynet (Norway), IMY (Sweden) or Datatilsynet (Denmark).",
    },
    "verified": {
        "sv": "Tack, koden stämmer och din identitet är bekräftad. Ärendenummer: {reference}.",
        "nb": "Takk, koden stemmer og identiteten din er bekreftet. Saksnummer: {reference}.",
        "en": "Thank you, the code is correct and your identity is confirmed. Case reference: {reference}.",
    },
    "keep_reference": {
        "sv": "Spara ärendenumret om du vill fråga om status senare.",
        "nb": "Ta vare på saksnummeret hvis du vil spørre om status senere.",
        "en": "Keep the reference if you want to ask about the status later.",
    },
    "code_invalid": {
        "sv": "Koden stämmer inte. Du har {attempts_left} försök kvar.",
        "nb": "Koden stemmer ikke. Du har {attempts_left} forsøk igjen.",
        "en": "That code is not correct. You have {attempts_left} attempts left.",
    },
    "code_expired": {
        "sv": "Koden har gått ut. Skriv ”skicka ny kod”, så får du en ny.",
        "nb": "Koden har utløpt. Skriv «send ny kode», så får du en ny.",
        "en": "The code has expired. Type \"send a new code\" to get a new one.",
    },
    "code_too_many": {
        "sv": "För många felaktiga försök. Av säkerhetsskäl kan du inte försöka igen just nu. Vänta en timme eller kontakta oss: {contact}",
        "nb": "For mange feil forsøk. Av sikkerhetshensyn kan du ikke prøve igjen akkurat nå. Vent en time eller kontakt oss: {contact}",
        "en": "Too many wrong attempts. For security you cannot try again right now. Wait an hour or contact us: {contact}",
    },
    "code_resent": {
        "sv": "Jag har skickat en ny kod. Den gamla koden gäller inte längre.",
        "nb": "Jeg har sendt en ny kode. Den gamle koden gjelder ikke lenger.",
        "en": "I have sent a new code. The old code no longer works.",
    },
    "code_resend_limited": {
        "sv": "Du kan bara be om en ny kod en gång per minut (och högst tre i timmen). Vänta lite och försök igen.",
        "nb": "Du kan bare be om en ny kode én gang i minuttet (og maks tre i timen). Vent litt og prøv igjen.",
        "en": "You can ask for a new code once a minute (and at most three an hour). Please wait a little and try again.",
    },
    "nothing_to_resend": {
        "sv": "Det finns ingen kod att skicka om just nu.",
        "nb": "Det finnes ingen kode å sende på nytt akkurat nå.",
        "en": "There is no code to send again right now.",
    },
    "verify_backend_down": {
        "sv": "Förlåt, ärendesystemet svarar inte just nu. Skriv koden igen om en liten stund.",
        "nb": "Beklager, saksbehandlingssystemet svarer ikke akkurat nå. Skriv koden igjen om en liten stund.",
        "en": "Sorry, the case system is not answering right now. Please enter the code again in a moment.",
    },
    "verification_stopped": {
        "sv": "Okej. Ärendet {reference} förblir obekräftat och stängs automatiskt om koden inte bekräftas.",
        "nb": "Greit. Saken {reference} forblir ubekreftet og lukkes automatisk hvis koden ikke bekreftes.",
        "en": "OK. Case {reference} stays unconfirmed and closes automatically if the code is not confirmed.",
    },
    "status_result": {
        "sv": "Ärende {reference} ({case_type}): {status}.",
        "nb": "Sak {reference} ({case_type}): {status}.",
        "en": "Case {reference} ({case_type}): {status}.",
    },
    "status_messages_header": {
        "sv": "Meddelanden från teamet:",
        "nb": "Meldinger fra teamet:",
        "en": "Messages from the team:",
    },
    "status_email_again": {
        "sv": "Okej, vi tar e-postadressen igen.",
        "nb": "Greit, vi tar e-postadressen på nytt.",
        "en": "All right, let's take the e-mail address again.",
    },
    "status_not_found": {
        "sv": "Jag kunde inte visa något ärende med de uppgifterna. Kontrollera ärendenumret och försök igen.",
        "nb": "Jeg kunne ikke vise noen sak med de opplysningene. Sjekk saksnummeret og prøv igjen.",
        "en": "I could not show a case with those details. Please check the reference and try again.",
    },
    "status_backend_down": {
        "sv": "Förlåt, ärendesystemet svarar inte just nu. Försök igen om en stund.",
        "nb": "Beklager, saksbehandlingssystemet svarer ikke akkurat nå. Prøv igjen om litt.",
        "en": "Sorry, the case system is not answering right now. Please try again in a moment.",
    },

    "card_invalid": {
        "sv": "Kortet kunde inte läsas helt, så vi tar frågorna här i chatten i stället.",
        "nb": "Kortet kunne ikke leses helt, så vi tar spørsmålene her i chatten i stedet.",
        "en": "The card could not be read completely, so let's go through the questions here in the chat.",
    },
    "forgotten": {
        "sv": "Klart – den här konversationen är raderad. Ärenden du redan skickat in påverkas inte.",
        "nb": "Ferdig – denne samtalen er slettet. Saker du allerede har sendt inn, berøres ikke.",
        "en": "Done – this conversation has been erased. Cases you already filed are not affected.",
    },
    "forget_failed": {
        "sv": "Förlåt, konversationen kunde inte raderas just nu. Försök igen senare eller kontakta oss: {contact}",
        "nb": "Beklager, samtalen kunne ikke slettes akkurat nå. Prøv igjen senere eller kontakt oss: {contact}",
        "en": "Sorry, the conversation could not be erased right now. Please try again later or contact us: {contact}",
    },

    # ---------------------------------------------------------------- interruptions
    "stopped": {
        "sv": "Okej, jag har avbrutit och tagit bort dina svar. Inget har skickats. Vad vill du göra nu?",
        "nb": "Greit, jeg har avbrutt og fjernet svarene dine. Ingenting er sendt. Hva vil du gjøre nå?",
        "en": "OK, I stopped and removed your answers. Nothing was sent. What would you like to do now?",
    },
    "nothing_to_stop": {
        "sv": "Det finns inget pågående ärende att avbryta. Vad kan jag hjälpa dig med?",
        "nb": "Det er ingen pågående sak å avbryte. Hva kan jeg hjelpe deg med?",
        "en": "There is nothing in progress to stop. What can I help you with?",
    },
    "restarted": {
        "sv": "Vi börjar om från början.",
        "nb": "Vi begynner på nytt.",
        "en": "Let's start again from the beginning.",
    },
    "correction_cleared": {
        "sv": "Okej, vi ändrar {field}.",
        "nb": "Greit, vi endrer {field}.",
        "en": "OK, let's change {field}.",
    },
    "nothing_to_retry": {
        "sv": "Det finns inget att försöka igen just nu. Vad vill du göra?",
        "nb": "Det er ingenting å prøve på nytt akkurat nå. Hva vil du gjøre?",
        "en": "There is nothing to retry right now. What would you like to do?",
    },
}


def t(key: str, lang: Optional[str], **values: Any) -> str:
    """The text for `key` in `lang` (English when the language is unknown), formatted with `values`."""
    entry = T[key]
    text = entry[normalise_language(lang)]
    return text.format(**values) if values else text


def name_of(table: Dict[str, Dict[str, str]], key: Optional[str], lang: Optional[str]) -> str:
    if not key or key not in table:
        return key or ""
    return table[key][normalise_language(lang)]


def button(title: str, payload: str) -> Dict[str, str]:
    return {"title": title, "payload": payload}


def right_buttons(lang: str) -> List[Dict[str, str]]:
    return [button(RIGHT_NAMES[r][normalise_language(lang)].split(" (")[0].capitalize(), r) for r in RIGHT_NAMES]


def yes_no_unknown_buttons(lang: str) -> List[Dict[str, str]]:
    lang = normalise_language(lang)
    return [
        button(YES_NO_UNKNOWN["yes"][lang], "/affirm"),
        button(YES_NO_UNKNOWN["no"][lang], "/deny"),
        button(YES_NO_UNKNOWN["unknown"][lang], YES_NO_UNKNOWN["unknown"][lang].lower()),
    ]


def stop_handoff_buttons(lang: str) -> List[Dict[str, str]]:
    return [button(t("btn_cancel", lang), "/stop"), button(t("btn_handoff", lang), "/human_handoff")]
