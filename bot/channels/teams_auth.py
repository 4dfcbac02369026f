"""Authentication both ways between the Bot Connector service and this bot.

Incoming: every activity carries a JWT signed by the Bot Framework. `InboundTokenValidator` checks the
signature (RS256, key from the OpenID metadata's jwks_uri), issuer, audience (our app id), exp/nbf and
the key's channel endorsements. Keys are fetched lazily on the first request, cached for a TTL, and
refetched once (rate-limited) when a token names an unknown key id.

Outgoing: `ConnectorTokenProvider` gets an app token by client credentials from the single-tenant
(`<tenant>`) or multi-tenant (`botframework.com`) token endpoint and caches it until shortly before it
expires.

Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import aiohttp
import jwt

from bot.channels.teams_config import CONNECTOR_SCOPE, TeamsSettings

logger = logging.getLogger(__name__)

SessionGetter = Callable[[], Awaitable[aiohttp.ClientSession]]

_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
ACCEPTED_ALGORITHMS = ["RS256"]


class AuthenticationError(Exception):
    """The request is not from the Bot Framework (answer 401). `reason` is a short code, safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailableError(Exception):
    """The signing keys could not be fetched, so no token can be checked now (answer 503)."""


@dataclass(frozen=True)
class ValidatedToken:
    claims: Dict[str, Any]
    endorsements: Optional[List[str]]  # channel ids the signing key is endorsed for, if the key says

    def check_activity(self, channel_id: Optional[str], service_url: Optional[str]) -> None:
        """The parts of validation that need the activity: endorsement and the `serviceurl` claim."""
        if self.endorsements is not None and channel_id not in self.endorsements:
            raise AuthenticationError("key_not_endorsed_for_channel")
        claimed = self.claims.get("serviceurl")
        if claimed is not None and _norm_url(str(claimed)) != _norm_url(service_url or ""):
            raise AuthenticationError("serviceurl_mismatch")


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def bearer_token(header: Optional[str]) -> str:
    if not header:
        raise AuthenticationError("missing_authorization")
    match = _BEARER.match(header)
    if not match:
        raise AuthenticationError("not_bearer")
    return match.group(1)


class SigningKeyCache:
    """The Bot Framework's public signing keys, by key id."""

    def __init__(self, settings: TeamsSettings, session: SessionGetter, clock: Callable[[], float] = time.monotonic):
        self._settings = settings
        self._session = session
        self._clock = clock
        self._keys: Dict[str, jwt.PyJWK] = {}
        self._endorsements: Dict[str, Optional[List[str]]] = {}
        self._fetched_at: Optional[float] = None
        self._last_attempt_at: Optional[float] = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0  # how often the key set was downloaded (tests and diagnostics)

    async def get(self, kid: str) -> jwt.PyJWK:
        if self._expired():
            await self._refresh(kid, on_ttl=True)
        if kid not in self._keys and self._may_refetch_for_unknown_kid():
            await self._refresh(kid, on_ttl=False)
        key = self._keys.get(kid)
        if key is None:
            raise AuthenticationError("unknown_key_id")
        return key

    def endorsements(self, kid: str) -> Optional[List[str]]:
        return self._endorsements.get(kid)

    def _expired(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._settings.keys_ttl_s

    def _may_refetch_for_unknown_kid(self) -> bool:
        last = self._last_attempt_at
        return last is None or self._clock() - last >= self._settings.keys_min_refetch_interval_s

    async def _refresh(self, kid: str, *, on_ttl: bool) -> None:
        waiting_since = self._clock()
        async with self._lock:
            # Whoever held the lock before us may already have done the work (or just failed at it).
            if self._last_attempt_at is not None and self._last_attempt_at >= waiting_since:
                if not self._keys:
                    raise KeysUnavailableError("fetch failed moments ago")
                return
            if on_ttl and not self._expired():
                return
            if not on_ttl and (kid in self._keys or not self._may_refetch_for_unknown_kid()):
                return
            self._last_attempt_at = self._clock()
            try:
                keys, endorsements = await self._download()
            except Exception as error:  # network, HTTP status, JSON shape
                if self._keys:
                    # Keep serving with the keys we have: a short outage must not lock everyone out.
                    logger.warning("teams.keys refresh failed (%s), keeping %d cached keys",
                                   type(error).__name__, len(self._keys))
                    return
                logger.error("teams.keys fetch failed (%s)", type(error).__name__)
                raise KeysUnavailableError(type(error).__name__) from error
            self._keys, self._endorsements = keys, endorsements
            self._fetched_at = self._clock()
            self.fetch_count += 1
            logger.info("teams.keys fetched %d keys (reason=%s)", len(keys), "ttl" if on_ttl else "unknown_kid")

    async def _download(self) -> Tuple[Dict[str, jwt.PyJWK], Dict[str, Optional[List[str]]]]:
        session = await self._session()
        timeout = aiohttp.ClientTimeout(total=self._settings.keys_fetch_timeout_s)
        async with session.get(self._settings.openid_metadata_url, timeout=timeout) as resp:
            resp.raise_for_status()
            metadata = await resp.json(content_type=None)
        jwks_uri = metadata["jwks_uri"]
        async with session.get(jwks_uri, timeout=timeout) as resp:
            resp.raise_for_status()
            jwks = await resp.json(content_type=None)
        keys: Dict[str, jwt.PyJWK] = {}
        endorsements: Dict[str, Optional[List[str]]] = {}
        for entry in jwks.get("keys", []):
            kid = entry.get("kid")
            if not kid or entry.get("kty") != "RSA":
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                logger.warning("teams.keys skipped an unusable key")
                continue
            found = entry.get("endorsements")
            endorsements[kid] = [str(e) for e in found] if isinstance(found, list) else None
        if not keys:
            raise ValueError("no usable RSA keys in the JWKS")
        return keys, endorsements


class InboundTokenValidator:
    """Checks the Authorization header of an incoming activity."""

    def __init__(self, settings: TeamsSettings, keys: SigningKeyCache) -> None:
        self._settings = settings
        self.keys = keys

    async def validate(self, authorization: Optional[str]) -> ValidatedToken:
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("malformed_token")
        # Never trust the header's algorithm choice ("none", HS256 with the public key, ...).
        if header.get("alg") not in ACCEPTED_ALGORITHMS:
            raise AuthenticationError("algorithm_not_allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("missing_key_id")
        key = await self.keys.get(kid)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ACCEPTED_ALGORITHMS,
                audience=self._settings.app_id,
                issuer=list(self._settings.allowed_issuers),
                leeway=self._settings.leeway_s,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("expired")
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("not_yet_valid")
        except jwt.InvalidAudienceError:
            raise AuthenticationError("wrong_audience")
        except jwt.InvalidIssuerError:
            raise AuthenticationError("wrong_issuer")
        except jwt.InvalidSignatureError:
            raise AuthenticationError("bad_signature")
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"invalid_token:{type(error).__name__}")
        return ValidatedToken(claims=claims, endorsements=self.keys.endorsements(kid))


class TokenUnavailableError(Exception):
    """No outgoing token could be obtained (login endpoint down or credentials rejected)."""


class ConnectorTokenProvider:
    """App token for calls to the Bot Connector (client credentials), cached until shortly before expiry."""

    def __init__(self, settings: TeamsSettings, session: SessionGetter, clock: Callable[[], float] = time.monotonic):
        self._settings = settings
        self._session = session
        self._clock = clock
        self._token: Optional[str] = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def invalidate(self) -> None:
        self._token = None
        self._renew_at = 0.0

    async def token(self) -> str:
        if self._token and self._clock() < self._renew_at:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._renew_at:
                return self._token
            session = await self._session()
            form = {
                "grant_type": "client_credentials",
                "client_id": self._settings.app_id,
                "client_secret": self._settings.app_password,
                "scope": CONNECTOR_SCOPE,
            }
            timeout = aiohttp.ClientTimeout(total=self._settings.token_fetch_timeout_s)
            try:
                async with session.post(self._settings.token_url, data=form, timeout=timeout) as resp:
                    if resp.status != 200:
                        logger.error("teams.token request refused (status=%d)", resp.status)
                        raise TokenUnavailableError(f"status {resp.status}")
                    body = await resp.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("teams.token request failed (%s)", type(error).__name__)
                raise TokenUnavailableError(type(error).__name__) from error
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise TokenUnavailableError("no access_token")
            expires_in = float(body.get("expires_in") or 3600)
            margin = min(self._settings.token_refresh_margin_s, expires_in / 2)
            self._token = token
            self._renew_at = self._clock() + expires_in - margin
            self.fetch_count += 1
            logger.info("teams.token acquired (valid %ds)", int(expires_in))
            return token
