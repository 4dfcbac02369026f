/*
 * The demo company page around the widget: follows the widget's language setting and opens the chat
 * from the page's own button. Not needed when embedding the widget elsewhere.
 */
(function () {
  "use strict";

  var TEXTS = {
    sv: {
      title: "Exempelkoncernen – integritet och personuppgifter (demo)",
      skip: "Hoppa till innehållet",
      demoTag: "demosida",
      navLabel: "Sidor",
      navPrivacy: "Integritet",
      navEmbed: "Bädda in chatten",
      heroTitle: "Dina personuppgifter hos oss",
      heroText: "Det här är en demosida som visar hur ett företag lägger integritetsassistenten på sin webbplats. Assistenten svarar på frågor om integritetspolicyn och tar emot begäranden om dina rättigheter: att få se, rätta eller radera dina uppgifter, invända mot behandling eller återkalla ett samtycke.",
      heroPrivacy: "Chatten använder inga kakor, inga spårare och inga externa typsnitt. Samtalet sparas bara i den här fliken tills du stänger den eller ber assistenten glömma det.",
      openChat: "Öppna chatten",
      embedTitle: "Bädda in chatten på din webbplats",
      embedIntro: "Lägg in de här raderna på sidan. Byt adresserna mot er assistentserver och er Rasa-server.",
      embedCsp: "Er Content-Security-Policy måste tillåta skript och stilmallar från assistentservern och anslutningar (connect-src) till Rasa-servern, både https:// och wss://.",
      embedNoInline: "Widgeten behöver inga inline-skript eller inline-stilar och gör inga anrop till tredje part.",
      embedLanguage: "Besökaren väljer språk i chatten (automatiskt, svenska, norska eller engelska); valet skickas till assistenten med varje meddelande.",
      embedDocs: "Mer om inställningar och säkerhet finns i docs/WIDGET.md i projektet.",
      footer: "Exempelkoncernen är ett påhittat företag för den här demon."
    },
    nb: {
      title: "Eksempelkonsernet – personvern og personopplysninger (demo)",
      skip: "Hopp til innholdet",
      demoTag: "demoside",
      navLabel: "Sider",
      navPrivacy: "Personvern",
      navEmbed: "Bygg inn chatten",
      heroTitle: "Personopplysningene dine hos oss",
      heroText: "Dette er en demoside som viser hvordan et selskap legger personvernassistenten på nettstedet sitt. Assistenten svarer på spørsmål om personvernerklæringen og tar imot forespørsler om rettighetene dine: innsyn, retting eller sletting av opplysninger, protest mot behandling eller tilbaketrekking av et samtykke.",
      heroPrivacy: "Chatten bruker ingen informasjonskapsler, ingen sporere og ingen eksterne skrifttyper. Samtalen lagres bare i denne fanen til du lukker den eller ber assistenten glemme den.",
      openChat: "Åpne chatten",
      embedTitle: "Bygg inn chatten på nettstedet ditt",
      embedIntro: "Legg inn disse linjene på siden. Bytt adressene ut med deres assistentserver og Rasa-server.",
      embedCsp: "Content-Security-Policy hos dere må tillate skript og stilark fra assistentserveren og tilkoblinger (connect-src) til Rasa-serveren, både https:// og wss://.",
      embedNoInline: "Widgeten trenger ingen inline-skript eller inline-stiler og gjør ingen kall til tredjeparter.",
      embedLanguage: "Besøkende velger språk i chatten (automatisk, svensk, norsk eller engelsk); valget sendes til assistenten med hver melding.",
      embedDocs: "Mer om innstillinger og sikkerhet står i docs/WIDGET.md i prosjektet.",
      footer: "Eksempelkonsernet er et oppdiktet selskap for denne demoen."
    },
    en: {
      title: "Example Group – privacy and personal data (demo)",
      skip: "Skip to content",
      demoTag: "demo page",
      navLabel: "Pages",
      navPrivacy: "Privacy",
      navEmbed: "Embed the chat",
      heroTitle: "Your personal data with us",
      heroText: "This demo page shows how a company puts the privacy assistant on its website. The assistant answers questions about the privacy policy and takes requests about your rights: to see, correct or delete your data, to object to processing or to withdraw a consent.",
      heroPrivacy: "The chat uses no cookies, no trackers and no external fonts. The conversation is kept only in this tab until you close it or ask the assistant to forget it.",
      openChat: "Open the chat",
      embedTitle: "Embed the chat on your site",
      embedIntro: "Add these lines to the page. Replace the addresses with your assistant server and your Rasa server.",
      embedCsp: "Your Content-Security-Policy must allow scripts and stylesheets from the assistant server and connections (connect-src) to the Rasa server, both https:// and wss://.",
      embedNoInline: "The widget needs no inline scripts or inline styles and makes no third-party requests.",
      embedLanguage: "Visitors choose the language in the chat (automatic, Swedish, Norwegian or English); the choice is sent to the assistant with every message.",
      embedDocs: "More about settings and security in docs/WIDGET.md in the project.",
      footer: "Example Group is a made-up company for this demo."
    }
  };

  function translate(language) {
    var texts = TEXTS[language] || TEXTS.en;
    document.documentElement.lang = TEXTS[language] ? language : "en";
    document.title = texts.title;
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-i18n");
      if (texts[key]) nodes[i].textContent = texts[key];
    }
    var labelled = document.querySelectorAll("[data-i18n-aria-label]");
    for (var j = 0; j < labelled.length; j++) {
      var labelKey = labelled[j].getAttribute("data-i18n-aria-label");
      if (texts[labelKey]) labelled[j].setAttribute("aria-label", texts[labelKey]);
    }
  }

  document.addEventListener("privacychat:language", function (event) {
    translate(event.detail && event.detail.language);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("open-chat");
    if (button) {
      button.addEventListener("click", function () {
        if (window.PrivacyChat) window.PrivacyChat.open();
      });
    }
  });
})();
