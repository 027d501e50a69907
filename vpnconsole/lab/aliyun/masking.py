"""Secret masking for everything the sim logs. The PSK never reaches a log line."""

from __future__ import annotations

import json
from typing import Any, Mapping

__all__ = ["mask_params", "SECRET_KEYS"]

MASK = "******"
SECRET_KEYS = frozenset({"psk", "authkey", "accesskeysecret", "securitytoken", "signature", "password"})
# Parameters that may carry a secret inside a JSON string: redacted whole when not parseable.
SECRET_CONTAINERS = frozenset({"ikeconfig", "tunnelikeconfig", "bgpconfig", "tunnelbgpconfig"})


def _mask_obj(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else _mask_obj(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask_obj(x) for x in obj]
    return obj


def _mask_value(value: str, container: bool = False) -> str:
    stripped = value.lstrip()
    if stripped.startswith(("{", "[")) or container:
        try:
            return json.dumps(_mask_obj(json.loads(value)), separators=(",", ":"))
        except ValueError:
            return f"<unparseable JSON, {len(value)} chars>"
    return value


def mask_params(flat: Mapping[str, str]) -> dict[str, str]:
    """Mask secret leaves (``...Psk``, ``...AuthKey``...) and secrets inside JSON-string values."""
    out = {}
    for k, v in flat.items():
        leaf = k.rsplit(".", 1)[-1].lower()
        if leaf in SECRET_KEYS:
            out[k] = MASK
        elif isinstance(v, str):
            out[k] = _mask_value(v, leaf in SECRET_CONTAINERS)
        else:
            out[k] = v
    return out


def remember_secret(value: str) -> None:
    """Also register a secret with the project's logging backstop (:mod:`vpnconsole.redact`)."""
    if not value:
        return
    try:
        from vpnconsole.redact import remember
    except ImportError:  # pragma: no cover - the backstop is optional for the sim
        return
    remember(value)
