"""Settings of the Teams channel, read once: credentials.yml keys first, then the environment (.env).

Secrets (app password) should live only in the environment; credentials.yml may carry the non-secret
options or reference environment variables. Every timeout, retry and cache lifetime of the channel is
stated here, in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from dotenv import load_dotenv

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_LOGIN_BASE_URL = "https://login.microsoftonline.com"
# The "tenant" that issues outgoing tokens for multi-tenant bots.
MULTI_TENANT_AUTHORITY = "botframework.com"
CONNECTOR_SCOPE = "https://api.botframework.com/.default"

SINGLE_TENANT = "SingleTenant"
MULTI_TENANT = "MultiTenant"

BUTTONS_AS_HERO_CARD = "hero_card"
BUTTONS_AS_SUGGESTED_ACTIONS = "suggested_actions"


class TeamsConfigError(ValueError):
    """The channel is configured so that it could not work safely; raised at start-up, not per request."""


class TeamsNotConfigured(TeamsConfigError):
    """None of the Teams identity settings is given (app id, password, tenants): the channel is switched off.

    `TeamsInput.from_credentials` turns this into a channel whose webhook answers 503, so credentials.yml can
    always list Teams and `make run` needs no Azure secrets. Any other `TeamsConfigError` (a half
    configuration) still stops start-up."""


# Every environment variable the channel reads (.env.example lists them), e.g. for tests that must blank them all.
ENVIRONMENT_VARIABLES = (
    "TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_APP_TYPE", "TEAMS_TENANT_IDS", "TEAMS_APP_TENANT_ID",
    "TEAMS_ALLOWED_ISSUERS", "TEAMS_BUTTON_STYLE", "TEAMS_OPENID_METADATA_URL", "TEAMS_LOGIN_BASE_URL",
    "TEAMS_KEYS_TTL_S", "TEAMS_KEYS_MIN_REFETCH_INTERVAL_S", "TEAMS_TOKEN_LEEWAY_S", "TEAMS_RESOLVE_USER_EMAIL",
)

# The settings that say "this server is a Teams bot". All empty: Teams is off. Some set: all must be right.
IDENTITY_SETTINGS = (
    ("app_id", "TEAMS_APP_ID"),
    ("app_password", "TEAMS_APP_PASSWORD"),
    ("tenant_ids", "TEAMS_TENANT_IDS"),
    ("app_tenant_id", "TEAMS_APP_TENANT_ID"),
)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How replies are posted to the Bot Connector (serviceUrl): the only place these numbers live."""

    connect_timeout_s: float = 3.0
    total_timeout_s: float = 10.0  # per attempt
    attempts: int = 3  # first try + 2 retries; then the reply is given up and logged
    backoff_s: Tuple[float, ...] = (0.5, 1.5)  # wait before retry 1, 2, ...
    max_retry_after_s: float = 5.0  # cap for a 429's Retry-After header
    max_queued_per_conversation: int = 50  # beyond this a conversation's replies are dropped (and logged)
    shutdown_drain_s: float = 5.0  # how long server shutdown waits for queued replies

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number `retry_number` (1-based)."""
        if not self.backoff_s:
            return 0.0
        return self.backoff_s[min(retry_number, len(self.backoff_s)) - 1]


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str
    app_password: str
    app_type: str  # SingleTenant | MultiTenant
    allowed_tenant_ids: Tuple[str, ...]  # lower case; a Teams user of one of these tenants counts as staff
    app_tenant_id: Optional[str] = None  # the bot registration's home tenant (single-tenant token endpoint)
    allowed_issuers: Tuple[str, ...] = (BOT_FRAMEWORK_ISSUER,)
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    login_base_url: str = DEFAULT_LOGIN_BASE_URL
    # Clock skew tolerated on exp/nbf. The Bot Framework SDKs allow 5 minutes; we allow 2.
    leeway_s: float = 120.0
    keys_ttl_s: float = 24 * 3600.0  # signing keys are refreshed daily
    keys_min_refetch_interval_s: float = 300.0  # an unknown `kid` triggers at most one refetch per interval
    keys_fetch_timeout_s: float = 5.0
    token_fetch_timeout_s: float = 10.0
    token_refresh_margin_s: float = 300.0  # outgoing token renewed this long before it expires
    member_lookup_timeout_s: float = 3.0
    member_cache_ttl_s: float = 3600.0
    resolve_user_email: bool = True  # look the user's e-mail up in the Teams roster (for staff identity)
    button_style: str = BUTTONS_AS_HERO_CARD
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    @property
    def token_authority(self) -> str:
        """The tenant segment of the outgoing token endpoint."""
        if self.app_type == SINGLE_TENANT:
            return str(self.app_tenant_id)
        return MULTI_TENANT_AUTHORITY

    @property
    def token_url(self) -> str:
        return f"{self.login_base_url.rstrip('/')}/{self.token_authority}/oauth2/v2.0/token"


def _pick(credentials: Mapping[str, Any], key: str, env: str, default: Any = None) -> Any:
    value = credentials.get(key)
    if value is None or value == "":
        value = os.environ.get(env)
    if value is None or value == "":
        return default
    return value


def _as_list(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = value.replace(";", ",").split(",")
    else:
        items = [str(item) for item in value]
    return tuple(item.strip() for item in items if item and item.strip())


def _is_set(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(str(item).strip() for item in value)
    return value is not None and str(value).strip() != ""


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def load_settings(credentials: Optional[Mapping[str, Any]] = None, *, dotenv: bool = True) -> TeamsSettings:
    """Build the settings from credentials.yml (`credentials`) and the environment; fail loudly if unsafe."""
    if dotenv:
        load_dotenv(override=False)
    creds: Dict[str, Any] = dict(credentials or {})

    app_id = str(_pick(creds, "app_id", "TEAMS_APP_ID", "")).strip()
    app_password = str(_pick(creds, "app_password", "TEAMS_APP_PASSWORD", ""))
    app_type_raw = str(_pick(creds, "app_type", "TEAMS_APP_TYPE", MULTI_TENANT)).strip()
    app_type = {"singletenant": SINGLE_TENANT, "multitenant": MULTI_TENANT}.get(app_type_raw.lower().replace("-", ""))
    tenants = tuple(t.lower() for t in _as_list(_pick(creds, "tenant_ids", "TEAMS_TENANT_IDS")))
    app_tenant_id = _pick(creds, "app_tenant_id", "TEAMS_APP_TENANT_ID") or (tenants[0] if tenants else None)
    issuers = _as_list(_pick(creds, "allowed_issuers", "TEAMS_ALLOWED_ISSUERS")) or (BOT_FRAMEWORK_ISSUER,)
    button_style = str(_pick(creds, "button_style", "TEAMS_BUTTON_STYLE", BUTTONS_AS_HERO_CARD))

    # Options that need no secret are checked even when Teams is off, so a typo shows at once.
    if app_type is None:
        raise TeamsConfigError("Teams channel: TEAMS_APP_TYPE must be SingleTenant or MultiTenant")
    if button_style not in (BUTTONS_AS_HERO_CARD, BUTTONS_AS_SUGGESTED_ACTIONS):
        raise TeamsConfigError("Teams channel: button_style must be hero_card or suggested_actions")

    given = [env for key, env in IDENTITY_SETTINGS if _is_set(_pick(creds, key, env))]
    if not given:
        raise TeamsNotConfigured("Teams channel: not configured (TEAMS_APP_ID, TEAMS_APP_PASSWORD and "
                                 "TEAMS_TENANT_IDS are empty)")
    missing = [env for env, value in (("TEAMS_APP_ID", app_id), ("TEAMS_APP_PASSWORD", app_password))
               if not value]
    if missing:
        raise TeamsConfigError(
            f"Teams channel: half configured: {', '.join(given)} set but {' and '.join(missing)} missing. "
            "Set all of TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_IDS, or none of them to leave Teams off"
        )
    if not tenants:
        # An empty allow-list would let any organisation's users in as "staff"; refuse to start instead.
        raise TeamsConfigError("Teams channel: TEAMS_TENANT_IDS must list the allowed Entra ID tenant ids")
    explicit_app_tenant = _pick(creds, "app_tenant_id", "TEAMS_APP_TENANT_ID")
    if app_type == SINGLE_TENANT:
        # A single-tenant bot only gets (and only serves) users of its home tenant: the token authority and
        # the allow-list must name the same tenant, or every reply or every request would fail later.
        if str(app_tenant_id).lower() not in tenants:
            raise TeamsConfigError("Teams channel: a SingleTenant app's TEAMS_APP_TENANT_ID must be one of "
                                   "TEAMS_TENANT_IDS (its users come from its home tenant)")
    elif explicit_app_tenant:
        # Ignoring it would hide a mistake: the operator most likely registered a SingleTenant bot.
        raise TeamsConfigError("Teams channel: TEAMS_APP_TENANT_ID is only used by SingleTenant apps; "
                               "set TEAMS_APP_TYPE=SingleTenant or leave TEAMS_APP_TENANT_ID empty")

    optional: Dict[str, Any] = {}
    for key, env, cast in (
        ("openid_metadata_url", "TEAMS_OPENID_METADATA_URL", str),
        ("login_base_url", "TEAMS_LOGIN_BASE_URL", str),
        ("leeway_s", "TEAMS_TOKEN_LEEWAY_S", float),
        ("keys_ttl_s", "TEAMS_KEYS_TTL_S", float),
        ("keys_min_refetch_interval_s", "TEAMS_KEYS_MIN_REFETCH_INTERVAL_S", float),
        ("resolve_user_email", "TEAMS_RESOLVE_USER_EMAIL", _as_bool),
    ):
        value = _pick(creds, key, env)
        if value is not None:
            optional[key] = cast(value)
    if isinstance(creds.get("delivery"), Mapping):
        delivery = dict(creds["delivery"])
        if "backoff_s" in delivery:
            delivery["backoff_s"] = tuple(float(v) for v in delivery["backoff_s"])
        optional["delivery"] = DeliveryPolicy(**delivery)

    return TeamsSettings(
        app_id=app_id,
        app_password=app_password,
        app_type=app_type,
        allowed_tenant_ids=tenants,
        app_tenant_id=str(app_tenant_id) if app_tenant_id else None,
        allowed_issuers=issuers,
        button_style=button_style,
        **optional,
    )
