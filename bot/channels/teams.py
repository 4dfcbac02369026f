"""Microsoft Teams channel for Rasa (`bot.channels.teams.TeamsInput`, served at /webhooks/teams/webhook).

Why not Rasa's `botframework` channel: it checks neither issuer nor tenant, fetches keys at start-up,
posts replies with blocking calls without timeouts, supports only multi-tenant apps, drops locale,
tenant, aadObjectId and card submits, and answers 200 even when it failed. This one:

* validates the Bot Framework JWT fully (see `teams_auth`), and the tenant against an allow-list;
* hands Rasa the locale, tenant, user ids, `is_staff` and Adaptive Card submits as message metadata;
* answers 200 once Rasa has handled the message (4xx for bad requests, 5xx when handling raised);
* posts replies in the background, in order per conversation, with timeouts and bounded retries
  (see `teams_connector`), so a slow Teams region never blocks other conversations.

Status codes: 401 bad/missing token, 403 tenant not allowed, 400 malformed activity, 413 too large,
503 signing keys unavailable, 500 Rasa raised. Logs: activity ids and outcomes only.

Without any Teams settings (no app id, password or tenants) the channel is off but its routes exist:
`TeamsNotConfiguredInput` answers 503 and touches no network, so credentials.yml can always list Teams.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.cards import ADAPTIVE_CARD_CONTENT_TYPE, CARD_PARSERS, CARD_SUBMIT_TEXT, CardValidationError
from bot.channels.teams_auth import (
    AuthenticationError,
    ConnectorTokenProvider,
    InboundTokenValidator,
    KeysUnavailableError,
    SigningKeyCache,
)
from bot.channels.teams_config import (
    BUTTONS_AS_SUGGESTED_ACTIONS,
    TeamsNotConfigured,
    TeamsSettings,
    load_settings,
)
from bot.channels.teams_connector import (
    ConnectorClient,
    ConversationOutbox,
    OutgoingActivity,
    is_acceptable_service_url,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "teams"
MAX_BODY_BYTES = 256 * 1024
MAX_TEXT_CHARS = 5000
MAX_CARD_KEYS = 50
MAX_CARD_STRING = 4000
SUGGESTED_ACTIONS_LIMIT = 3  # Teams shows at most three suggested actions
DUPLICATE_WINDOW_S = 600.0  # Bot Framework redelivers an activity when we were slow; handle it once
_MENTION = re.compile(r"<at>[^<]{0,200}</at>", re.IGNORECASE)
_CARD_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


class MalformedActivity(ValueError):
    pass


class TeamsOutput(OutputChannel):
    """Queues replies to one incoming activity; `ConversationOutbox` posts them in order."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, outbox: ConversationOutbox, settings: TeamsSettings, activity: Mapping[str, Any]) -> None:
        self._outbox = outbox
        self._settings = settings
        self.service_url: str = activity["serviceUrl"]
        self.conversation: Dict[str, Any] = activity["conversation"]
        self.reply_to_id: Optional[str] = activity.get("id")
        self.bot: Dict[str, Any] = dict(activity.get("recipient") or {})
        self.user_id: str = activity["from"]["id"]
        self.locale: Optional[str] = activity.get("locale")
        self.conversation_type: Optional[str] = self.conversation.get("conversationType")

    # -- activity plumbing --------------------------------------------------------------------------------

    def _activity(self, fields: Mapping[str, Any]) -> Dict[str, Any]:
        activity: Dict[str, Any] = {"type": "message"}
        activity.update(fields)
        # Addressing is ours; a custom payload cannot redirect a reply to another conversation.
        activity["from"] = {k: v for k, v in self.bot.items() if k in ("id", "name")}
        activity["recipient"] = {"id": self.user_id}
        activity["conversation"] = {"id": self.conversation["id"]}
        if self.reply_to_id:
            activity["replyToId"] = self.reply_to_id
        if self.locale and "locale" not in fields:
            activity["locale"] = self.locale
        return activity

    def _queue(self, fields: Mapping[str, Any]) -> None:
        self._outbox.enqueue(
            OutgoingActivity(
                service_url=self.service_url,
                conversation_id=self.conversation["id"],
                reply_to_id=self.reply_to_id,
                payload=self._activity(fields),
                incoming_activity_id=str(self.reply_to_id),
            )
        )

    # -- Rasa's OutputChannel API -------------------------------------------------------------------------

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._queue({"text": text, "textFormat": "markdown"})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self._queue({"attachments": [{"contentType": "application/vnd.microsoft.card.hero",
                                      "content": {"images": [{"url": image}]}}]})

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, Mapping) and attachment.get("contentType"):
            self._queue({"attachments": [dict(attachment)]})
        else:
            await super().send_attachment(recipient_id, attachment, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        use_suggested = (
            self._settings.button_style == BUTTONS_AS_SUGGESTED_ACTIONS
            and self.conversation_type in (None, "personal")
            and len(buttons) <= SUGGESTED_ACTIONS_LIMIT
        )
        if use_suggested:
            # Suggested actions only support imBack, which posts `value` as the user's visible message.
            # An intent payload ("/affirm") would show up as is, so the title is sent for those.
            actions = [
                {"type": "imBack", "title": b.get("title", ""),
                 "value": b["title"] if str(b.get("payload", "")).startswith("/") else b.get("payload", b.get("title"))}
                for b in buttons
            ]
            self._queue({"text": text, "textFormat": "markdown", "suggestedActions": {"actions": actions}})
            return
        # Hero card + messageBack: Rasa receives the exact payload, the chat shows the title; works in every scope.
        card_buttons = [
            {"type": "messageBack", "title": b.get("title", ""), "text": b.get("payload", b.get("title", "")),
             "displayText": b.get("title", "")}
            if b.get("type") != "web_url" else {"type": "openUrl", "title": b.get("title", ""), "value": b.get("url")}
            for b in buttons
        ]
        self._queue({"attachments": [{"contentType": "application/vnd.microsoft.card.hero",
                                      "content": {"text": text, "buttons": card_buttons}}]})

    async def send_elements(self, recipient_id: str, elements: Iterable[Dict[str, Any]], **kwargs: Any) -> None:
        cards = []
        for element in elements:
            buttons = [{"type": "messageBack", "title": b.get("title", ""), "text": b.get("payload", ""),
                        "displayText": b.get("title", "")} for b in element.get("buttons", [])]
            content: Dict[str, Any] = {"title": element.get("title", ""), "subtitle": element.get("subtitle", ""),
                                       "buttons": buttons}
            if element.get("image_url"):
                content["images"] = [{"url": element["image_url"]}]
            cards.append({"contentType": "application/vnd.microsoft.card.hero", "content": content})
        if cards:
            self._queue({"attachmentLayout": "carousel", "attachments": cards})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Pass a Bot Framework payload through: a whole message activity (`attachments`, `text`, ...),
        a single attachment (`contentType` + `content`) or a bare Adaptive Card (`type: AdaptiveCard`)."""
        if not isinstance(json_message, Mapping):
            logger.warning("teams.reply custom json ignored (not an object) activity=%s", self.reply_to_id)
            return
        if json_message.get("type") == "AdaptiveCard":
            fields: Dict[str, Any] = {"attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE,
                                                       "content": dict(json_message)}]}
        elif "contentType" in json_message:
            fields = {"attachments": [dict(json_message)]}
        else:
            fields = {k: v for k, v in json_message.items()
                      if k not in ("from", "recipient", "conversation", "replyToId", "serviceUrl", "id")}
            fields["type"] = "message"
        self._queue(fields)


class _ExpiringCache:
    """Small bounded cache with per-entry expiry (user roster look-ups, seen activity ids)."""

    def __init__(self, ttl_s: float, max_items: int = 5000) -> None:
        self._ttl = ttl_s
        self._max = max_items
        self._items: "OrderedDict[Any, Tuple[float, Any]]" = OrderedDict()

    def get(self, key: Any) -> Any:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return found[1]

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def put(self, key: Any, value: Any) -> None:
        self._items[key] = (time.monotonic() + self._ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def discard(self, key: Any) -> None:
        self._items.pop(key, None)


class TeamsInput(InputChannel):
    """The Teams webhook. credentials.yml: `bot.channels.teams.TeamsInput:` (options: docs/TEAMS.md)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """The channel for credentials.yml's block; secrets normally come from the environment (.env).

        With no Teams identity settings at all, a `TeamsNotConfiguredInput` (503 on the webhook) is returned,
        so credentials.yml can always list Teams; a half configuration raises `TeamsConfigError`."""
        try:
            settings = load_settings(credentials)
        except TeamsNotConfigured:
            logger.warning("teams.channel not configured: /webhooks/teams/webhook answers 503 until "
                           "TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_IDS are set (docs/TEAMS.md)")
            return TeamsNotConfiguredInput()
        return cls(settings)

    def __init__(self, settings: TeamsSettings) -> None:
        self.settings = settings
        self._session: Optional[aiohttp.ClientSession] = None
        self.signing_keys = SigningKeyCache(settings, self._get_session)
        self.validator = InboundTokenValidator(settings, self.signing_keys)
        self.tokens = ConnectorTokenProvider(settings, self._get_session)
        self.connector = ConnectorClient(settings, self._get_session, self.tokens)
        self.outbox = ConversationOutbox(self.connector)
        self._members = _ExpiringCache(settings.member_cache_ttl_s)
        self._seen_activities = _ExpiringCache(DUPLICATE_WINDOW_S)

    async def _get_session(self) -> aiohttp.ClientSession:
        # Created lazily inside the server's event loop; nothing touches the network at start-up.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(raise_for_status=False)
        return self._session

    async def close(self) -> None:
        """Let queued replies go out (bounded), then release the HTTP session."""
        await self.outbox.drain(self.settings.delivery.shutdown_drain_s)
        if self._session is not None and not self._session.closed:
            await self._session.close()

    # -- request handling ---------------------------------------------------------------------------------

    def tenant_of(self, activity: Mapping[str, Any]) -> Optional[str]:
        """The activity's tenant; None when absent or when channelData and conversation disagree."""
        channel_data = activity.get("channelData") if isinstance(activity.get("channelData"), Mapping) else {}
        tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), Mapping) else {}
        conversation = activity.get("conversation") if isinstance(activity.get("conversation"), Mapping) else {}
        found = {str(t).lower() for t in (tenant.get("id"), conversation.get("tenantId")) if t}
        return found.pop() if len(found) == 1 else None

    @staticmethod
    def check_shape(activity: Any) -> None:
        if not isinstance(activity, dict):
            raise MalformedActivity("body is not a JSON object")
        if not isinstance(activity.get("type"), str):
            raise MalformedActivity("missing type")
        if activity["type"] != "message":
            return
        if not isinstance(activity.get("id"), str) or not activity["id"]:
            raise MalformedActivity("missing id")
        if not is_acceptable_service_url(activity.get("serviceUrl")):
            raise MalformedActivity("missing or unacceptable serviceUrl")
        for part in ("conversation", "from"):
            if not isinstance(activity.get(part), dict) or not isinstance(activity[part].get("id"), str) \
                    or not activity[part]["id"]:
                raise MalformedActivity(f"missing {part}.id")
        for optional in ("text", "locale"):
            if activity.get(optional) is not None and not isinstance(activity[optional], str):
                raise MalformedActivity(f"{optional} is not a string")
        if activity.get("value") is not None and not isinstance(activity["value"], dict):
            raise MalformedActivity("value is not an object")

    def sender_id(self, activity: Mapping[str, Any]) -> str:
        """One Rasa conversation per user in a 1:1 chat; per user and conversation in a team or group chat."""
        user_id = activity["from"]["id"]
        conversation = activity["conversation"]
        if conversation.get("conversationType") in (None, "personal"):
            return user_id
        return f"{user_id}|{conversation['id']}"

    @staticmethod
    def text_of(activity: Mapping[str, Any]) -> str:
        text = _MENTION.sub(" ", activity.get("text") or "")  # "<at>Bot</at> hi" in channels and group chats
        return text.strip()[:MAX_TEXT_CHARS]

    def card_metadata(self, value: Mapping[str, Any]) -> Dict[str, Any]:
        """The metadata for an Adaptive Card submit: parsed values for cards we know, bounded copy otherwise."""
        card_id = value.get("card_id")
        card_id = card_id if isinstance(card_id, str) and _CARD_ID.match(card_id) else None
        parser = CARD_PARSERS.get(card_id) if card_id else None
        if parser is not None:
            try:
                return {"card_id": card_id, "card_values": parser(value), "card_errors": {}}
            except CardValidationError as error:
                return {"card_id": card_id, "card_values": None, "card_errors": error.errors}
        cleaned: Dict[str, Any] = {}
        for key, item in list(value.items())[:MAX_CARD_KEYS]:
            if not isinstance(key, str) or len(key) > 64:
                continue
            if isinstance(item, str):
                cleaned[key] = item[:MAX_CARD_STRING]
            elif isinstance(item, (bool, int, float)) or item is None:
                cleaned[key] = item
        return {"card_id": card_id, "card_values": cleaned, "card_errors": {}}

    async def _member(self, activity: Mapping[str, Any], tenant: str) -> Dict[str, Any]:
        if not self.settings.resolve_user_email:
            return {}
        key = (tenant, activity["from"]["id"])
        cached = self._members.get(key)
        if cached is not None:
            return cached
        found = await self.connector.get_member(activity["serviceUrl"], activity["conversation"]["id"],
                                                activity["from"]["id"])
        member = {k: found.get(k) for k in ("email", "userPrincipalName") if isinstance(found.get(k), str)} \
            if found else {}
        if found is not None:  # failures are not cached, so the next message tries again
            self._members.put(key, member)
        return member

    async def build_metadata(self, activity: Mapping[str, Any], tenant: str) -> Dict[str, Any]:
        sender = activity["from"]
        member = await self._member(activity, tenant)
        user = {
            "id": sender.get("id"),
            "aad_object_id": sender.get("aadObjectId"),
            "name": sender.get("name"),
            "email": member.get("email"),
            "upn": member.get("userPrincipalName"),
        }
        metadata: Dict[str, Any] = {
            "channel": CHANNEL_NAME,
            "activity_id": activity.get("id"),
            "locale": activity.get("locale"),
            "tenant_id": tenant,
            "aad_object_id": sender.get("aadObjectId"),
            "user_name": sender.get("name"),
            "user": user,
            # Only activities from allowed tenants get this far, and their Teams users are employees.
            "is_staff": True,
            "conversation_type": activity["conversation"].get("conversationType") or "personal",
        }
        value = activity.get("value")
        if isinstance(value, dict) and value and not self.text_of(activity):
            metadata.update(self.card_metadata(value))
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        teams_webhook = Blueprint(f"teams_webhook_{id(self)}", __name__)

        @teams_webhook.listener("before_server_stop")
        async def _drain(app: Any, loop: Any) -> None:
            await self.close()

        @teams_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @teams_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return teams_webhook

    async def handle(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            token = await self.validator.validate(request.headers.get("Authorization"))
        except AuthenticationError as error:
            logger.warning("teams.webhook rejected: %s", error.reason)
            return _error(401, "unauthorized", "The request is not authenticated by the Bot Framework.")
        except KeysUnavailableError:
            return _error(503, "keys_unavailable", "Signing keys could not be loaded; try again later.")

        if len(request.body or b"") > MAX_BODY_BYTES:
            return _error(413, "too_large", "Activity too large.")
        try:
            activity = json.loads(request.body or b"")
            self.check_shape(activity)
        except (ValueError, MalformedActivity) as error:
            reason = str(error) if isinstance(error, MalformedActivity) else "invalid JSON"
            logger.warning("teams.webhook malformed activity: %s", reason)
            return _error(400, "malformed_activity", reason)
        activity_id = activity.get("id")

        try:
            token.check_activity(activity.get("channelId"), activity.get("serviceUrl"))
        except AuthenticationError as error:
            logger.warning("teams.webhook rejected activity=%s: %s", activity_id, error.reason)
            return _error(401, "unauthorized", "The token does not match the activity.")

        tenant = self.tenant_of(activity)
        if tenant is None or tenant not in self.settings.allowed_tenant_ids:
            logger.warning("teams.webhook tenant not allowed activity=%s", activity_id)
            return _error(403, "tenant_not_allowed", "This organisation may not use this bot.")

        if activity["type"] != "message":
            logger.info("teams.webhook ignored type=%s activity=%s", activity["type"], activity_id)
            return response.json({"status": "ignored"}, status=200)

        text = self.text_of(activity)
        has_card_values = isinstance(activity.get("value"), dict) and bool(activity["value"])
        if not text and not has_card_values:
            logger.info("teams.webhook ignored empty message activity=%s", activity_id)
            return response.json({"status": "ignored"}, status=200)

        seen_key = (activity["conversation"]["id"], activity_id)
        if seen_key in self._seen_activities:
            logger.info("teams.webhook duplicate activity=%s", activity_id)
            return response.json({"status": "duplicate"}, status=200)
        self._seen_activities.put(seen_key, True)

        metadata = await self.build_metadata(activity, tenant)
        message = UserMessage(
            text=text or CARD_SUBMIT_TEXT,
            output_channel=TeamsOutput(self.outbox, self.settings, activity),
            sender_id=self.sender_id(activity),
            input_channel=self.name(),
            message_id=activity_id,
            metadata=metadata,
        )
        started = time.monotonic()
        try:
            await on_new_message(message)
        except Exception as error:
            self._seen_activities.discard(seen_key)  # let the Bot Framework's redelivery try again
            # The error's text may quote the message, so the traceback is only logged at debug level.
            logger.error("teams.webhook handling failed activity=%s error=%s", activity_id, type(error).__name__)
            logger.debug("teams.webhook handling failure", exc_info=True)
            return _error(500, "handling_failed", "The message could not be handled.")
        logger.info("teams.webhook accepted activity=%s card=%s handled_in=%.2fs", activity_id,
                    metadata.get("card_id") if has_card_values and not text else None, time.monotonic() - started)
        return response.json({"status": "accepted"}, status=200)


NOT_CONFIGURED_MESSAGE = ("The Microsoft Teams channel is not configured on this server "
                          "(TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_IDS are not set; see docs/TEAMS.md).")


class TeamsNotConfiguredInput(InputChannel):
    """Teams listed in credentials.yml but not set up: same name and routes, every request answers 503.

    It holds no secrets and never fetches keys or tokens, so a server without Azure settings (`make run` on a
    laptop) can start with the default credentials.yml. 503 rather than 404 so the Bot Framework (if it
    was pointed here by mistake) retries, and an operator sees at once what is missing."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return TeamsInput.from_credentials(credentials)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        teams_webhook = Blueprint(f"teams_webhook_{id(self)}", __name__)

        @teams_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "not_configured", "error": {"code": "teams_not_configured",
                                                                        "message": NOT_CONFIGURED_MESSAGE}},
                                 status=503)

        @teams_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return _error(503, "teams_not_configured", NOT_CONFIGURED_MESSAGE)

        return teams_webhook
