"""Every setting the backend reads is documented in .env.example, and the example is loadable."""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.fernet import Fernet

from backend.config import DEFAULT_RETENTION_DAYS, PROJECT_ROOT, SECRET_NAMES, Settings


def test_env_example_documents_every_setting(tmp_path: Path) -> None:
    example = PROJECT_ROOT / ".env.example"
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example.read_text(), re.MULTILINE))
    source = (PROJECT_ROOT / "backend" / "config.py").read_text()
    read = set(re.findall(r'get\("([A-Z][A-Z0-9_]*)"', source)) | set(SECRET_NAMES)
    read |= {f"CASE_RETENTION_DAYS_{case_type.upper()}" for case_type in DEFAULT_RETENTION_DAYS}
    assert read - documented == set()
    assert documented - read == set()

    settings = Settings.from_env(
        environ={"APP_ENV": "production", "BACKEND_SERVICE_TOKEN": "s" * 40,
                 "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "BLIND_INDEX_KEY": "k" * 32, "SMTP_HOST": "smtp.example.test"},
        env_file=example, root=tmp_path,
    )
    assert settings.unverified_case_ttl_hours == 72 and dict(settings.retention_days) == dict(DEFAULT_RETENTION_DAYS)
