"""Sign-in for the staff pages: pluggable providers, server-side sessions, CSRF tokens, sign-in rate limit.

Sessions: the cookie carries a 256-bit random id; the database keeps only its SHA-256 (`staff_sessions`).
A session ends after STAFF_SESSION_IDLE (8 h without a request) or STAFF_SESSION_ABSOLUTE (12 h after
sign-in), whichever comes first, at sign-out, or when the staff member is disabled.

CSRF: every POST form carries `csrf = HMAC-SHA256(key=session id, "csrf")`. Only the holder of the cookie
can compute it, and the cookie is HttpOnly + SameSite=Strict, so a foreign page can neither read nor
send it. The sign-in form (no session yet) uses the same construction over a short-lived pre-session
cookie, which stops login CSRF (signing a victim into an attacker's account).

Providers: `AuthProvider` is the seam for single sign-on. `TokenAuthProvider` checks the personal tokens
printed by `python -m backend create-staff` through the staff service. `OidcAuthProvider` (Microsoft Entra
ID) is NOT IMPLEMENTED: it is a documented stub, off unless STAFF_OIDC_ISSUER is set, and setting it makes
start-up fail rather than show a sign-in button that cannot work (see docs/STAFF.md).
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.crypto import constant_time_equals
from backend.models import StaffUser
from backend.schemas import ApiError
from backend.services import Services
from backend.services.staff import authenticate_staff
from backend.workspace_models import StaffSession, StaffSigninAttempt

SESSION_COOKIE = "staff_session"
SIGNIN_COOKIE = "staff_signin"
COOKIE_PATH = "/staff"
SESSION_IDLE = timedelta(hours=8)
SESSION_ABSOLUTE = timedelta(hours=12)
# last_seen_at is refreshed at most this often, so reading pages does not write on every request.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
SIGNIN_WINDOW = timedelta(minutes=15)
SIGNIN_MAX_FAILURES = 5
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class StaffPagesConfig:
    # None: Secure when the request came over https (request.secure); True behind a TLS-terminating proxy.
    cookie_secure: Optional[bool] = None
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    # The page language when neither the switcher's cookie nor Accept-Language names sv, nb or en.
    default_language: str = "en"

    @classmethod
    def from_settings(cls, settings: Settings) -> "StaffPagesConfig":
        """The STAFF_* values of the backend settings (read from the environment in backend/config.py)."""
        return cls(
            cookie_secure=settings.staff_cookie_secure,
            oidc_issuer=settings.staff_oidc_issuer,
            oidc_client_id=settings.staff_oidc_client_id,
            default_language=settings.staff_default_language,
        )


# --- providers ----------------------------------------------------------------------------------

class AuthProvider(abc.ABC):
    """One way for staff to prove who they are. `authenticate` returns the staff member or None."""

    name: str = ""
    label: str = ""

    @property
    @abc.abstractmethod
    def enabled(self) -> bool: ...

    @abc.abstractmethod
    async def authenticate(self, svc: Services, form: Mapping[str, Any]) -> Optional[StaffUser]: ...


class TokenAuthProvider(AuthProvider):
    """Personal staff tokens (the same ones the staff API accepts), checked by the staff service."""

    name = "token"
    label = "Personal staff token"

    @property
    def enabled(self) -> bool:
        return True

    async def authenticate(self, svc: Services, form: Mapping[str, Any]) -> Optional[StaffUser]:
        token = form.get("token")
        if not isinstance(token, str):
            return None
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH or any(ch.isspace() for ch in token):
            return None
        try:
            return await authenticate_staff(svc, f"Bearer {token}")
        except ApiError:
            return None  # wrong token, or the service token (which is not a staff identity)


class OidcAuthProvider(AuthProvider):
    """Microsoft Entra ID (OpenID Connect) sign-in. NOT IMPLEMENTED.

    Intended design (docs/STAFF.md): authorization code flow with PKCE against STAFF_OIDC_ISSUER, ID token
    validated (issuer, audience = STAFF_OIDC_CLIENT_ID, signature from the issuer's JWKS, nonce, expiry),
    Entra app roles mapped to our three roles, and the `oid` claim linked to a staff_users row by a future
    migration. Until that exists this class refuses to be enabled.
    """

    name = "oidc"
    label = "Microsoft Entra ID"

    def __init__(self, config: StaffPagesConfig) -> None:
        self.configured = bool(config.oidc_issuer or config.oidc_client_id)
        if self.configured:
            raise NotImplementedError(
                "STAFF_OIDC_ISSUER / STAFF_OIDC_CLIENT_ID are set, but OpenID Connect sign-in is not "
                "implemented yet; unset them (see docs/STAFF.md)"
            )

    @property
    def enabled(self) -> bool:
        return False

    async def authenticate(self, svc: Services, form: Mapping[str, Any]) -> Optional[StaffUser]:
        raise NotImplementedError("OpenID Connect sign-in is not implemented")


def build_providers(config: StaffPagesConfig) -> list[AuthProvider]:
    providers: list[AuthProvider] = [TokenAuthProvider(), OidcAuthProvider(config)]
    return [provider for provider in providers if provider.enabled]


# --- tokens -------------------------------------------------------------------------------------

def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(secret: str, purpose: str = "csrf") -> str:
    return hmac.new(secret.encode("utf-8"), purpose.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_ok(secret: Optional[str], submitted: Any, purpose: str = "csrf") -> bool:
    if not secret or not isinstance(submitted, str) or not submitted:
        return False
    return constant_time_equals(csrf_token(secret, purpose), submitted)


def client_key(svc: Services, remote: Optional[str]) -> str:
    """Keyed hash of the client address: rate limiting without storing IP addresses (personal data)."""
    key = hashlib.sha256(b"staff-signin\x00" + svc.settings.blind_index_key.encode("utf-8")).digest()
    return hmac.new(key, (remote or "unknown").encode("utf-8"), hashlib.sha256).hexdigest()


# --- transactions (run with svc.db.run) ----------------------------------------------------------

def create_session_tx(session: Session, staff_id: int, provider: str, now: datetime) -> str:
    # Sweep ended sessions now and then, so the table does not grow with every sign-in.
    session.execute(
        delete(StaffSession)
        .where((StaffSession.expires_at <= now) | (StaffSession.last_seen_at <= now - SESSION_IDLE))
        .execution_options(synchronize_session=False)
    )
    session_id = new_session_id()
    session.add(StaffSession(
        session_hash=session_hash(session_id), staff_id=staff_id, provider=provider, created_at=now,
        last_seen_at=now, expires_at=now + SESSION_ABSOLUTE,
    ))
    return session_id


def load_session_tx(session: Session, session_id: str, now: datetime) -> Optional[tuple[StaffUser, datetime]]:
    """The staff member of a live session (and when it ends at the latest); None for anything else."""
    row = session.execute(
        select(StaffSession).where(StaffSession.session_hash == session_hash(session_id))
    ).scalar_one_or_none()
    if row is None:
        return None
    staff = session.get(StaffUser, row.staff_id)
    if row.expires_at <= now or row.last_seen_at + SESSION_IDLE <= now or staff is None or staff.disabled_at:
        session.delete(row)
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    session.expunge(staff)
    return staff, min(row.expires_at, row.last_seen_at + SESSION_IDLE)


def delete_session_tx(session: Session, session_id: str) -> None:
    session.execute(
        delete(StaffSession).where(StaffSession.session_hash == session_hash(session_id))
        .execution_options(synchronize_session=False)
    )


def signin_blocked_tx(session: Session, key: str, now: datetime) -> bool:
    failures = session.execute(
        select(func.count()).select_from(StaffSigninAttempt)
        .where(StaffSigninAttempt.client_key == key, StaffSigninAttempt.created_at > now - SIGNIN_WINDOW)
    ).scalar_one()
    return failures >= SIGNIN_MAX_FAILURES


def record_failure_tx(session: Session, key: str, now: datetime) -> None:
    session.execute(
        delete(StaffSigninAttempt).where(StaffSigninAttempt.created_at <= now - SIGNIN_WINDOW)
        .execution_options(synchronize_session=False)
    )
    session.add(StaffSigninAttempt(client_key=key, created_at=now))
