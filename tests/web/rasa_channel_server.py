"""Rasa's own socketio input channel, as configured in credentials.yml, with an echo instead of a model.

`python -m tests.web.rasa_channel_server --port N` builds the Sanic app the way `rasa run` does without
`--enable-api` (rasa.core.run._create_app_without_api + rasa.core.channels.channel.register), with the
channel class and settings from credentials.yml, and an "agent" that answers every message through the
channel's real output channel. This checks the widget against Rasa's channel code without training a model.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict

import yaml

ROOT = Path(__file__).resolve().parents[2]


def socketio_entry(credentials_path: Path) -> tuple[str, Dict[str, Any]]:
    """The credentials.yml entry of the socketio channel: built-in `socketio` or a custom class path."""
    from rasa.core.channels.socketio import SocketIOInput
    from rasa.shared.utils.common import class_from_module_path

    credentials = yaml.safe_load(credentials_path.read_text(encoding="utf-8")) or {}
    for name, settings in credentials.items():
        if name == "socketio":
            return name, settings or {}
        if "." in name:
            cls = class_from_module_path(name)
            if isinstance(cls, type) and issubclass(cls, SocketIOInput):
                return name, settings or {}
    raise SystemExit(f"no socketio channel in {credentials_path}")


class EchoAgent:
    """Stands in for rasa.core.agent.Agent: one reply with a quick reply per user message."""

    async def handle_message(self, message: Any) -> None:
        language = (message.metadata or {}).get("language") or (message.metadata or {}).get("locale")
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            f"rasa-echo[{language}]: {message.text}",
            [{"title": "Ja", "payload": "/affirm"}],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--credentials", default=str(ROOT / "credentials.yml"))
    parser.add_argument("--cors", default="*")
    args = parser.parse_args()

    from rasa.core.channels.channel import register
    from rasa.core.run import _create_app_without_api, _create_single_channel

    name, settings = socketio_entry(Path(args.credentials))
    channel = _create_single_channel(name, settings)
    app = _create_app_without_api(args.cors)
    app.ctx.agent = EchoAgent()
    register([channel], app, route="/webhooks/")
    app.run(host="127.0.0.1", port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
