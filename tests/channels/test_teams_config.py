"""Start-up configuration of the Teams channel: unsafe or half settings are refused, none switches it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.teams import TeamsInput, TeamsNotConfiguredInput
from bot.channels.teams_config import TeamsConfigError, TeamsNotConfigured, load_settings

ROOT = Path(__file__).resolve().parents[2]


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


# -- switched off vs. half configured ----------------------------------------------------------------------


def test_no_teams_settings_give_a_switched_off_channel_and_one_warning(env_free, caplog) -> None:
    caplog.set_level("WARNING", logger="bot.channels")
    channel = TeamsInput.from_credentials({"button_style": "hero_card"})  # the block of credentials.yml
    assert isinstance(channel, TeamsNotConfiguredInput)
    assert channel.name() == "teams" and channel.url_prefix() == "teams"
    warnings = [r for r in caplog.records if r.name.startswith("bot.channels") and r.levelname == "WARNING"]
    assert len(warnings) == 1 and "TEAMS_APP_ID" in warnings[0].getMessage()
    with pytest.raises(TeamsNotConfigured):
        load_settings({}, dotenv=False)  # direct callers still get an error, never half-made settings


@pytest.mark.parametrize("credentials, env, says", [
    ({"app_id": "a"}, {}, "TEAMS_APP_PASSWORD missing"),
    ({"app_password": "pw"}, {}, "TEAMS_APP_ID missing"),
    ({}, {"TEAMS_APP_ID": "a", "TEAMS_TENANT_IDS": "t1"}, "TEAMS_APP_PASSWORD missing"),
    ({"tenant_ids": ["t1"]}, {}, "TEAMS_APP_ID and TEAMS_APP_PASSWORD missing"),
    ({}, {"TEAMS_APP_TENANT_ID": "t1"}, "TEAMS_APP_ID and TEAMS_APP_PASSWORD missing"),
    ({"app_id": "a", "app_password": "pw"}, {}, "TEAMS_TENANT_IDS must list"),
    # tenant mode inconsistent: a single-tenant bot's home tenant not among the allowed ones ...
    ({"app_id": "a", "app_password": "pw", "app_type": "SingleTenant", "tenant_ids": "t1", "app_tenant_id": "t2"},
     {}, "must be one of TEAMS_TENANT_IDS"),
    # ... or a home tenant given for a multi-tenant bot (it would be silently ignored)
    ({"app_id": "a", "app_password": "pw", "app_type": "MultiTenant", "tenant_ids": "t1"},
     {"TEAMS_APP_TENANT_ID": "t1"}, "only used by SingleTenant"),
    # a typo in a non-secret option is refused even while Teams is off
    ({"app_type": "Personal"}, {}, "TEAMS_APP_TYPE must be"),
    ({"button_style": "carousel"}, {}, "button_style must be"),
])
def test_half_configuration_refuses_to_start_with_a_clear_message(env_free, monkeypatch, credentials, env,
                                                                 says) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TeamsConfigError) as raised:
        TeamsInput.from_credentials(credentials)
    assert not isinstance(raised.value, TeamsNotConfigured)
    assert says in str(raised.value)
    assert "pw" not in str(raised.value).replace("TEAMS_APP_PASSWORD", "")  # the message never quotes a secret


def test_rasa_start_up_with_the_repository_credentials_lists_teams_switched_off(env_free) -> None:
    """Rasa's own channel creation from credentials.yml (what `make run` does): Teams is there, off."""
    from rasa.core.run import create_http_input_channels

    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    teams = [c for c in channels if c.name() == "teams"]
    assert len(teams) == 1 and isinstance(teams[0], TeamsNotConfiguredInput)


def test_rasa_start_up_with_a_half_configured_teams_channel_fails(env_free, monkeypatch, tmp_path: Path) -> None:
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("TEAMS_APP_ID", "11111111-2222-3333-4444-555555555555")  # the secret forgotten
    credentials = tmp_path / "credentials.yml"
    credentials.write_text((ROOT / "credentials.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(TeamsConfigError, match="TEAMS_APP_PASSWORD missing"):
        create_http_input_channels(None, str(credentials))


def test_every_variable_the_channel_reads_is_listed() -> None:
    """ENVIRONMENT_VARIABLES is what tests blank out and what .env.example documents: it must stay complete."""
    import re

    from bot.channels import teams_config

    source = Path(teams_config.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'"(TEAMS_[A-Z_]+)"', source))
    assert read == set(teams_config.ENVIRONMENT_VARIABLES)
    documented = set(re.findall(r"^(TEAMS_[A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read <= documented
