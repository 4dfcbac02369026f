"""The words the actions read messages by, in all three languages (and Nynorsk, dialect and folded forms).

Why one module: a newcomer looking for "why was this taken as a stop?" or "which words choose erasure?" finds
every list here, next to the lists it could be confused with. Matching is done by `actions.common.has_any`
(accent-folded substrings) unless a list says otherwise. Lists the request guard reads too are kept once, as data
in bot/lexicon/ (the question words, the erasing verbs, the words of an application), and read from there.
"""

from __future__ import annotations

from typing import Dict, List

from bot.text import fold, lexicon, tagged

# -- yes, no, don't know (yes/no questions, the summary, "should we erase everything?") --------------------
UNKNOWN_WORDS = ["vet inte", "vet ej", "vet ikke", "vet ikkje", "veit ikkje", "veit ikke", "ingen aning", "aner ikke",
                 "aner ikkje", "ikke sikker", "ikkje sikker", "inte säker", "don't know", "dont know", "do not know",
                 "dunno", "no idea", "no clue", "not sure", "unknown", "osäker", "usikker", "kanske", "kanskje",
                 "maybe", "ukjent", "okänt", "okand"]
YES_WORDS = ["ja", "japp", "jo", "yes", "yep", "yeah", "yup", "absolut", "stämmer", "stemmer", "correct", "ok", "okej",
             "okay", "greit", "visst", "sure", "korrekt", "riktig", "perfekt", "perfect", "fint", "fine", "bra", "good",
             "great", "lgtm"]
BUT_WORDS = {"men", "but", "fast", "dock", "although", "except", "unntatt", "utom"}
NO_WORDS = ["nej", "nei", "no", "nope", "inte", "ikke", "ikkje", "not"]

# -- what a company name ends with (as written: "AS" is a company form, "as" an English word) -------------
COMPANY_FORMS = frozenset({"AB", "AS", "ASA", "A/S", "ApS", "HB", "KB", "Oy", "Oyj", "Ltd", "Ltd.", "Inc", "Inc.",
                           "GmbH", "plc", "SE", "NUF"})
GROUP_NAME = "amesto"  # "Rådgiver, Amesto Accounthouse": a position at one of our companies, not a name

# -- choices that have buttons, typed instead --------------------------------------------------------------
RIGHT_WORDS = {
    "access": ["tillgång", "registerutdrag", "innsyn", "access", "kopia", "kopi", "copy", "insyn"],
    "rectification": ["rättelse", "rätta", "retting", "rette", "rectif", "korrig", "correct"],
    "erasure": ["radera", "slett", "erase", "delete", "ta bort", "fjern", "glömd", "glemt", "forgotten"],
    "restriction": ["begräns", "begrens", "restrict"],
    "objection": ["invänd", "invand", "protest", "object", "motsätt"],
    "portability": ["portab", "flytta", "overfør", "export", "maskinläs", "maskinles", "machine"],
    "consent_withdrawal": ["samtycke", "samtykke", "consent"],
}
DATABASE_WORDS = ["databas", "database", "öppen ansökan", "åpen søknad", "open application", "talangbank",
                  "kandidatbank", "talent pool"]
APPLICATION_WORDS = list(tagged("application_words", "actions"))  # bot/lexicon/application_words.txt
ANONYMOUS_WORDS = ["anonym", "anonymous", "utan namn", "utan mitt namn", "uten navn", "uten navnet", "utan namnet",
                   "without my name", "without a name", "without name", "rather not give my name",
                   "not give my name", "don't want to give my name", "vill inte uppge", "vil ikke oppgi",
                   "vil ikkje oppgje", "helst inte namn", "helst ikke navn",
                   # a name that must not come out: "jag vill inte att mitt namn kommer fram"
                   "inte att mitt namn", "inte mitt namn", "ikke at navnet mitt", "ikke navnet mitt",
                   "ikkje namnet mitt", "not my name", "don't want my name", "dont want my name",
                   "ingen ska veta", "ingen skal vite", "ingen skal vita", "no one knows", "nobody knows",
                   "without anyone knowing"]
# Checked before ANONYMOUS_WORDS: "ikke anonymt" is named.
NOT_ANONYMOUS_WORDS = ["inte anonym", "ej anonym", "ikke anonym", "ikkje anonym", "ikke som anonym", "not anonymous",
                       "not anonymously", "no anonym", "don't want to be anonymous", "vill inte vara anonym",
                       "vil ikke være anonym", "vil ikkje vere anonym"]
NAMED_WORDS = ["med namn", "med mitt namn", "med navn", "med navnet", "med namnet", "with my name", "named", "my name",
               "navngitt", "namngiven", "namngitt", "under eget namn", "under eget navn", "identified"]
EMAIL_METHOD_WORDS = ["e-post", "epost", "email", "e-mail", "mail", "mejl", "kod", "kode", "code"]
RECEIPT_METHOD_WORDS = ["kvitto", "kvitter", "receipt", "anonym"]

# Words around a name that are not the name: "jag heter Anna Lindqvist", "Anna Lindqvist här", "it's Jane".
NAME_INTROS = [
    "jag heter", "mitt namn är", "namnet är", "jeg heter", "eg heiter", "æ heite", "æ heiter", "i heite",
    "navnet mitt er", "navnet er", "mitt navn er", "namnet mitt er", "my name is", "my name's", "the name is",
    "name is", "name:", "namn:", "navn:", "i am", "i'm", "it's", "this is", "det är", "det er", "det e",
    "här är", "her er", "hei, det er", "hej, det är", "hi, this is",
]
NAME_ENDINGS = ["här", "her", "here", "speaking"]

# -- correcting an answer -----------------------------------------------------------------------------------
AGAIN_WORDS = ["igen", "från början", "på nytt", "om igjen", "fra start", "again", "start over", "other address",
               "annan adress", "annen adresse", "fel adress", "feil adresse", "wrong address"]
CHANGE_WORDS = ["ändra", "andra", "endre", "change", "rätta", "rette", "correct", "fel", "feil", "wrong"]

# Words (all languages) a user may type to name a field when correcting it; the button payloads are
# the slot names themselves.
FIELD_WORDS = {
    "requester_email": ["e-post", "epost", "e-mail", "email", "mail", "mejl", "adress", "adresse", "address"],
    "requester_name": ["namn", "navn", "name", "namnet", "navnet"],
    "case_description": ["beskrivning", "beskrivelse", "description", "text", "detaljer", "details"],
    "application_position": ["tjänst", "tjänsten", "stilling", "stillingen", "position", "job", "jobb",
                             "företag", "selskap", "company"],
    "withdrawal_target": ["databas", "database", "ansökan", "søknad", "application"],
    "incident_aware_at": ["när", "når", "when", "tid", "time", "datum", "dato", "date", "upptäckt", "oppdaget"],
    "incident_data_types": ["typ", "type", "kind", "uppgifter", "opplysninger", "data"],
    "incident_people_count": ["antal", "antall", "number", "how many", "personer", "people"],
    "incident_encrypted": ["kryptera", "krypter", "encrypt"],
    "incident_contained": ["stoppa", "stans", "kontroll", "contain"],
    "reporter_anonymous": ["anonym", "anonymous"],
    "right": ["rätt", "rett", "right", "begäran", "forespørsel", "request"],
}

# "Same as before" for the name or address: the verified one of an earlier request in this conversation.
SAME_AS_BEFORE_PHRASES = [
    "samma som förut", "samma som förra gången", "samma som innan", "samma som tidigare", "samma som sist",
    "samme som før", "samme som sist", "samme som tidligere", "samme som forrige gang", "same as before",
    "same as last time", "same as earlier", "same one as before", "same as previous",
]

# Words that open a message without saying anything ("before that, do you ...?"): never an answer alone.
FILLER_WORDS = {fold(w) for w in (
    "before", "that", "first", "btw", "by", "the", "way", "ok", "okay", "hmm", "wait", "oh", "hey", "and", "also",
    "but", "so", "well", "sorry", "innan", "dess", "först", "förresten", "vänta", "oj", "och", "men", "så", "jaha",
    "ursäkta", "før", "først", "forresten", "vent", "og", "altså", "beklager", "unnskyld", "hei", "hej", "hi",
    "a", "question", "fråga", "spørsmål", "quick", "snabb", "rask",
)}

# -- what a message is: a question, a command, a stop, another request --------------------------------------
# The start of a question (bot/lexicon/question_words.txt): a `stem` opens the message whatever follows, a `word`
# only as a word of its own, followed by more ("var " opens "var sparar ni ...", not "vart").
QUESTION_WORDS = [word + " " if "word" in tags else word
                  for word, tags in lexicon("question_words").items() if tags & {"stem", "word"}]
COMMAND_WORDS = {"stop", "stopp", "avbryt", "cancel", "help", "hjalp", "hjelp", "quit", "exit", "slutt", "sluta",
                 "restart", "reset", "menu", "meny"}

# A stop said in words, in a short answer: the form asks whether to stop instead of storing it as the answer.
STOP_PHRASES = [
    "glöm det", "strunt i det", "skit i det", "jag ångrar mig", "vill inte ändå", "vill inte längre",
    "vill inte fortsätta", "låt bli", "glem det", "gløym det", "drit i det", "vil ikke likevel",
    "vil ikkje likevel", "jeg angrer", "la det være", "la det vere", "dropper det", "vil ikke fortsette",
    "vil ikkje halde fram", "forget it", "forget about it", "never mind", "nevermind", "changed my mind",
    "don't want to anymore", "dont want to anymore", "don't bother",
]
MAX_WORDS_OF_A_STOP = 8
STOP_WORDS = {"avbryt", "avbryta", "avbryte", "cancel", "stopp", "stop", "sluta", "slutt", "quit", "exit"}

NEW_REQUEST_MARKERS = [
    "jag vill", "vill jag", "jag skulle vilja", "jag behöver", "kan jag", "också", "även", "dessutom",
    "förresten", "ett annat ärende", "en annan sak", "jeg vil", "vil jeg", "jeg ønsker", "jeg trenger", "kan jeg",
    "også", "i tillegg", "forresten", "en annen sak", "i want", "i'd like", "i would like", "i need", "can i",
    "could i", "also", "too", "as well", "another", "by the way", "btw",
]

# Words people put around an address they give: "min e-post är anna@...", "my email is ...".
EMAIL_FILLER_WORDS = {fold(w) for w in (
    "min", "mi", "my", "e-post", "epost", "e-postadress", "e-postadresse", "email", "e-mail", "mail", "mejl",
    "adress", "adresse", "address", "is", "är", "er", "it's", "its", "det", "den", "here", "här", "her", "it",
)}

# -- what a request is about --------------------------------------------------------------------------------
# EVERYTHING_TOKENS are single words ("allt" alone answers "what should be erased?"); EVERYTHING_WORDS are
# phrases an opening message uses for "all my data".
EVERYTHING_TOKENS = {"allt", "alt", "alla", "alle", "all", "everything", "hela", "hele"}
DELETE_WORDS = list(tagged("erasing_verbs", "actions"))  # bot/lexicon/erasing_verbs.txt
WITHDRAW_WORDS = ["återkalla", "dra tillbaka", "ta tillbaka", "trekke", "trekk", "withdraw", "pull"]
EVERYTHING_WORDS = ["allt", "alla uppgifter", "alt om meg", "alle opplysninger", "everything", "all my data",
                    "all data"]

# What an opening message must name to answer the form's description question itself ("radera mina
# uppgifter, allt" answers "what should be erased?"): per right, the things that question asks about.
# Rectification is not here: "fix my address" names the field but not what is right, which is the question.
DESCRIPTION_OBJECTS: Dict[str, List[str]] = {
    "erasure": EVERYTHING_WORDS + ["alt sammen", "allting", "alt dere har", "allt ni har", "everything you have"],
    "consent_withdrawal": [
        "nyhetsbrev", "newsletter", "marknadsföring", "markedsføring", "marketing", "reklam", "sms", "utskick",
        "utsendelse", "mailing", "kakor", "cookie", "informasjonskapsl", "enkät", "spørreundersøk", "survey",
        "inbjudningar", "invitasjoner", "invitations", "erbjudanden", "tilbud", "offers"],
    "objection": [
        "marknadsföring", "markedsføring", "marketing", "reklam", "profilering", "profiling", "nyhetsbrev",
        "newsletter", "direktreklam", "försäljning", "salg", "sales", "analys", "analyse", "analysis", "kampanj",
        "kampanje", "campaign"],
}

# Word stems that make a free-text answer about personal data or our processing, whatever the NLU thinks
# (accents folded, hyphens dropped; see `off_topic` for how they match).
DOMAIN_WORDS = [
    "uppgift", "opplysning", "data", "information", "info", "cv", "ansök", "søknad",
    "applic", "e-post", "epost", "mail", "mejl", "adress", "address", "telefon", "phone", "mobil", "namn",
    "navn", "name", "bild", "foto", "photo", "bilde", "konto", "account", "profil", "marknadsf", "markedsf",
    "marketing", "nyhetsbrev", "newsletter", "lön", "lønn", "salary", "betyg", "karakter", "grade",
    "referens", "referanse", "reference", "intervju", "interview", "kamera", "camera", "logg", "kund",
    "customer", "anställ", "ansatt", "employ", "personnummer", "fødselsnummer", "identit",
    "register", "samtycke", "samtykke", "consent", "rekryt", "rekrutt", "recruit", "amesto", "laptop", "dator",
    "datamaskin", "computer", "usb", "lösenord", "passord", "password", "server", "filen", "file", "dokument",
    "document", "kontrakt", "contract", "faktura", "invoice", "allt", "alt", "everything", "all",
    "sjukmeld", "sykmeld", "sykemeld", "sjukskriv", "läkarintyg", "legeerklæring", "helse", "hälsa",
    "health", "medical", "diagnos", "skrivar", "skriver", "printer", "utskrift", "kontonummer", "lønnsslipp",
    "lönebesked", "payslip", "personal",
]
DOMAIN_STEMS = [fold(word).replace("-", "") for word in DOMAIN_WORDS]

# -- facts said in words ---------------------------------------------------------------------------------
# Said for "is it contained?" / "was it encrypted?" without a yes: what was done means yes.
CONTAINED_WORDS = [
    "wiped", "fjernslett", "fjernsletta", "raderad", "raderat", "slettet", "sletta", "blocked", "blokkert",
    "blockerad", "blockerat", "sperret", "sperra", "spärrad", "spärrat", "återställ", "tilbakestilt", "reset",
    "stopped", "stoppet", "stoppa", "stoppat", "fixed", "fikset", "fiksa", "fixat", "removed", "fjernet", "fjerna",
    "borttagen", "borttaget", "tagit bort", "tatt bort", "recalled", "deleted", "locked", "låst", "changed the password",
    "bytt lösenord", "byttet passord", "endra passord", "got it back", "fått tillbaka", "fått tilbake", "fekk tilbake",
]
ENCRYPTED_WORDS = ["kryptert", "krypterad", "krypterat", "encrypted", "bitlocker", "filevault", "intune",
                   "lösenordsskydd", "passordbeskytt", "password protected", "password-protected"]

# The words of the frame around a report ("I'm not happy with how you have handled my data and I want to
# complain"): an opening made only of these asks for the description; one with more content is the description.
REPORT_FRAME_WORDS = {fold(w) for w in """
i i'm im me my mine jag mig min mitt mina jeg meg mine mitt eg æ mæ you your ni er era ert dere deres dykk dykkar
dokker we vi oss our vår våra vårt and och og to att å at the a an en ett et ei eit det den de this that is är er
e of av for för til till for in i på på with med how hur hvordan korleis about om regarding concerning gällande
angående angåande have has har had hade not inte ikke ikkje no nej nei would like vill vil skulle ville want need
behöver trenger treng please tack takk thanks hi hello hei hej hallo complain complaint klaga klagomål klage
klagemål report rapport rapportera anmäla anmälan melde meld melding varsle varsla varsling varsel incident
incidenten avvik avviket breach brudd personvernbrudd dataintrång personuppgiftsincident misconduct
missförhållande missförhållanden kritikkverdig kritikkverdige forhold something något noe noko some happened
hänt skjedd skjedde hendt data uppgifter opplysninger opplysningar information info personal personuppgifter
personopplysninger personopplysningar privacy integritet personvern gdpr handled hanterat hanterade håndtert
håndterte handtert way sätt måte happy nöjd fornøyd fornøgd satisfied unhappy missnöjd misfornøyd file make
lämna göra gjøre legge inn submit register registrera registrere so så very mycket veldig svært really
nåt nåkka nokka nån någon nokon noen anyone anybody somebody without utan uten know veta vite veit knows vet
får får gets find out ta reda finne ut who vem hvem kem ka it's its it anonymous anonymously anonym anonymt
anonymt anonymitet name namn navn namnet navnet identity identitet
""".split()}

# A case made earlier ("jag rapporterade en incident", "I filed a complaint") and a question about how it is going
# ("vad är läget med den?"): together they make a status check (actions/start.follows_up_an_earlier_case).
EARLIER_CASE_WORDS = ["rapporterade", "rapporterat", "anmälde", "anmält", "anmalde", "anmalt", "skickade in",
                      "lämnade in", "rapporterte", "meldte", "har meldt", "varslet", "varsla", "sendte inn",
                      "klagde", "klaget", "sendte en", "sendte et", "skickade en", "skickade ett", "i sent a", "reported", "i filed", "i submitted", "i sent", "i made a report",
                      "i complained", "i lodged"]
FOLLOW_UP_WORDS = ["vad är läget", "hur går det", "något nytt", "nåt nytt", "status", "följa upp", "följer upp",
                   "vad händer med", "har det hänt", "hva skjer", "hvordan går det", "noe nytt", "følge opp",
                   "har det skjedd", "korleis går det", "any news", "how is it going", "how's it going",
                   "follow up", "follow-up", "check on", "what is happening with", "what's happening with",
                   "heard nothing", "hört något", "hört nåt", "hørt noe", "hørt noko", "inte hört", "ikke hørt"]

# -- "do we have to report it?" in an incident report: who must be told is the privacy team's call -----------
NOTIFY_WORDS = ["anmäla", "anmäler", "anmälas", "underrätta", "underrättas", "informera", "informeras", "meddela",
                "berätta", "melde", "meldes", "varsle", "varsles", "informere", "informeres", "fortelle", "notify",
                "notified", "report", "reported", "tell", "told", "inform", "informed", "si fra", "gi beskjed",
                "säga till", "let them know"]
MUST_WORDS = ["måste", "behöver", "ska", "skall", "bör", "må", "skal", "trenger", "trengs", "bør", "must", "need",
              "needs", "have to", "has to", "should", "required"]
