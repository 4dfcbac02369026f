"""Settings: development secrets are generated once, elsewhere missing secrets stop start-up."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from backend.config import PROJECT_ROOT, SECRET_NAMES, ConfigError, Settings

SECRETS = {
    "SMTP_HOST": "smtp.example.test",
    "BACKEND_SERVICE_TOKEN": "t" * 40,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "b" * 32,
}


def _settings(tmp_path: Path, env: dict[str, str]) -> Settings:
    return Settings.from_env(environ=env, env_file=tmp_path / "missing.env", root=tmp_path)


@pytest.mark.parametrize("app_env", ["production", "test"])
def test_missing_secrets_fail_outside_development(tmp_path: Path, app_env: str) -> None:
    for missing in SECRET_NAMES:
        env = {"APP_ENV": app_env, **{k: v for k, v in SECRETS.items() if k != missing}}
        with pytest.raises(ConfigError, match=missing):
            _settings(tmp_path, env)
    assert not (tmp_path / "var").exists()  # nothing generated


def test_development_generates_secrets_once_with_0600(tmp_path: Path) -> None:
    first = _settings(tmp_path, {"APP_ENV": "development"})
    path = tmp_path / "var" / "dev-secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = _settings(tmp_path, {"APP_ENV": "development"})
    assert first.service_token == second.service_token and len(first.service_token) >= 32
    assert first.field_encryption_keys == second.field_encryption_keys
    assert first.blind_index_key == second.blind_index_key
    explicit = _settings(tmp_path, {"APP_ENV": "development", "BACKEND_SERVICE_TOKEN": "x" * 40})
    assert explicit.service_token == "x" * 40


def test_values_are_parsed_and_paths_resolved(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env_file = tmp_path / ".env"
    env_file.write_text("BACKEND_PORT=9000\nSMTP_STARTTLS=false\n")
    settings = Settings.from_env(
        environ={**SECRETS, "APP_ENV": "production", "FIELD_ENCRYPTION_KEYS": f"{new}, {old}",
                 "UNVERIFIED_CASE_TTL_HOURS": "48", "CASE_RETENTION_DAYS_INCIDENT": "100"},
        env_file=env_file,
    )
    assert settings.port == 9000 and settings.smtp_starttls is False
    assert settings.field_encryption_keys == (new, old)
    assert settings.unverified_case_ttl_hours == 48
    assert settings.retention_days["incident"] == 100 and settings.retention_days["access"] == 1095
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'backend.db'}"
    assert settings.outbox_dir == PROJECT_ROOT / "var" / "outbox"
    assert "t" * 40 not in repr(settings)  # secrets stay out of logs and tracebacks


@pytest.mark.parametrize(
    ("name", "value"),
    [("FIELD_ENCRYPTION_KEYS", "not-a-key"), ("BACKEND_PORT", "eighty"), ("APP_ENV", "staging"),
     ("SMTP_STARTTLS", "perhaps"), ("BACKEND_SERVICE_TOKEN", "short"), ("UNVERIFIED_CASE_TTL_HOURS", "0"),
     ("SMTP_HOST", "")],
)
def test_bad_values_are_clear_errors(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        _settings(tmp_path, {**SECRETS, "APP_ENV": "production", name: value})


def test_staff_and_alert_settings_are_read_here_with_defaults(tmp_path: Path) -> None:
    defaults = _settings(tmp_path, {**SECRETS, "APP_ENV": "test"})
    assert defaults.staff_cookie_secure is None and defaults.staff_default_language == "en"
    assert defaults.alerts_enabled and defaults.alert_interval_seconds == 300 and defaults.alert_digest_hour == 7
    assert defaults.alert_timezone == "Europe/Oslo" and dict(defaults.alert_emails) == {}
    assert defaults.alert_language == "en" and dict(defaults.alert_role_languages) == {}
    settings = _settings(tmp_path, {
        **SECRETS, "APP_ENV": "test", "STAFF_COOKIE_SECURE": "true", "STAFF_DEFAULT_LANGUAGE": "NN",
        "STAFF_BASE_URL": "https://privacy.example.test/", "ALERTS_ENABLED": "false", "ALERT_INTERVAL_SECONDS": "30",
        "ALERT_DIGEST_HOUR": "0", "ALERT_TIMEZONE": "Europe/Stockholm", "ALERT_EMAIL_SECURITY": "sec@example.test",
        "ALERT_LANGUAGE": "sv", "ALERT_LANGUAGE_SECURITY": "nb",
    })
    assert settings.staff_cookie_secure is True and settings.staff_default_language == "nb"
    assert settings.staff_base_url == "https://privacy.example.test"
    assert not settings.alerts_enabled and settings.alert_interval_seconds == 30 and settings.alert_digest_hour == 0
    assert settings.alert_timezone == "Europe/Stockholm"
    assert dict(settings.alert_emails) == {"security": "sec@example.test"}
    assert settings.alert_language == "sv" and dict(settings.alert_role_languages) == {"security": "nb"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("STAFF_COOKIE_SECURE", "sometimes"), ("STAFF_DEFAULT_LANGUAGE", "de"), ("STAFF_BASE_URL", "privacy.example"),
     ("ALERTS_ENABLED", "maybe"), ("ALERT_INTERVAL_SECONDS", "0.5"), ("ALERT_INTERVAL_SECONDS", "often"),
     ("ALERT_DIGEST_HOUR", "24"), ("ALERT_TIMEZONE", "Mars/Olympus"), ("ALERT_LANGUAGE", "fi"),
     ("ALERT_LANGUAGE_RECRUITER", "danish")],
)
def test_bad_staff_and_alert_values_are_clear_errors(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        _settings(tmp_path, {**SECRETS, "APP_ENV": "test", name: value})
