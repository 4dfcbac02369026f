"""The Teams channel over real HTTP: JWT validation, tenant allow-list, metadata, replies and their delivery."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.channels.teams import TeamsInput, TeamsNotConfiguredInput
from tests.channels.conftest import (
    APP_ID,
    OTHER_TENANT,
    TENANT,
    FakeMicrosoft,
    RunningBot,
    make_activity,
    new_rsa_key,
    public_jwk,
    serve_channel,
    stop_server,
)


async def test_valid_activity_is_answered_through_service_url(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft, conversation="a:conv-1;messageid=7", activity_id="act-valid-1")
    resp = await bot.post(activity)
    assert resp.status == 200
    replies = await microsoft.wait_for_replies(1)
    reply = replies[0]
    assert reply["conversation"] == "a:conv-1;messageid=7"
    assert reply["reply_to"] == "act-valid-1"
    assert reply["body"]["text"] == "ok act-valid-1"
    assert reply["body"]["replyToId"] == "act-valid-1"
    assert reply["body"]["conversation"] == {"id": "a:conv-1;messageid=7"}
    assert reply["body"]["recipient"] == {"id": "29:user-kari"}
    assert reply["body"]["from"]["id"] == f"28:{APP_ID}"
    # The bearer token is the one the local token endpoint issued, for the single tenant's authority.
    assert microsoft.issued_tokens and reply["authorization"] == f"Bearer {microsoft.issued_tokens[-1]}"
    request = microsoft.token_requests[-1]
    assert request["tenant"] == TENANT
    assert request["grant_type"] == "client_credentials"
    assert request["client_id"] == APP_ID
    assert request["scope"] == "https://api.botframework.com/.default"


async def test_multi_tenant_app_gets_its_token_from_the_botframework_authority(
    bot_factory, microsoft: FakeMicrosoft
) -> None:
    bot = await bot_factory(app_type="MultiTenant")
    assert (await bot.post(make_activity(microsoft))).status == 200
    await microsoft.wait_for_replies(1)
    assert microsoft.token_requests[-1]["tenant"] == "botframework.com"


async def test_outgoing_token_is_cached_across_replies(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    for n in range(3):
        assert (await bot.post(make_activity(microsoft, conversation=f"a:conv-{n}"))).status == 200
    replies = await microsoft.wait_for_replies(3)
    assert len(microsoft.issued_tokens) == 1
    assert {r["authorization"] for r in replies} == {f"Bearer {microsoft.issued_tokens[0]}"}


async def test_metadata_carries_locale_tenant_user_and_staff_flag(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft, text="<at>Personvernassistenten</at> Jeg vil melde et avvik")
    assert (await bot.post(activity)).status == 200
    message = bot.agent.messages[-1]
    assert message.text == "Jeg vil melde et avvik"  # the @mention is not part of what the user said
    assert message.input_channel == "teams"
    assert message.sender_id == "29:user-kari"
    assert message.message_id == activity["id"]
    meta = message.metadata
    assert meta["channel"] == "teams"
    assert meta["locale"] == "nb-NO"
    assert meta["tenant_id"] == TENANT
    assert meta["aad_object_id"] == "aad-kari"
    assert meta["user_name"] == "Kari Nordmann"
    assert meta["is_staff"] is True
    assert meta["conversation_type"] == "personal"
    # The roster look-up adds the e-mail, which the incident flow uses to identify staff reporters.
    assert meta["user"] == {"id": "29:user-kari", "aad_object_id": "aad-kari", "name": "Kari Nordmann",
                            "email": "kari.nordmann@example.com", "upn": "kari.nordmann@example.com"}
    assert "card_values" not in meta
    # The roster entry is cached: a second message does not look the user up again.
    assert (await bot.post(make_activity(microsoft))).status == 200
    assert microsoft.member_requests == 1


async def test_card_submit_becomes_marker_text_with_parsed_card_values(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    value = {
        "card_id": "incident_report", "card_version": 1, "language": "nb",
        "what_happened": "En e-post med lønnsliste ble sendt til feil mottaker.",
        "discovered_date": "2026-03-02", "discovered_time": "09:40",
        "data_kinds": "financial,employee_hr", "people_count": "40",
        "encrypted": "no", "contained": "unknown", "anonymous": "false",
    }
    activity = make_activity(microsoft, text=None, value=value)
    assert (await bot.post(activity)).status == 200
    message = bot.agent.messages[-1]
    assert message.text == "/card_submitted"
    meta = message.metadata
    assert meta["card_id"] == "incident_report"
    assert meta["card_errors"] == {}
    assert meta["card_values"]["data_kinds"] == ["financial", "employee_hr"]
    assert meta["card_values"]["people_count"] == 40
    assert meta["card_values"]["discovered_local"] == "2026-03-02T09:40"
    assert meta["card_values"]["language"] == "nb"
    assert meta["locale"] == "nb-NO" and meta["is_staff"] is True


async def test_invalid_card_submit_reaches_rasa_with_errors_only(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    value = {"card_id": "incident_report", "what_happened": "x", "discovered_date": "soon",
             "data_kinds": "financial,secret_sauce", "people_count": "-3", "encrypted": "maybe"}
    assert (await bot.post(make_activity(microsoft, text=None, value=value))).status == 200
    meta = bot.agent.messages[-1].metadata
    assert meta["card_values"] is None
    assert meta["card_errors"] == {"what_happened": "too_short", "discovered_date": "invalid",
                                   "data_kinds": "unknown_choice", "people_count": "invalid",
                                   "encrypted": "unknown_choice"}


def _bad_tokens(microsoft: FakeMicrosoft) -> dict:
    now = int(time.time())
    return {
        "forged_signature": microsoft.sign(key=new_rsa_key()),  # right kid, wrong private key
        "expired": microsoft.sign(exp=now - 3600, nbf=now - 7200),
        "not_yet_valid": microsoft.sign(nbf=now + 3600),
        "wrong_audience": microsoft.sign(aud="some-other-bot"),
        "wrong_issuer": microsoft.sign(iss="https://evil.example.com"),
        "no_expiry": microsoft.sign(exp=None),
        "unknown_kid": microsoft.sign(kid="no-such-key"),
        "hs256_with_public_key": microsoft.sign(key="shared-secret-from-nowhere-0123456789", algorithm="HS256"),
        "serviceurl_claim_mismatch": microsoft.sign(serviceurl="https://smba.trafficmanager.net/emea/"),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize("case", ["forged_signature", "expired", "not_yet_valid", "wrong_audience", "wrong_issuer",
                                  "no_expiry", "unknown_kid", "hs256_with_public_key", "serviceurl_claim_mismatch",
                                  "garbage"])
async def test_bad_tokens_are_rejected_with_401(bot: RunningBot, microsoft: FakeMicrosoft, case: str) -> None:
    resp = await bot.post(make_activity(microsoft), token=_bad_tokens(microsoft)[case])
    assert resp.status == 401
    assert bot.agent.messages == []


@pytest.mark.parametrize("authorization", [None, "", "Basic dXNlcjpwYXNz", "Bearer"])
async def test_missing_or_non_bearer_authorization_is_401(bot: RunningBot, microsoft: FakeMicrosoft,
                                                          authorization) -> None:
    if authorization is None:
        resp = await bot.post(make_activity(microsoft), token=None)
    else:
        resp = await bot.post(make_activity(microsoft), authorization=authorization)
    assert resp.status == 401
    assert bot.agent.messages == []


async def test_small_clock_skew_is_tolerated(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    now = int(time.time())
    token = microsoft.sign(exp=now - 30, nbf=now + 30)  # within the 120 s leeway
    assert (await bot.post(make_activity(microsoft), token=token)).status == 200


async def test_key_not_endorsed_for_the_channel_is_401(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft, channelId="webchat")
    assert (await bot.post(activity)).status == 401


async def test_configured_issuer_list_is_honoured(bot_factory, microsoft: FakeMicrosoft) -> None:
    bot = await bot_factory(allowed_issuers=["https://sts.example.test/", "https://api.botframework.com"])
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(iss="https://sts.example.test/"))).status == 200
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(iss="https://other.test/"))).status == 401


@pytest.mark.parametrize("where", ["both", "channel_data_only", "conversation_only"])
async def test_tenant_not_in_allow_list_is_403(bot: RunningBot, microsoft: FakeMicrosoft, where: str) -> None:
    activity = make_activity(microsoft, tenant=OTHER_TENANT)
    if where == "channel_data_only":
        del activity["conversation"]["tenantId"]
    if where == "conversation_only":
        del activity["channelData"]
    assert (await bot.post(activity)).status == 403
    assert bot.agent.messages == []


async def test_missing_or_contradicting_tenant_is_403(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft)
    del activity["channelData"]
    del activity["conversation"]["tenantId"]
    assert (await bot.post(activity)).status == 403
    activity = make_activity(microsoft)
    activity["conversation"]["tenantId"] = OTHER_TENANT
    assert (await bot.post(activity)).status == 403
    assert bot.agent.messages == []


async def test_keys_are_fetched_lazily_and_cached(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    await asyncio.sleep(0.2)  # the server is up and idle: still nothing fetched
    assert microsoft.metadata_hits == 0 and microsoft.jwks_hits == 0
    results = await asyncio.gather(*[bot.post(make_activity(microsoft, conversation=f"a:c{n}")) for n in range(5)])
    assert [r.status for r in results] == [200] * 5
    assert (await bot.post(make_activity(microsoft))).status == 200
    assert microsoft.metadata_hits == 1 and microsoft.jwks_hits == 1


async def test_unknown_kid_triggers_one_rate_limited_refetch(bot_factory, microsoft: FakeMicrosoft) -> None:
    bot = await bot_factory(keys_min_refetch_interval_s=1.0)
    assert (await bot.post(make_activity(microsoft))).status == 200
    assert microsoft.jwks_hits == 1
    rotated = new_rsa_key()
    microsoft.jwks.append(public_jwk(rotated, "local-key-2", endorsements=["msteams"]))
    # Right after a fetch, an unknown kid does not hammer the key endpoint...
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(key=rotated, kid="local-key-2"))).status == 401
    assert microsoft.jwks_hits == 1
    await asyncio.sleep(1.1)
    # ...but once the interval has passed it refetches once and finds the rotated key.
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(key=rotated, kid="local-key-2"))).status == 200
    assert microsoft.jwks_hits == 2
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(key=rotated, kid="local-key-2"))).status == 200
    assert (await bot.post(make_activity(microsoft), token=microsoft.sign(kid="no-such-key"))).status == 401
    assert microsoft.jwks_hits == 2


async def test_unreachable_key_endpoint_answers_503_not_200(bot_factory, microsoft: FakeMicrosoft) -> None:
    bot = await bot_factory(openid_metadata_url=microsoft.openid_url.replace("openidconfiguration", "missing"))
    assert (await bot.post(make_activity(microsoft))).status == 503
    assert bot.agent.messages == []


async def test_slow_service_url_for_one_conversation_does_not_delay_another(
    bot: RunningBot, microsoft: FakeMicrosoft
) -> None:
    microsoft.slow_conversations["a:slow"] = 5.0
    started = time.monotonic()
    resp_a = await bot.post(make_activity(microsoft, conversation="a:slow"))
    acknowledged_a = time.monotonic() - started
    b_posted = time.monotonic()
    resp_b = await bot.post(make_activity(microsoft, conversation="a:fast"))
    assert resp_a.status == 200 and resp_b.status == 200
    assert acknowledged_a < 1.0  # the webhook does not wait for the reply to be delivered
    replies = await microsoft.wait_for_replies(1, timeout=3)
    assert replies[0]["conversation"] == "a:fast"
    assert replies[0]["at"] - b_posted < 1.0
    replies = await microsoft.wait_for_replies(2, timeout=8)
    assert replies[1]["conversation"] == "a:slow"


async def test_replies_keep_their_order_within_a_conversation(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    async def three_replies(message) -> None:
        for n in range(3):
            await message.output_channel.send_response(message.sender_id, {"text": f"part {n}"})

    bot.agent.reply = three_replies
    microsoft.slow_conversations["a:ordered"] = 0.2
    assert (await bot.post(make_activity(microsoft, conversation="a:ordered"))).status == 200
    replies = await microsoft.wait_for_replies(3, timeout=5)
    assert [r["body"]["text"] for r in replies] == ["part 0", "part 1", "part 2"]


async def test_failing_service_url_is_retried_then_given_up(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    microsoft.failing_conversations.add("a:broken")
    assert (await bot.post(make_activity(microsoft, conversation="a:broken"))).status == 200
    deadline = time.monotonic() + 5
    while bot.channel.outbox.failed < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert bot.channel.outbox.failed == 1
    assert microsoft.reply_attempts["a:broken"] == bot.channel.settings.delivery.attempts == 3
    # The channel still works for everyone else.
    assert (await bot.post(make_activity(microsoft, conversation="a:fine"))).status == 200
    await microsoft.wait_for_replies(1)
    await asyncio.sleep(0.3)
    assert microsoft.reply_attempts["a:broken"] == 3  # given up: no further attempts


async def test_rasa_raising_answers_500_and_allows_redelivery(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    async def broken(message) -> None:
        raise RuntimeError("tracker store down")

    bot.agent.reply = broken
    activity = make_activity(microsoft, activity_id="act-retry-me")
    assert (await bot.post(activity)).status == 500
    bot.agent.reply = bot.agent.echo
    assert (await bot.post(activity)).status == 200  # the Bot Framework's retry is handled
    assert len(bot.agent.messages) == 2


async def test_redelivered_activity_is_handled_once(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft, activity_id="act-twice")
    assert (await bot.post(activity)).status == 200
    assert (await bot.post(activity)).status == 200
    assert len(bot.agent.messages) == 1


@pytest.mark.parametrize("breakage", ["no_conversation", "no_from", "no_id", "bad_service_url",
                                      "plain_http_service_url", "value_not_object", "not_json_object"])
async def test_malformed_activities_are_400(bot: RunningBot, microsoft: FakeMicrosoft, breakage: str) -> None:
    activity = make_activity(microsoft)
    if breakage == "no_conversation":
        del activity["conversation"]
    elif breakage == "no_from":
        del activity["from"]
    elif breakage == "no_id":
        del activity["id"]
    elif breakage == "bad_service_url":
        activity["serviceUrl"] = "file:///etc/passwd"
    elif breakage == "plain_http_service_url":
        activity["serviceUrl"] = "http://smba.example.com/teams"
    elif breakage == "value_not_object":
        activity["value"] = "x"
    elif breakage == "not_json_object":
        activity = ["message"]
    token = microsoft.sign(serviceurl=None)  # so the 400 is about the body, not the serviceurl claim
    resp = await bot.post(activity, token=token)
    assert resp.status == 400
    assert bot.agent.messages == []


async def test_non_message_activities_are_acknowledged_but_not_handed_to_rasa(
    bot: RunningBot, microsoft: FakeMicrosoft
) -> None:
    activity = make_activity(microsoft, type="conversationUpdate", text=None,
                             membersAdded=[{"id": f"28:{APP_ID}"}])
    assert (await bot.post(activity)).status == 200
    assert (await bot.post(make_activity(microsoft, type="typing", text=None))).status == 200
    assert bot.agent.messages == []


async def test_group_conversations_get_their_own_rasa_conversation(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    activity = make_activity(microsoft, conversation="19:team@thread.tacv2;messageid=42")
    activity["conversation"]["conversationType"] = "channel"
    assert (await bot.post(activity)).status == 200
    message = bot.agent.messages[-1]
    assert message.sender_id == "29:user-kari|19:team@thread.tacv2;messageid=42"
    assert message.metadata["conversation_type"] == "channel"


async def test_buttons_become_a_hero_card_with_exact_payloads(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    async def ask(message) -> None:
        await message.output_channel.send_response(message.sender_id, {
            "text": "Var dataene kryptert?",
            "buttons": [{"title": "Ja", "payload": "/affirm"}, {"title": "Nei", "payload": "/deny"}]})

    bot.agent.reply = ask
    assert (await bot.post(make_activity(microsoft))).status == 200
    body = (await microsoft.wait_for_replies(1))[0]["body"]
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    assert card["content"]["text"] == "Var dataene kryptert?"
    assert card["content"]["buttons"] == [
        {"type": "messageBack", "title": "Ja", "text": "/affirm", "displayText": "Ja"},
        {"type": "messageBack", "title": "Nei", "text": "/deny", "displayText": "Nei"},
    ]


async def test_buttons_as_suggested_actions_when_configured(bot_factory, microsoft: FakeMicrosoft) -> None:
    bot = await bot_factory(button_style="suggested_actions")

    async def ask(message) -> None:
        await message.output_channel.send_response(message.sender_id, {
            "text": "Hvilket språk?",
            "buttons": [{"title": "Norsk", "payload": "norsk"}, {"title": "English", "payload": "/switch_language"}]})

    bot.agent.reply = ask
    assert (await bot.post(make_activity(microsoft))).status == 200
    body = (await microsoft.wait_for_replies(1))[0]["body"]
    assert body["text"] == "Hvilket språk?"
    assert body["suggestedActions"]["actions"] == [
        {"type": "imBack", "title": "Norsk", "value": "norsk"},
        {"type": "imBack", "title": "English", "value": "English"},
    ]


async def test_custom_json_adaptive_card_is_passed_through(bot: RunningBot, microsoft: FakeMicrosoft) -> None:
    from bot.channels.cards import incident_report_message

    async def send_card(message) -> None:
        await message.output_channel.send_response(message.sender_id, {"custom": incident_report_message("nb-NO")})
        await message.output_channel.send_response(
            message.sender_id, {"custom": {"type": "AdaptiveCard", "version": "1.4", "body": [],
                                           "conversation": {"id": "a:somebody-else"}}})

    bot.agent.reply = send_card
    assert (await bot.post(make_activity(microsoft, conversation="a:cards"))).status == 200
    first, second = await microsoft.wait_for_replies(2)
    attachment = first["body"]["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["lang"] == "nb"
    assert first["body"]["conversation"] == {"id": "a:cards"}
    assert second["body"]["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert second["conversation"] == "a:cards"  # a custom payload cannot redirect the reply


async def test_logs_hold_no_tokens_text_or_names(bot: RunningBot, microsoft: FakeMicrosoft, caplog) -> None:
    caplog.set_level("DEBUG", logger="bot.channels")
    token = microsoft.sign()
    activity = make_activity(microsoft, text="Lønnslista til Ola Hansen ble sendt feil", activity_id="act-logged")
    assert (await bot.post(activity, token=token)).status == 200
    await microsoft.wait_for_replies(1)
    assert (await bot.post(make_activity(microsoft), token=_bad_tokens(microsoft)["expired"])).status == 401
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("bot.channels"))
    assert "act-logged" in logged
    for secret in (token, "Lønnslista", "Ola Hansen", "Kari", microsoft.issued_tokens[0], "kari.nordmann@"):
        assert secret not in logged


async def test_unconfigured_channel_answers_503_and_touches_no_microsoft_endpoint(
    env_free, microsoft: FakeMicrosoft
) -> None:
    # Only non-secret options (pointing at the local stand-ins, so any fetch would be counted): Teams is off.
    channel = TeamsInput.from_credentials({"button_style": "hero_card", "openid_metadata_url": microsoft.openid_url,
                                           "login_base_url": microsoft.login_url})
    assert isinstance(channel, TeamsNotConfiguredInput)
    agent, server, url = await serve_channel(channel)
    try:
        async with aiohttp.ClientSession() as http:
            for token in (microsoft.sign(), None):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                async with http.post(url, json=make_activity(microsoft), headers=headers) as resp:
                    assert resp.status == 503
                    body = await resp.json()
                    assert body["error"]["code"] == "teams_not_configured"
                    assert "TEAMS_APP_ID" in body["error"]["message"]
            async with http.get(url.rsplit("/", 1)[0] + "/") as resp:
                assert resp.status == 503 and (await resp.json())["status"] == "not_configured"
        await asyncio.sleep(0.2)
    finally:
        await stop_server(server)
    assert agent.messages == []
    assert (microsoft.metadata_hits, microsoft.jwks_hits, microsoft.member_requests) == (0, 0, 0)
    assert microsoft.token_requests == [] and microsoft.replies == []
