"""Access tokens of the FHIR API: JWTs signed with HMAC-SHA-256 under FHIR_TOKEN_KEY, short-lived, naming the
client and the scopes granted. The API checks the client is still active on every request, so deactivating one
takes effect at once rather than at its token's expiry."""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ISSUER = "inclusive-access"
ALGORITHM = "HS256"
MIN_KEY_BYTES = 32


class InvalidToken(Exception):
    """Not a token this service signed, or no longer valid: the message says which, for WWW-Authenticate."""


@dataclass(frozen=True)
class Grant:
    client_id: str
    scopes: frozenset[str]


def parse_key(value: str | None) -> OctKey:
    """The signing key from its hex setting; ValueError saying what is wrong with it."""
    if not value:
        raise ValueError("FHIR_TOKEN_KEY is not set")
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", value):
        raise ValueError("FHIR_TOKEN_KEY is not hexadecimal")
    if len(value) < 2 * MIN_KEY_BYTES:
        raise ValueError(f"FHIR_TOKEN_KEY is shorter than {MIN_KEY_BYTES} bytes")
    return OctKey.import_key(bytes.fromhex(value))


def issue(key: OctKey, grant: Grant, lifetime: timedelta, now: datetime) -> str:
    issued = int(now.timestamp())
    return jwt.encode({"alg": ALGORITHM}, {
        "iss": ISSUER, "sub": grant.client_id, "scope": " ".join(sorted(grant.scopes)), "iat": issued,
        "exp": issued + int(lifetime.total_seconds()), "jti": secrets.token_urlsafe(12)}, key)


def verify(key: OctKey, token: str, now: datetime) -> Grant:
    """The grant a token carries, if we signed it and it has not expired."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM]).claims
        jwt.JWTClaimsRegistry(now=int(now.timestamp()), iss={"essential": True, "value": ISSUER},
                              sub={"essential": True}, exp={"essential": True}).validate(claims)
    except JoseError as exc:
        raise InvalidToken("The access token has expired" if exc.error == "expired_token"
                           else "The access token is not valid") from exc
    except ValueError as exc:  # not even a JWT's shape
        raise InvalidToken("The access token is not valid") from exc
    return Grant(claims["sub"], frozenset(str(claims.get("scope", "")).split()))
