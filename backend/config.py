"""Settings of the case backend, read once from `.env` and the environment.

Why a frozen dataclass: settings are read at start-up and passed explicitly (to `create_app`, the CLI
and the tests), so nothing reads `os.environ` at request time and a test can build its own settings.

Secrets (`BACKEND_SERVICE_TOKEN`, `FIELD_ENCRYPTION_KEYS`, `BLIND_INDEX_KEY`) never have working
defaults outside development: in development, missing ones are generated once into
`var/dev-secrets.env` (mode 0600) and reused, so encrypted data survives restarts; in test and
production a missing secret makes start-up fail with a message naming the variable.
`TRANSCRIPT_ERASE_TOKEN` is optional (without it transcript erasures stay queued) but is generated
into the same file in development, so `make run` gives the backend and Rasa the same token.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Optional

from dotenv import dotenv_values

from basics.languages import LANGUAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent

APP_ENVS = ("development", "test", "production")
SECRET_NAMES = ("BACKEND_SERVICE_TOKEN", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY")
DEV_SECRETS_FILE = "var/dev-secrets.env"
# Optional secrets: a missing one disables a feature instead of stopping start-up; development still
# generates them into var/dev-secrets.env so `make run` has them (scripts/run_all.py passes them on).
OPTIONAL_SECRET_NAMES = ("TRANSCRIPT_ERASE_TOKEN",)
DEFAULT_TRANSCRIPT_ERASE_URL = "http://127.0.0.1:5005/webhooks/transcripts/erase"

# Case retention after a case is closed (completed / rejected / withdrawn / expired), per case type.
# Defaults are conservative choices documented in .env.example; the policy does not name them.
DEFAULT_RETENTION_DAYS: Mapping[str, int] = MappingProxyType(
    {
        # Rights requests: kept to show how a request was handled (accountability, Art. 5(2)),
        # for roughly the general limitation period.
        "access": 1095,
        "rectification": 1095,
        "erasure": 1095,
        "restriction": 1095,
        "objection": 1095,
        "portability": 1095,
        "consent_withdrawal": 1095,
        "complaint": 1095,
        # Candidate withdrawals: the recruitment data itself is gone; the proof of withdrawal is short-lived.
        "application_withdrawal": 365,
        "recruitment_consent_withdrawal": 365,
        # Art. 33(5) breach documentation is needed for supervisory audits.
        "incident": 1825,
        # Whistleblowing-type reports: two years after closing.
        "misconduct": 730,
    }
)


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message names the variable."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _int(value: str, name: str, minimum: int = 0) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def _resolve_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _resolve_database_url(url: str) -> str:
    """Make a relative SQLite path relative to the project root, so every cwd uses the same file."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix):]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            path_part, sep, query = rest.partition("?")
            return prefix + str(_resolve_path(path_part)) + (sep + query)
    return url


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _validate_fernet_keys(keys: tuple[str, ...]) -> None:
    for index, key in enumerate(keys):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except Exception:  # binascii.Error, UnicodeEncodeError
            raw = b""
        if len(raw) != 32:
            raise ConfigError(
                f"FIELD_ENCRYPTION_KEYS entry {index + 1} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; create one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            )


def _dev_secrets(root: Path, missing: list[str]) -> dict[str, str]:
    """Read (and if needed extend) var/dev-secrets.env, so development secrets are stable across runs."""
    path = root / DEV_SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        stored = {k: v for k, v in dotenv_values(path).items() if v}
    generators = {
        "BACKEND_SERVICE_TOKEN": lambda: secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEYS": _new_fernet_key,
        "BLIND_INDEX_KEY": lambda: secrets.token_urlsafe(32),
        "TRANSCRIPT_ERASE_TOKEN": lambda: secrets.token_urlsafe(32),
    }
    added = False
    for name in missing:
        if name not in stored:
            stored[name] = generators[name]()
            added = True
    if added:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create with 0600 from the start: the file must never be readable by others, not even briefly.
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Generated development secrets. Never use these outside development.\n")
            for name in SECRET_NAMES + OPTIONAL_SECRET_NAMES:
                if name in stored:
                    handle.write(f"{name}={stored[name]}\n")
        os.chmod(path, 0o600)
    return stored


# --- staff workspace and alerts (docs/STAFF.md) ----------------------------------------------------
# Read here, with everything else, so the staff pages (backend/pages/auth.py) and the alerts
# (backend/services/alerts.py) get their settings from Settings rather than from os.environ.


def _language(value: str, name: str, default: str = "en") -> str:
    """sv | nb | en; "no" and "nn" mean Bokmål (we write nb). A typo is an error, not silent English."""
    lowered = value.strip().lower() or default
    if lowered in ("no", "nn"):
        lowered = "nb"
    if lowered not in LANGUAGES:
        raise ConfigError(f"{name} must be one of sv, nb, en, got {value!r}")
    return lowered


def _workspace_settings(get: Callable[..., str]) -> dict[str, object]:
    """The STAFF_* and ALERT* fields of Settings, validated (`get(name, default)` as in from_env)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    cookie_secure = (get("STAFF_COOKIE_SECURE", "auto") or "auto").lower()
    if cookie_secure not in ("auto", "true", "false"):
        raise ConfigError(f"STAFF_COOKIE_SECURE must be auto, true or false, got {cookie_secure!r}")
    base_url = get("STAFF_BASE_URL").rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        raise ConfigError(f"STAFF_BASE_URL must start with https:// (or http:// locally), got {base_url!r}")
    raw_interval = get("ALERT_INTERVAL_SECONDS", "300") or "300"
    try:
        interval = float(raw_interval)
    except ValueError:
        raise ConfigError(f"ALERT_INTERVAL_SECONDS must be a number, got {raw_interval!r}") from None
    if interval < 1:
        raise ConfigError("ALERT_INTERVAL_SECONDS must be at least 1")
    digest_hour = _int(get("ALERT_DIGEST_HOUR", "7") or "7", "ALERT_DIGEST_HOUR")
    if digest_hour > 23:
        raise ConfigError(f"ALERT_DIGEST_HOUR must be 0-23, got {digest_hour}")
    zone = get("ALERT_TIMEZONE", "Europe/Oslo") or "Europe/Oslo"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ALERT_TIMEZONE is not a known time zone: {zone!r}") from None
    # Names written out (not built from the role) so the .env.example check finds them.
    emails = {
        "privacy_officer": get("ALERT_EMAIL_PRIVACY_OFFICER"),
        "recruiter": get("ALERT_EMAIL_RECRUITER"),
        "security": get("ALERT_EMAIL_SECURITY"),
    }
    role_languages = {
        "privacy_officer": get("ALERT_LANGUAGE_PRIVACY_OFFICER"),
        "recruiter": get("ALERT_LANGUAGE_RECRUITER"),
        "security": get("ALERT_LANGUAGE_SECURITY"),
    }
    return {
        "staff_cookie_secure": None if cookie_secure == "auto" else cookie_secure == "true",
        "staff_oidc_issuer": get("STAFF_OIDC_ISSUER"),
        "staff_oidc_client_id": get("STAFF_OIDC_CLIENT_ID"),
        "staff_default_language": _language(get("STAFF_DEFAULT_LANGUAGE", "en"), "STAFF_DEFAULT_LANGUAGE"),
        "staff_base_url": base_url,
        "alerts_enabled": _bool(get("ALERTS_ENABLED", "true") or "true", "ALERTS_ENABLED"),
        "alert_interval_seconds": interval,
        "alert_digest_hour": digest_hour,
        "alert_timezone": zone,
        "alert_emails": MappingProxyType({role: value for role, value in emails.items() if value}),
        "alert_language": _language(get("ALERT_LANGUAGE", "en"), "ALERT_LANGUAGE"),
        "alert_role_languages": MappingProxyType({
            role: _language(value, f"ALERT_LANGUAGE_{role.upper()}")
            for role, value in role_languages.items() if value
        }),
    }


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'backend.db'}"
    host: str = "127.0.0.1"
    port: int = 8080
    service_token: str = field(default="", repr=False)
    field_encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    blind_index_key: str = field(default="", repr=False)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    mail_from: str = "Privacy Team <privacy@localhost>"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
    privacy_team_email: str = ""
    # Staff workspace and alerts (docs/STAFF.md); parsed by _workspace_settings.
    staff_cookie_secure: Optional[bool] = None  # None: Secure when the request came over https
    staff_oidc_issuer: str = ""
    staff_oidc_client_id: str = ""
    staff_default_language: str = "en"
    staff_base_url: str = ""
    alerts_enabled: bool = True
    alert_interval_seconds: float = 300.0
    alert_digest_hour: int = 7
    alert_timezone: str = "Europe/Oslo"
    alert_emails: Mapping[str, str] = MappingProxyType({})  # role -> mailbox
    alert_language: str = "en"
    alert_role_languages: Mapping[str, str] = MappingProxyType({})  # role -> sv | nb | en
    unverified_case_ttl_hours: int = 72
    retention_days: Mapping[str, int] = DEFAULT_RETENTION_DAYS
    expired_case_retention_days: int = 30
    log_level: str = "INFO"
    # Chat-transcript erasure in Rasa (backend/services/transcripts.py); no token: erasures stay queued.
    transcript_erase_url: str = DEFAULT_TRANSCRIPT_ERASE_URL
    transcript_erase_token: str = field(default="", repr=False)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(
        cls,
        environ: Optional[Mapping[str, str]] = None,
        env_file: Optional[Path | str] = None,
        root: Optional[Path] = None,
    ) -> "Settings":
        """Build settings from `.env` (when present) overlaid by the environment.

        `environ` replaces os.environ (tests); `env_file` defaults to `<project root>/.env`;
        real environment variables win over the file, as python-dotenv's `override=False` does.
        """
        root = root or PROJECT_ROOT
        values: dict[str, str] = {}
        file_path = Path(env_file) if env_file is not None else root / ".env"
        if file_path.exists():
            values.update({k: v for k, v in dotenv_values(file_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return values.get(name, default).strip()

        app_env = get("APP_ENV", "development").lower()
        if app_env not in APP_ENVS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, got {app_env!r}")

        missing = [name for name in SECRET_NAMES if not get(name)]
        if missing:
            if app_env != "development":
                raise ConfigError(
                    f"missing required secret(s) for APP_ENV={app_env}: {', '.join(missing)}. "
                    "Set them in the environment or in .env (see .env.example); "
                    "generated secrets are only used in development."
                )
            generated = _dev_secrets(root, missing)
            for name in missing:
                values[name] = generated[name]

        keys = tuple(k.strip() for k in get("FIELD_ENCRYPTION_KEYS").split(",") if k.strip())
        _validate_fernet_keys(keys)
        service_token = get("BACKEND_SERVICE_TOKEN")
        if app_env == "production" and len(service_token) < 32:
            raise ConfigError("BACKEND_SERVICE_TOKEN must be at least 32 characters in production")
        blind_index_key = get("BLIND_INDEX_KEY")
        if len(blind_index_key) < 16:
            raise ConfigError("BLIND_INDEX_KEY must be at least 16 characters")

        retention = dict(DEFAULT_RETENTION_DAYS)
        for case_type in DEFAULT_RETENTION_DAYS:
            name = f"CASE_RETENTION_DAYS_{case_type.upper()}"
            if get(name):
                retention[case_type] = _int(get(name), name, minimum=1)

        if app_env == "production" and not get("SMTP_HOST"):
            # Without SMTP, codes would go to a local outbox directory and never reach requesters.
            raise ConfigError("SMTP_HOST is required in production (the outbox directory is for development)")

        transcript_token = get("TRANSCRIPT_ERASE_TOKEN")
        if not transcript_token and app_env == "development":
            transcript_token = _dev_secrets(root, ["TRANSCRIPT_ERASE_TOKEN"])["TRANSCRIPT_ERASE_TOKEN"]
        if transcript_token and len(transcript_token) < 32 and app_env == "production":
            raise ConfigError("TRANSCRIPT_ERASE_TOKEN must be at least 32 characters in production")
        transcript_url = get("TRANSCRIPT_ERASE_URL") or DEFAULT_TRANSCRIPT_ERASE_URL
        if not transcript_url.startswith(("http://", "https://")):
            raise ConfigError("TRANSCRIPT_ERASE_URL must be an http:// or https:// URL")

        database_url = get("DATABASE_URL") or "sqlite:///var/backend.db"
        return cls(
            app_env=app_env,
            database_url=_resolve_database_url(database_url),
            host=get("BACKEND_HOST", "127.0.0.1") or "127.0.0.1",
            port=_int(get("BACKEND_PORT", "8080") or "8080", "BACKEND_PORT"),
            service_token=service_token,
            field_encryption_keys=keys,
            blind_index_key=blind_index_key,
            smtp_host=get("SMTP_HOST"),
            smtp_port=_int(get("SMTP_PORT", "587") or "587", "SMTP_PORT"),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_starttls=_bool(get("SMTP_STARTTLS", "true"), "SMTP_STARTTLS"),
            mail_from=get("MAIL_FROM", "Privacy Team <privacy@localhost>") or "Privacy Team <privacy@localhost>",
            outbox_dir=_resolve_path(get("OUTBOX_DIR", "var/outbox") or "var/outbox"),
            privacy_team_email=get("PRIVACY_TEAM_EMAIL"),
            **_workspace_settings(get),  # type: ignore[arg-type]
            unverified_case_ttl_hours=_int(
                get("UNVERIFIED_CASE_TTL_HOURS", "72") or "72", "UNVERIFIED_CASE_TTL_HOURS", minimum=1
            ),
            retention_days=MappingProxyType(retention),
            expired_case_retention_days=_int(
                get("CASE_RETENTION_DAYS_EXPIRED", "30") or "30", "CASE_RETENTION_DAYS_EXPIRED", minimum=1
            ),
            log_level=(get("LOG_LEVEL", "INFO") or "INFO").upper(),
            transcript_erase_url=transcript_url,
            transcript_erase_token=transcript_token,
        )
