"""The event chain's HMAC keys, held outside the database: read from the settings and given once at start-up."""
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,16}")
MIN_KEY_BYTES = 32


class UnknownKey(LookupError):
    """An event or checkpoint names a key id the keyring does not hold."""


@dataclass(frozen=True)
class Keyring:
    """The chain's HMAC keys by id: the current one hashes new events, older ones still verify theirs."""

    current_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, key: str | None, key_id: str, old_keys: str = "") -> "Keyring":
        """From the settings: a hex key of 32 bytes or more, its id, and retired keys as "id:hexkey,id:hexkey"."""
        if not key:
            raise ValueError("AUDIT_CHAIN_KEY is not set")
        retired = [item for item in old_keys.split(",") if item.strip()]
        if any(":" not in item for item in retired):
            raise ValueError("AUDIT_CHAIN_OLD_KEYS: each entry must be id:hexkey")
        pairs = [("AUDIT_CHAIN_KEY", key_id, key)] + [("AUDIT_CHAIN_OLD_KEYS", *item.split(":", 1)) for item in retired]
        keys: dict[str, bytes] = {}
        for setting, kid, hex_key in pairs:
            kid = kid.strip()
            if not KEY_ID.fullmatch(kid):
                raise ValueError(f"{setting}: key id {kid!r} must be 1 to 16 letters, digits, '.', '_' or '-'")
            if kid in keys:
                raise ValueError(f"{setting}: key id {kid!r} is given twice")
            try:
                keys[kid] = bytes.fromhex(hex_key.strip())
            except ValueError:
                raise ValueError(f"{setting}: the key of id {kid!r} is not hexadecimal") from None
            if len(keys[kid]) < MIN_KEY_BYTES:
                raise ValueError(f"{setting}: the key of id {kid!r} is shorter than {MIN_KEY_BYTES} bytes")
        return cls(key_id.strip(), keys)


_keyring: Keyring | None = None


def configure_keys(keyring: Keyring) -> None:
    """Give the domain its keys at start-up (create_app): held outside the database, so that a database role that
    may INSERT events cannot write one that verifies."""
    global _keyring
    _keyring = keyring


def _keys() -> Keyring:
    if _keyring is None:
        raise RuntimeError("the audit chain key is not configured (chain_keys.configure_keys)")
    return _keyring


def current_id() -> str:
    """The id of the key new events and checkpoints are made with."""
    return _keys().current_id


def mac(key_id: str, text: str) -> str:
    """HMAC-SHA-256 of the text under the key of that id, in hex; UnknownKey when the keyring lacks it."""
    keys = _keys().keys
    if key_id not in keys:
        raise UnknownKey(key_id)
    return hmac.new(keys[key_id], text.encode(), hashlib.sha256).hexdigest()
