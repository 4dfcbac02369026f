""""Forget this conversation" (the widget's button sends /forget_conversation; people also say it).

The transcript is erased the way an erasure case erases one: through the backend's transcript-erasure outbox
(POST /api/v1/conversations/erasure, backend/services/transcripts.py), which delivers it to Rasa's
`/webhooks/transcripts/erase` (bot/channels/transcripts.py) before it answers. So the conversation is gone
before this action returns; Rasa then saves the turn, and the tracker store's tombstone keeps only what is
newer than the erasure (bot/tracker_store.py). If Rasa could not be reached then, the backend keeps the
request and retries it; the user is told it is done either way, since the erasure is owed and recorded.
If the backend cannot take the request, the user is told it failed and nothing was queued.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, get_backend_client
from actions.common import get_lang
from actions.flows import reset_case_slots
from actions.texts import CONTACT, t

logger = logging.getLogger(__name__)


class ActionForgetConversation(Action):
    """Ask the backend to erase this conversation's transcript, and forget the answers of the flow."""

    def name(self) -> Text:
        return "action_forget_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = get_lang(tracker)
        # The rules expect the flow's slots reset after this action whatever happened (data/rules/forms.yml).
        resets = reset_case_slots() + [SlotSet("requested_slot", None)]
        try:
            delivered = await get_backend_client().erase_conversation(tracker.sender_id)
        except (BackendUnavailable, BackendError, ValueError) as error:
            logger.warning("could not ask the backend to erase a conversation: %s", type(error).__name__)
            dispatcher.utter_message(text=t("forget_failed", lang, contact=CONTACT[lang]))
            return resets
        if not delivered:
            logger.info("conversation erasure queued in the backend (Rasa not reached at once)")
        dispatcher.utter_message(text=t("forgotten", lang))
        return resets
