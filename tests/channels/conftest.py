"""The Teams channel on a real Sanic server, against the local Microsoft stand-ins of `fake_microsoft`.

The Rasa side is Rasa's own `configure_app(input_channels=[...])`, so the route is the production route;
only the agent is a recorder (the channel is the unit under test): it stores each UserMessage and replies
through the message's output channel with Rasa's `send_response`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.teams import TeamsInput
from bot.channels.teams_config import ENVIRONMENT_VARIABLES as TEAMS_VARIABLES
from tests.channels.fake_microsoft import (  # noqa: F401  (re-exported: the tests import them from here)
    APP_ID,
    APP_PASSWORD,
    ISSUER,
    OTHER_TENANT,
    TENANT,
    FakeMicrosoft,
    free_port,
    make_activity,
    new_rsa_key,
    public_jwk,
)


@pytest.fixture
async def microsoft() -> FakeMicrosoft:
    fake = FakeMicrosoft(key=new_rsa_key())
    await fake.start()
    yield fake
    await fake.close()


class RecordingAgent:
    """Stands in for rasa's Agent in `app.ctx.agent`: records messages and answers via the output channel."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []
        self.reply: Callable[[UserMessage], Awaitable[None]] = self.echo

    @staticmethod
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": f"ok {message.message_id}"})

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await self.reply(message)


@dataclass
class RunningBot:
    channel: TeamsInput
    agent: RecordingAgent
    url: str
    http: aiohttp.ClientSession
    microsoft: FakeMicrosoft

    async def post(self, activity: Dict[str, Any], token: Optional[str] = "default",
                   authorization: Optional[str] = None) -> aiohttp.ClientResponse:
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {self.microsoft.sign() if token == 'default' else token}"
        async with self.http.post(self.url, json=activity, headers=headers) as resp:
            await resp.read()
            return resp


async def start_bot(microsoft: FakeMicrosoft, **credentials: Any) -> tuple:
    creds = {
        "app_id": APP_ID,
        "app_password": APP_PASSWORD,
        "app_type": "SingleTenant",
        "tenant_ids": [TENANT],
        "openid_metadata_url": microsoft.openid_url,
        "login_base_url": microsoft.login_url,
        "delivery": {"backoff_s": [0.05, 0.1], "total_timeout_s": 8.0},
    }
    creds.update(credentials)
    channel = TeamsInput.from_credentials(creds)
    agent, server, url = await serve_channel(channel)
    return channel, agent, server, url


async def serve_channel(channel: Any) -> tuple:
    """Serve one input channel with Rasa's own app set-up on a free port; the agent is a RecordingAgent."""
    from rasa.core.run import configure_app

    Sanic.test_mode = True  # several apps with Rasa's fixed app name in one process
    app = configure_app(input_channels=[channel], enable_api=False, route="/webhooks/")
    agent = RecordingAgent()
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    return agent, server, f"http://127.0.0.1:{port}/webhooks/teams/webhook"


async def stop_server(server: Any) -> None:
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()


@pytest.fixture
async def bot_factory(microsoft: FakeMicrosoft):
    started: List[Any] = []
    http = aiohttp.ClientSession()

    async def factory(**credentials: Any) -> RunningBot:
        channel, agent, server, url = await start_bot(microsoft, **credentials)
        started.append(server)
        return RunningBot(channel=channel, agent=agent, url=url, http=http, microsoft=microsoft)

    yield factory
    await http.close()
    for server in started:
        await stop_server(server)


@pytest.fixture
async def bot(bot_factory) -> RunningBot:
    return await bot_factory()


@pytest.fixture
def env_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TEAMS_* variable from the developer's shell or .env leaks into a test.

    The known names are set to "" rather than removed: the channel loads .env without overriding what the
    environment has, and treats "" as unset, so a developer's .env cannot leak in either."""
    import os

    for name in list(os.environ):
        if name.startswith("TEAMS_"):
            monkeypatch.delenv(name, raising=False)
    for name in TEAMS_VARIABLES:
        monkeypatch.setenv(name, "")
