"""Every setting the backend reads is documented in .env.example, and the example is loadable."""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.fernet import Fernet

from backend.config import DEFAULT_RETENTION_DAYS, PROJECT_ROOT, SECRET_NAMES, Settings


# Every component reads its settings with one of these shapes; the Teams config names them in tuples.
SETTING_READ = re.compile(
    r'(?:get|getenv|_env|_env_number|_pick\(creds, "[a-z_]+",)\s*\(?\s*"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"'
    r'|\("[a-z_]+", "([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)", '
)


def settings_read_by_the_code() -> set:
    """Names of the environment settings the backend, the bot, the actions and `make run` read."""
    read = set(SECRET_NAMES)
    read |= {f"CASE_RETENTION_DAYS_{case_type.upper()}" for case_type in DEFAULT_RETENTION_DAYS}
    read |= {f"ALERT_EMAIL_{role.upper()}" for role in ("privacy_officer", "recruiter", "security")}
    for folder in ("backend", "bot", "actions", "scripts"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for match in SETTING_READ.finditer(path.read_text(encoding="utf-8")):
                read.add(match.group(1) or match.group(2))
    # endpoints.production.yml takes its values from the environment too.
    endpoints = (PROJECT_ROOT / "endpoints.production.yml").read_text().splitlines()
    for line in endpoints:
        if not line.lstrip().startswith("#"):
            read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", line))
    return read


def test_env_example_documents_every_setting(tmp_path: Path) -> None:
    example = PROJECT_ROOT / ".env.example"
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example.read_text(), re.MULTILINE))
    read = settings_read_by_the_code()
    assert read - documented == set()
    assert documented - read == set()

    settings = Settings.from_env(
        environ={"APP_ENV": "production", "BACKEND_SERVICE_TOKEN": "s" * 40,
                 "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "BLIND_INDEX_KEY": "k" * 32, "SMTP_HOST": "smtp.example.test"},
        env_file=example, root=tmp_path,
    )
    assert settings.unverified_case_ttl_hours == 72 and dict(settings.retention_days) == dict(DEFAULT_RETENTION_DAYS)
