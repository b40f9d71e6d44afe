"""The OpenID Connect provider, through Authlib: the authorization request (code flow, PKCE S256, state and nonce),
the code's exchange, the ID token's checks, and the provider's sign-out address.

Authlib's client is built from the configuration when first needed and kept while the configuration stays the
same; it caches the provider's discovery document and keys (fetching the keys again when a token names a key it
has not seen, as after the provider rotates them).
"""
import time
from collections.abc import Mapping
from dataclasses import dataclass
from threading import Lock

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app
from joserfc.errors import JoseError

#: seconds of clock difference allowed with the provider, and the oldest ID token accepted: one is fetched from
#: the token endpoint at the moment of sign-in, so an older one is a replay, whatever its expiry says
LEEWAY_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 600
#: the provider's answer is awaited this long before the sign-in is given up
TIMEOUT_SECONDS = 10

_clients: dict[tuple, FlaskOAuth2App] = {}
_clients_lock = Lock()


class ProviderError(Exception):
    """The provider's answer could not be used; `reason` is what the event records."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:200]


@dataclass(frozen=True)
class Authorization:
    """An authorization request: the provider's address to send the browser to, and what the callback checks."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def configured(cfg: Mapping | None = None) -> bool:
    """Whether a provider is configured: without one, no button, and the single sign-on routes answer 404."""
    cfg = current_app.config if cfg is None else cfg
    return bool(cfg.get("OIDC_ISSUER") and cfg.get("OIDC_CLIENT_ID"))


def _client() -> FlaskOAuth2App:
    cfg = current_app.config
    issuer = cfg["OIDC_ISSUER"].rstrip("/")
    key = (issuer, cfg.get("OIDC_DISCOVERY_URL"), cfg["OIDC_CLIENT_ID"], cfg.get("OIDC_CLIENT_SECRET"),
           cfg["OIDC_SCOPES"], cfg["OIDC_TOKEN_AUTH_METHOD"])
    with _clients_lock:
        if key not in _clients:
            _clients[key] = FlaskOAuth2App(
                FlaskIntegration("oidc"), "oidc", client_id=cfg["OIDC_CLIENT_ID"],
                client_secret=cfg.get("OIDC_CLIENT_SECRET"),
                server_metadata_url=cfg.get("OIDC_DISCOVERY_URL") or f"{issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": cfg["OIDC_SCOPES"], "code_challenge_method": "S256",
                               "token_endpoint_auth_method": cfg["OIDC_TOKEN_AUTH_METHOD"],
                               "default_timeout": TIMEOUT_SECONDS})
        return _clients[key]


def _metadata(client: FlaskOAuth2App) -> dict:
    """The discovery document, which must name the configured issuer (OpenID Connect Discovery 1.0, 4.3)."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"discovery failed: {type(exc).__name__}") from exc
    if metadata.get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
        raise ProviderError("discovery names another issuer")
    return metadata


def authorization(redirect_uri: str) -> Authorization:
    """A new authorization request: fresh state, nonce and PKCE verifier (Authlib makes them, S256 challenge)."""
    client = _client()
    _metadata(client)
    extra = {"acr_values": acr} if (acr := current_app.config.get("OIDC_ACR_VALUES")) else {}
    made = client.create_authorization_url(redirect_uri, **extra)
    return Authorization(made["url"], made["state"], made["nonce"], made["code_verifier"])


def identity(code: str, redirect_uri: str, nonce: str, code_verifier: str) -> tuple[str, dict, str]:
    """Exchange the code, check the ID token (the provider's signature by its published keys; issuer, audience,
    expiry, issue time and nonce), and return the issuer, the person's claims (the ID token's, with the userinfo
    endpoint's when the token lacks the role claim) and the raw ID token, kept as the sign-out hint."""
    cfg, client = current_app.config, _client()
    metadata = _metadata(client)
    try:
        token = client.fetch_access_token(redirect_uri=redirect_uri, code=code, code_verifier=code_verifier)
    except OAuthError as exc:
        raise ProviderError(f"token request refused: {exc.error}") from exc
    except requests.RequestException as exc:
        raise ProviderError(f"token request failed: {type(exc).__name__}") from exc
    if "id_token" not in token:
        raise ProviderError("no ID token")
    now = int(time.time())
    options = {"iss": {"essential": True, "value": metadata["issuer"]},
               "aud": {"essential": True, "value": cfg["OIDC_CLIENT_ID"]},
               "sub": {"essential": True}, "exp": {"essential": True},
               "iat": {"essential": True, "validate": lambda _claims, iat: now - iat <= MAX_TOKEN_AGE_SECONDS}}
    try:
        claims = dict(client.parse_id_token(token, nonce=nonce, claims_options=options, leeway=LEEWAY_SECONDS))
    except (JoseError, ValueError) as exc:
        raise ProviderError(f"ID token refused: {exc}") from exc
    except requests.RequestException as exc:
        raise ProviderError(f"keys not fetched: {type(exc).__name__}") from exc
    if cfg["OIDC_ROLE_CLAIM"] not in claims and metadata.get("userinfo_endpoint"):
        claims = {**_userinfo(client, token, claims["sub"]), **claims}
    return metadata["issuer"], claims, token["id_token"]


def _userinfo(client: FlaskOAuth2App, token: dict, subject: str) -> dict:
    try:
        info = dict(client.userinfo(token=token))
    except (OAuthError, requests.RequestException, ValueError) as exc:
        raise ProviderError(f"userinfo failed: {type(exc).__name__}") from exc
    if info.get("sub") != subject:  # OpenID Connect Core 5.3.2: else the answer may be someone else's
        raise ProviderError("userinfo is of another subject")
    return info


def end_session_url(id_token_hint: str, post_logout_redirect_uri: str) -> str | None:
    """Where the browser goes to end the provider's session too (RP-initiated logout), or None when the provider
    has no such endpoint or cannot be reached: the local sign-out has happened either way."""
    try:
        client = _client()
        if not _metadata(client).get("end_session_endpoint"):
            return None
        return client.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri,
                                        id_token_hint=id_token_hint, client_id=client.client_id)["url"]
    except ProviderError:
        return None
