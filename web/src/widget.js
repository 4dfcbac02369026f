/*
 * Privacy assistant chat widget.
 *
 * Talks to Rasa's socketio channel (credentials.yml: user_uttered / bot_uttered, session_persistence)
 * through socket.io-client's own dist build, loaded before this file as the global `io`.
 *
 * Privacy and safety choices:
 * - Bot text is always inserted with textContent / text nodes, never as markup (the page's CSP also
 *   enforces Trusted Types, so an innerHTML assignment would throw).
 * - The conversation lives in sessionStorage: it survives a reload in the same tab and is gone when the
 *   tab closes. "Forget this conversation" wipes it and asks the server to delete its copy.
 * - Session ids are 128 random bits from crypto.getRandomValues: whoever knows one can read and write
 *   that conversation on Rasa's socketio channel, so they must not be guessable.
 * - No socket is opened until the visitor opens the chat (or had it open before a reload).
 */
(function () {
  "use strict";

  var STORAGE_PREFIX = "privacyChat.v1.";
  var MAX_STORED_MESSAGES = 200;
  var MAX_TEXT_LENGTH = 4000;
  var MAX_QUICK_REPLIES = 12;
  var ACK_TIMEOUT_MS = 8000;
  var TYPING_TIMEOUT_MS = 20000;
  var FORGET_PAYLOAD = "/forget_conversation";
  var LANGUAGES = ["sv", "nb", "en"];

  var TEXTS = {
    sv: {
      launcher: "Frågor om personuppgifter? Chatta med oss",
      title: "Integritetsassistenten",
      close: "Stäng chatten",
      languageLabel: "Språk",
      languageAuto: "Automatiskt",
      forget: "Glöm det här samtalet",
      forgetQuestion: "Radera hela samtalet här och hos oss?",
      forgetConfirm: "Ja, glöm det",
      forgetCancel: "Avbryt",
      forgotten: "Samtalet är glömt. Ett nytt samtal har börjat.",
      forgottenPending: "Samtalet är borttaget i den här fliken. Kopian hos oss raderas så snart anslutningen fungerar igen.",
      intro: "Hej! Fråga om hur vi hanterar personuppgifter, eller begär att få se, rätta eller radera dina uppgifter. Skriv inte personnummer här.",
      logLabel: "Samtal",
      you: "Du:",
      bot: "Assistenten:",
      quickRepliesLabel: "Svarsförslag",
      inputLabel: "Ditt meddelande",
      placeholder: "Skriv ett meddelande …",
      send: "Skicka",
      typing: "Assistenten skriver …",
      note: "Samtalet sparas i den här fliken tills du stänger den eller väljer ”Glöm det här samtalet”.",
      statusConnecting: "Ansluter …",
      statusOnline: "Ansluten",
      statusReconnecting: "Anslutningen bröts. Försöker igen ({n} av {max}) …",
      statusOffline: "Chatten når inte servern just nu. Dina meddelanden i den här fliken finns kvar.",
      statusBrowserOffline: "Din enhet verkar vara utan internet.",
      statusUnavailable: "Chatten kunde inte startas. Ladda om sidan eller försök senare.",
      retry: "Försök igen",
      notSent: "Inte ansluten: meddelandet skickades inte. Försök igen när chatten är ansluten.",
      linkNote: "(öppnas i ny flik)"
    },
    nb: {
      launcher: "Spørsmål om personopplysninger? Chat med oss",
      title: "Personvernassistenten",
      close: "Lukk chatten",
      languageLabel: "Språk",
      languageAuto: "Automatisk",
      forget: "Glem denne samtalen",
      forgetQuestion: "Slette hele samtalen her og hos oss?",
      forgetConfirm: "Ja, glem den",
      forgetCancel: "Avbryt",
      forgotten: "Samtalen er glemt. En ny samtale har startet.",
      forgottenPending: "Samtalen er fjernet i denne fanen. Kopien hos oss slettes så snart tilkoblingen virker igjen.",
      intro: "Hei! Spør om hvordan vi behandler personopplysninger, eller be om å få se, rette eller slette opplysningene dine. Ikke skriv fødselsnummer her.",
      logLabel: "Samtale",
      you: "Du:",
      bot: "Assistenten:",
      quickRepliesLabel: "Svarforslag",
      inputLabel: "Meldingen din",
      placeholder: "Skriv en melding …",
      send: "Send",
      typing: "Assistenten skriver …",
      note: "Samtalen lagres i denne fanen til du lukker den eller velger «Glem denne samtalen».",
      statusConnecting: "Kobler til …",
      statusOnline: "Tilkoblet",
      statusReconnecting: "Tilkoblingen ble brutt. Prøver igjen ({n} av {max}) …",
      statusOffline: "Chatten får ikke kontakt med serveren nå. Meldingene dine i denne fanen er tatt vare på.",
      statusBrowserOffline: "Enheten din ser ut til å være uten internett.",
      statusUnavailable: "Chatten kunne ikke starte. Last inn siden på nytt eller prøv senere.",
      retry: "Prøv igjen",
      notSent: "Ikke tilkoblet: meldingen ble ikke sendt. Prøv igjen når chatten er tilkoblet.",
      linkNote: "(åpnes i ny fane)"
    },
    en: {
      launcher: "Questions about personal data? Chat with us",
      title: "Privacy assistant",
      close: "Close the chat",
      languageLabel: "Language",
      languageAuto: "Automatic",
      forget: "Forget this conversation",
      forgetQuestion: "Delete the whole conversation here and on our side?",
      forgetConfirm: "Yes, forget it",
      forgetCancel: "Cancel",
      forgotten: "The conversation is forgotten. A new conversation has started.",
      forgottenPending: "The conversation is gone from this tab. Our copy will be deleted as soon as the connection works again.",
      intro: "Hello! Ask how we handle personal data, or ask to see, correct or delete your data. Please do not type national ID numbers here.",
      logLabel: "Conversation",
      you: "You:",
      bot: "Assistant:",
      quickRepliesLabel: "Suggested answers",
      inputLabel: "Your message",
      placeholder: "Type a message …",
      send: "Send",
      typing: "The assistant is typing …",
      note: "The conversation is kept in this tab until you close it or choose “Forget this conversation”.",
      statusConnecting: "Connecting …",
      statusOnline: "Connected",
      statusReconnecting: "Connection lost. Trying again ({n} of {max}) …",
      statusOffline: "The chat cannot reach the server right now. Your messages in this tab are kept.",
      statusBrowserOffline: "Your device seems to be offline.",
      statusUnavailable: "The chat could not start. Reload the page or try later.",
      retry: "Try again",
      notSent: "Not connected: the message was not sent. Try again once the chat is connected.",
      linkNote: "(opens in a new tab)"
    }
  };

  var LANGUAGE_NAMES = { sv: "Svenska", nb: "Norsk bokmål", en: "English" };

  // ---------------------------------------------------------------- storage (sessionStorage, fail-soft)

  var memoryStore = {};
  var store = {
    get: function (key) {
      try {
        return window.sessionStorage.getItem(STORAGE_PREFIX + key);
      } catch (e) {
        return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
      }
    },
    set: function (key, value) {
      try {
        window.sessionStorage.setItem(STORAGE_PREFIX + key, value);
      } catch (e) {
        memoryStore[key] = value; // storage disabled or full: keep it for this page view only
      }
    },
    remove: function (key) {
      try {
        window.sessionStorage.removeItem(STORAGE_PREFIX + key);
      } catch (e) { /* nothing stored */ }
      delete memoryStore[key];
    },
    getJSON: function (key, fallback) {
      var raw = store.get(key);
      if (raw === null) return fallback;
      try {
        return JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    },
    setJSON: function (key, value) {
      store.set(key, JSON.stringify(value));
    }
  };

  // ---------------------------------------------------------------- helpers

  function newSessionId() {
    var bytes = new Uint8Array(16); // 128 bits
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) {
      hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return hex;
  }

  function isSessionId(value) {
    return typeof value === "string" && /^[0-9a-f]{32}$/.test(value);
  }

  function browserLocale() {
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    return String(list[0] || "en");
  }

  // Interface language for "auto": the first browser language we have texts for.
  function languageFromBrowser() {
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < list.length; i++) {
      var primary = String(list[i] || "").toLowerCase().split("-")[0];
      if (primary === "sv") return "sv";
      if (primary === "nb" || primary === "no" || primary === "nn") return "nb";
      if (primary === "en") return "en";
    }
    return "en";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clip(value) {
    var text = typeof value === "string" ? value : "";
    return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) + "…" : text;
  }

  var URL_PATTERN = /https:\/\/[^\s<>"'()]+/g;

  // Text with https links made clickable; everything is a text node or an <a> built here, never markup.
  function appendRichText(parent, text, linkNote) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?]+$/, "");
      var url = null;
      try {
        url = new URL(raw);
      } catch (e) {
        url = null;
      }
      if (!url || url.protocol !== "https:") continue;
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", "pc-link", raw);
      link.href = url.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      link.setAttribute("aria-label", raw + " " + linkNote);
      parent.appendChild(link);
      last = match.index + raw.length;
      URL_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Rasa's socketio output sends `quick_replies`; other senders (custom JSON) use `buttons`.
  function quickRepliesOf(data) {
    var list = Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [];
    var replies = [];
    for (var i = 0; i < list.length && replies.length < MAX_QUICK_REPLIES; i++) {
      var item = list[i] || {};
      var title = typeof item.title === "string" ? item.title : "";
      var payload = typeof item.payload === "string" ? item.payload : title;
      if (title && payload) replies.push({ title: clip(title), payload: clip(payload) });
    }
    return replies;
  }

  // ---------------------------------------------------------------- the widget

  function Widget(mount) {
    this.mount = mount;
    var dataset = mount.dataset || {};
    this.rasaUrl = dataset.rasaUrl || "http://localhost:5005";
    this.reconnectAttempts = Math.max(1, parseInt(dataset.reconnectAttempts || "3", 10) || 3);
    this.choice = store.get("language") || "auto";
    if (this.choice !== "auto" && LANGUAGES.indexOf(this.choice) < 0) this.choice = "auto";
    var storedId = store.get("sessionId");
    this.sessionId = isSessionId(storedId) ? storedId : newSessionId();
    store.set("sessionId", this.sessionId);
    this.messages = store.getJSON("messages", []);
    if (!Array.isArray(this.messages)) this.messages = [];
    this.socket = null;
    this.ready = false; // socket connected and session confirmed
    this.state = "idle";
    this.attempt = 0;
    this.typingTimer = null;
    this.build();
    this.applyTexts(); // also renders the stored messages
    if (store.get("open") === "1") this.open(false);
  }

  Widget.prototype.t = function (key) {
    var lang = this.uiLanguage();
    return (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key;
  };

  Widget.prototype.uiLanguage = function () {
    return this.choice === "auto" ? languageFromBrowser() : this.choice;
  };

  // What Rasa receives as message metadata; the language slot mapping reads `language` or `locale`.
  Widget.prototype.metadata = function () {
    return this.choice === "auto" ? { locale: browserLocale() } : { language: this.choice };
  };

  Widget.prototype.build = function () {
    var self = this;
    var root = el("div", "pc-root");
    this.root = root;

    this.launcher = el("button", "pc-launcher");
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-controls", "privacy-chat-panel");
    this.launcher.addEventListener("click", function () {
      if (self.panel.hidden) self.open(true);
      else self.close();
    });

    var panel = el("section", "pc-panel");
    panel.id = "privacy-chat-panel";
    panel.hidden = true;
    panel.setAttribute("aria-labelledby", "privacy-chat-title");
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        self.close();
      }
    });
    this.panel = panel;

    var header = el("div", "pc-header");
    this.title = el("h2", "pc-title");
    this.title.id = "privacy-chat-title";
    this.closeButton = el("button", "pc-close");
    this.closeButton.type = "button";
    this.closeButton.appendChild(el("span", "pc-close-mark", "×")).setAttribute("aria-hidden", "true");
    this.closeButton.addEventListener("click", function () { self.close(); });
    header.appendChild(this.title);
    header.appendChild(this.closeButton);

    var toolbar = el("div", "pc-toolbar");
    this.languageLabel = el("label", "pc-language-label");
    this.languageLabel.htmlFor = "privacy-chat-language";
    this.languageSelect = el("select", "pc-language");
    this.languageSelect.id = "privacy-chat-language";
    ["auto"].concat(LANGUAGES).forEach(function (code) {
      var option = el("option", null, code === "auto" ? "" : LANGUAGE_NAMES[code]);
      option.value = code;
      if (code !== "auto") option.lang = code;
      self.languageSelect.appendChild(option);
    });
    this.languageSelect.value = this.choice;
    this.languageSelect.addEventListener("change", function () { self.setLanguage(self.languageSelect.value); });
    this.forgetButton = el("button", "pc-forget");
    this.forgetButton.type = "button";
    this.forgetButton.addEventListener("click", function () { self.askForget(); });
    toolbar.appendChild(this.languageLabel);
    toolbar.appendChild(this.languageSelect);
    toolbar.appendChild(this.forgetButton);

    this.confirmBox = el("div", "pc-confirm");
    this.confirmBox.hidden = true;
    this.confirmText = el("p", "pc-confirm-text");
    this.confirmYes = el("button", "pc-confirm-yes");
    this.confirmYes.type = "button";
    this.confirmYes.addEventListener("click", function () { self.forget(); });
    this.confirmNo = el("button", "pc-confirm-no");
    this.confirmNo.type = "button";
    this.confirmNo.addEventListener("click", function () {
      self.confirmBox.hidden = true;
      self.forgetButton.focus();
    });
    this.confirmBox.appendChild(this.confirmText);
    this.confirmBox.appendChild(this.confirmYes);
    this.confirmBox.appendChild(this.confirmNo);

    this.status = el("div", "pc-status");
    this.status.setAttribute("role", "status");
    this.status.dataset.state = "idle";
    this.statusText = el("span", "pc-status-text");
    this.retryButton = el("button", "pc-retry");
    this.retryButton.type = "button";
    this.retryButton.hidden = true;
    this.retryButton.addEventListener("click", function () { self.retry(); });
    this.status.appendChild(this.statusText);
    this.status.appendChild(this.retryButton);

    // The log is focusable so keyboard users can scroll it; announcements go through `live` so that only
    // new bot messages are read out (not the user's own, not history restored after a reload).
    this.log = el("div", "pc-log");
    this.log.tabIndex = 0;
    this.log.setAttribute("role", "region");
    this.intro = el("p", "pc-intro");
    this.list = el("div", "pc-messages");
    this.typing = el("p", "pc-typing");
    this.typing.hidden = true;
    this.log.appendChild(this.intro);
    this.log.appendChild(this.list);
    this.log.appendChild(this.typing);

    this.live = el("div", "pc-visually-hidden");
    this.live.setAttribute("aria-live", "polite");
    this.live.setAttribute("aria-atomic", "false");

    var form = el("form", "pc-form");
    form.noValidate = true;
    this.inputLabel = el("label", "pc-visually-hidden");
    this.inputLabel.htmlFor = "privacy-chat-input";
    this.input = el("textarea", "pc-input");
    this.input.id = "privacy-chat-input";
    this.input.rows = 2;
    this.input.maxLength = 2000;
    this.input.autocomplete = "off";
    this.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter makes a new line; never interrupt an IME composition.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submitInput();
      }
    });
    this.sendButton = el("button", "pc-send");
    this.sendButton.type = "submit";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submitInput();
    });
    form.appendChild(this.inputLabel);
    form.appendChild(this.input);
    form.appendChild(this.sendButton);
    this.formNote = el("p", "pc-form-note");
    this.formNote.hidden = true;

    this.note = el("p", "pc-note");

    panel.appendChild(header);
    panel.appendChild(toolbar);
    panel.appendChild(this.confirmBox);
    panel.appendChild(this.status);
    panel.appendChild(this.log);
    panel.appendChild(this.live);
    panel.appendChild(this.formNote);
    panel.appendChild(form);
    panel.appendChild(this.note);

    root.appendChild(panel);
    root.appendChild(this.launcher);
    this.mount.appendChild(root);

    window.addEventListener("offline", function () { self.showStatus(); });
    window.addEventListener("online", function () {
      if (self.state === "offline") self.retry();
      else self.showStatus();
    });
  };

  Widget.prototype.applyTexts = function () {
    var lang = this.uiLanguage();
    this.root.lang = lang;
    this.launcher.textContent = this.t("launcher");
    this.title.textContent = this.t("title");
    this.closeButton.setAttribute("aria-label", this.t("close"));
    this.languageLabel.textContent = this.t("languageLabel");
    this.languageSelect.options[0].textContent = this.t("languageAuto");
    this.forgetButton.textContent = this.t("forget");
    this.confirmText.textContent = this.t("forgetQuestion");
    this.confirmYes.textContent = this.t("forgetConfirm");
    this.confirmNo.textContent = this.t("forgetCancel");
    this.retryButton.textContent = this.t("retry");
    this.log.setAttribute("aria-label", this.t("logLabel"));
    this.intro.textContent = this.t("intro");
    this.typing.textContent = this.t("typing");
    this.inputLabel.textContent = this.t("inputLabel");
    this.input.placeholder = this.t("placeholder");
    this.sendButton.textContent = this.t("send");
    this.note.textContent = this.t("note");
    if (!this.formNote.hidden) this.formNote.textContent = this.t("notSent");
    this.showStatus();
    this.renderAll(); // speaker labels and quick-reply group labels are in the interface language
  };

  Widget.prototype.setLanguage = function (choice) {
    this.choice = choice === "auto" || LANGUAGES.indexOf(choice) >= 0 ? choice : "auto";
    store.set("language", this.choice);
    this.applyTexts();
    document.dispatchEvent(new CustomEvent("privacychat:language", { detail: { language: this.uiLanguage() } }));
  };

  // ------------------------------------------------------------ open / close

  Widget.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.root.classList.add("pc-open");
    this.launcher.setAttribute("aria-expanded", "true");
    store.set("open", "1");
    this.connect();
    this.scrollToEnd();
    if (focus) this.input.focus();
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.root.classList.remove("pc-open");
    this.launcher.setAttribute("aria-expanded", "false");
    store.remove("open");
    this.launcher.focus();
  };

  // ------------------------------------------------------------ connection

  Widget.prototype.connect = function () {
    var self = this;
    if (this.socket) return;
    if (typeof window.io !== "function") {
      this.setState("unavailable");
      return;
    }
    var target;
    try {
      target = new URL(this.rasaUrl, window.location.href);
    } catch (e) {
      this.setState("unavailable");
      return;
    }
    var prefix = target.pathname.replace(/\/+$/, "");
    this.setState("connecting");
    this.socket = window.io(target.origin, {
      path: prefix + "/socket.io",
      // WebSocket only: one long-lived connection, no cross-origin long-polling requests that would
      // need CORS on Rasa's side.
      transports: ["websocket"],
      reconnection: true,
      reconnectionAttempts: this.reconnectAttempts,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 4000,
      timeout: 8000,
      autoConnect: false
    });
    var socket = this.socket;

    socket.on("connect", function () {
      self.ready = false;
      // Rasa joins this socket to the room of the session id; bot_uttered for it comes to us.
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function (confirmed) {
      var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
      if (id && id !== self.sessionId) return; // a late confirmation of a session we already left
      self.ready = true;
      self.attempt = 0;
      self.setState("online");
      self.flushPendingForgets();
    });
    socket.on("bot_uttered", function (data) { self.receive(data); });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      if (reason === "io client disconnect") return; // we closed it on purpose
      if (reason === "io server disconnect") {
        self.setState("offline"); // the server closed it; socket.io does not retry this on its own
        return;
      }
      self.setState("reconnecting");
    });
    socket.on("connect_error", function () {
      if (self.state === "connecting" && !socket.active) self.setState("offline");
    });
    socket.io.on("reconnect_attempt", function (attempt) {
      self.attempt = attempt;
      self.setState("reconnecting");
    });
    socket.io.on("reconnect_failed", function () { self.setState("offline"); });
    socket.connect();
  };

  Widget.prototype.retry = function () {
    if (!this.socket) {
      this.connect();
      return;
    }
    this.attempt = 0;
    this.setState("connecting");
    if (!this.socket.connected) this.socket.connect();
  };

  Widget.prototype.setState = function (state) {
    this.state = state;
    this.showStatus();
  };

  Widget.prototype.showStatus = function () {
    var state = this.state;
    var text = "";
    if (state === "connecting") text = this.t("statusConnecting");
    else if (state === "online") text = this.t("statusOnline");
    else if (state === "reconnecting")
      text = this.t("statusReconnecting")
        .replace("{n}", String(Math.max(1, this.attempt)))
        .replace("{max}", String(this.reconnectAttempts));
    else if (state === "offline") text = this.t("statusOffline");
    else if (state === "unavailable") text = this.t("statusUnavailable");
    if (navigator.onLine === false && state !== "online") text += " " + this.t("statusBrowserOffline");
    this.status.dataset.state = state;
    this.statusText.textContent = text;
    this.retryButton.hidden = state !== "offline";
    var usable = state === "online";
    this.sendButton.setAttribute("aria-disabled", usable ? "false" : "true");
    if (usable) this.formNote.hidden = true;
  };

  // ------------------------------------------------------------ messages

  Widget.prototype.submitInput = function () {
    var text = this.input.value.trim();
    if (!text) return;
    if (this.send(text, text)) {
      this.input.value = "";
    }
  };

  // Sends `payload` to Rasa and shows `shown` as the user's message. False if not connected.
  Widget.prototype.send = function (payload, shown) {
    if (!this.socket || !this.ready) {
      this.formNote.textContent = this.t("notSent");
      this.formNote.hidden = false;
      if (this.state === "offline") this.retryButton.focus();
      return false;
    }
    this.formNote.hidden = true;
    this.socket.emit("user_uttered", {
      message: payload,
      session_id: this.sessionId,
      metadata: this.metadata()
    });
    this.retireQuickReplies();
    this.addMessage({ from: "user", text: clip(shown) });
    this.showTyping(true);
    return true;
  };

  Widget.prototype.receive = function (data) {
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? clip(data.text) : "";
    var replies = quickRepliesOf(data);
    // Images, templates and custom payloads are not shown: an image URL would be a third-party request.
    if (!text && !replies.length) return;
    this.showTyping(false);
    this.addMessage({ from: "bot", text: text, replies: replies });
    this.announce(text, replies);
  };

  Widget.prototype.retireQuickReplies = function () {
    var changed = false;
    for (var i = 0; i < this.messages.length; i++) {
      if (this.messages[i].replies && this.messages[i].replies.length) {
        this.messages[i].replies = [];
        changed = true;
      }
    }
    if (changed) this.renderAll();
  };

  Widget.prototype.addMessage = function (message) {
    this.messages.push(message);
    if (this.messages.length > MAX_STORED_MESSAGES) this.messages = this.messages.slice(-MAX_STORED_MESSAGES);
    store.setJSON("messages", this.messages);
    this.list.appendChild(this.renderMessage(message, this.messages.length - 1));
    this.scrollToEnd();
  };

  Widget.prototype.renderAll = function () {
    while (this.list.firstChild) this.list.removeChild(this.list.firstChild);
    for (var i = 0; i < this.messages.length; i++) {
      this.list.appendChild(this.renderMessage(this.messages[i], i));
    }
    this.scrollToEnd();
  };

  Widget.prototype.renderMessage = function (message, index) {
    var self = this;
    var from = message.from === "user" ? "user" : message.from === "bot" ? "bot" : "system";
    var wrapper = el("div", "pc-msg pc-msg-" + from);
    if (from !== "system") {
      wrapper.appendChild(el("span", "pc-visually-hidden", from === "user" ? this.t("you") : this.t("bot")));
    }
    if (message.text) {
      var bubble = el("p", "pc-bubble");
      if (from === "bot") appendRichText(bubble, String(message.text), this.t("linkNote"));
      else bubble.textContent = String(message.text);
      wrapper.appendChild(bubble);
    }
    var replies = Array.isArray(message.replies) ? message.replies : [];
    if (from === "bot" && replies.length && index === this.messages.length - 1) {
      var group = el("div", "pc-quick-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", this.t("quickRepliesLabel"));
      replies.forEach(function (reply) {
        var button = el("button", "pc-quick-reply", reply.title);
        button.type = "button";
        button.addEventListener("click", function () {
          if (self.send(reply.payload, reply.title)) self.input.focus();
        });
        group.appendChild(button);
      });
      wrapper.appendChild(group);
    }
    return wrapper;
  };

  Widget.prototype.announce = function (text, replies) {
    var spoken = text;
    if (replies.length) {
      spoken += (spoken ? " " : "") + this.t("quickRepliesLabel") + ": " +
        replies.map(function (r) { return r.title; }).join(", ") + ".";
    }
    this.live.appendChild(el("p", null, spoken));
    while (this.live.childNodes.length > 3) this.live.removeChild(this.live.firstChild);
  };

  Widget.prototype.showTyping = function (on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.typingTimer = setTimeout(function () { self.typing.hidden = true; }, TYPING_TIMEOUT_MS);
      this.scrollToEnd();
    }
  };

  Widget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.systemNote = function (text) {
    // Shown, not stored: it describes what just happened in this tab.
    var note = el("p", "pc-msg pc-msg-system", text);
    this.list.appendChild(note);
    this.live.appendChild(el("p", null, text));
  };

  // ------------------------------------------------------------ forget

  Widget.prototype.askForget = function () {
    this.confirmBox.hidden = false;
    this.confirmYes.focus();
  };

  // Wipes the tab's copy at once; the server's copy is deleted by sending the agreed intent for the old
  // session id, now or (if offline) as soon as a connection works. Only that id is kept until then.
  Widget.prototype.forget = function () {
    var oldId = this.sessionId;
    var pending = store.getJSON("pendingForget", []);
    if (!Array.isArray(pending)) pending = [];
    // Rasa only has a conversation for the id once something was sent in it.
    if (this.messages.length) pending.push(oldId);

    store.remove("messages");
    store.remove("sessionId");
    this.messages = [];
    this.sessionId = newSessionId();
    store.set("sessionId", this.sessionId);
    store.setJSON("pendingForget", pending.filter(isSessionId));
    this.confirmBox.hidden = true;
    this.showTyping(false);
    this.renderAll();
    this.input.value = "";

    var wasOnline = this.socket && this.socket.connected;
    this.systemNote(this.t(wasOnline ? "forgotten" : "forgottenPending"));
    if (this.socket) {
      // A new socket connection leaves the old session's room, so no late reply of it reaches this tab.
      this.ready = false;
      this.socket.disconnect();
      this.setState("connecting");
      this.socket.connect();
    } else {
      this.connect();
    }
    this.input.focus();
  };

  Widget.prototype.flushPendingForgets = function () {
    var self = this;
    var pending = store.getJSON("pendingForget", []);
    if (!Array.isArray(pending) || !pending.length || !this.socket) return;
    pending.forEach(function (id) {
      if (!isSessionId(id) || id === self.sessionId) return;
      self.socket.timeout(ACK_TIMEOUT_MS).emit(
        "user_uttered",
        { message: FORGET_PAYLOAD, session_id: id, metadata: self.metadata() },
        function (err) {
          if (err) return; // no acknowledgement: try again on the next connection
          var left = store.getJSON("pendingForget", []).filter(function (x) { return x !== id; });
          if (left.length) store.setJSON("pendingForget", left);
          else store.remove("pendingForget");
        }
      );
    });
  };

  // ---------------------------------------------------------------- start

  function start() {
    var mount = document.getElementById("privacy-chat");
    if (!mount || mount.dataset.started) return;
    mount.dataset.started = "1";
    var widget = new Widget(mount);
    window.PrivacyChat = {
      open: function () { widget.open(true); },
      close: function () { widget.close(); },
      language: function () { return widget.uiLanguage(); }
    };
    document.dispatchEvent(new CustomEvent("privacychat:language", { detail: { language: widget.uiLanguage() } }));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
