"""Start-up configuration of the Teams channel: unsafe settings are refused, the environment is read."""

from __future__ import annotations

import pytest

from bot.channels.teams import TeamsInput
from bot.channels.teams_config import TeamsConfigError, load_settings


def test_settings_come_from_the_environment(env_free, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", "app-1")
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "pw")
    monkeypatch.setenv("TEAMS_APP_TYPE", "SingleTenant")
    monkeypatch.setenv("TEAMS_TENANT_IDS", "AAAA-1, bbbb-2")
    channel = TeamsInput.from_credentials(None)
    settings = channel.settings
    assert settings.allowed_tenant_ids == ("aaaa-1", "bbbb-2")
    assert settings.token_url == "https://login.microsoftonline.com/aaaa-1/oauth2/v2.0/token"
    assert settings.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert settings.allowed_issuers == ("https://api.botframework.com",)
    assert channel.name() == "teams" and channel.url_prefix() == "teams"


def test_credentials_override_the_environment(env_free, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", "from-env")
    settings = load_settings({"app_id": "from-yml", "app_password": "pw", "tenant_ids": "t1",
                              "app_type": "MultiTenant"}, dotenv=False)
    assert settings.app_id == "from-yml"
    assert settings.token_url == "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"


@pytest.mark.parametrize("credentials", [
    {"app_password": "pw", "tenant_ids": "t1"},  # no app id
    {"app_id": "a", "tenant_ids": "t1"},  # no password
    {"app_id": "a", "app_password": "pw"},  # no tenant allow-list: anyone would be "staff"
    {"app_id": "a", "app_password": "pw", "tenant_ids": "t1", "app_type": "Personal"},
    {"app_id": "a", "app_password": "pw", "tenant_ids": "t1", "button_style": "carousel"},
])
def test_unsafe_or_incomplete_settings_refuse_to_start(env_free, credentials) -> None:
    with pytest.raises(TeamsConfigError):
        load_settings(credentials, dotenv=False)
