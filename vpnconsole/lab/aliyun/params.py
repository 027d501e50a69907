"""Request parameter decoding: merge, unflatten and typed access.

The real SDK sends scalar parameters in the query string and "body" parameters
(``TunnelOptionsSpecification`` of Create/ModifyVpnConnection) as an
``application/x-www-form-urlencoded`` body. Lists and nested objects are
flattened with 1-based indexes and dots (``TunnelOptionsSpecification.1.
TunnelIkeConfig.Psk``); ModifyTunnelAttribute flattens a single object without
an index (``TunnelOptionsSpecification.TunnelIkeConfig.IkeLifetime``).
Booleans arrive as ``True``/``False``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from .errors import invalid, missing

__all__ = [
    "TRANSPORT_PARAMS",
    "ParamReader",
    "merge_params",
    "unflatten",
    "parse_bool",
    "parse_int",
]

# Parameters that belong to the transport (legacy RPC signing), never to the action.
TRANSPORT_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureType",
        "AccessKeyId",
        "Signature",
        "SecurityToken",
    }
)


def merge_params(query: Iterable[tuple[str, str]], form: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Merge query-string and form-body pairs (the body wins on a clash)."""
    out: dict[str, str] = {}
    for k, v in query:
        out[k] = v
    for k, v in form:
        out[k] = v
    return out


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def unflatten(flat: Mapping[str, str], prefix: str) -> Any:
    """Rebuild the structure under ``prefix`` from flattened keys.

    ``Name.1.Sub.Key`` becomes ``[{"Sub": {"Key": ...}}]`` (1-based, ordered by
    index); ``Name.Sub`` becomes ``{"Sub": ...}``. Returns ``None`` when no key
    starts with ``prefix.``. A scalar sent as ``prefix`` itself is ignored here
    (see :meth:`ParamReader.has_flattened`).
    """
    root: dict[str, Any] = {}
    found = False
    dot = prefix + "."
    for key, value in flat.items():
        if not key.startswith(dot):
            continue
        found = True
        parts = key[len(dot):].split(".")
        node = root
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                node[part] = nxt
            node = nxt
        if isinstance(node.get(parts[-1]), dict):
            continue  # both "A.B" and "A.B.C" sent: keep the structure
        node[parts[-1]] = value
    if not found:
        return None
    return _listify(root)


def parse_bool(name: str, value: Any) -> bool:
    """Booleans are case-insensitive; the SDK sends ``True``/``False``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(name, "It must be true or false.")


def parse_int(name: str, value: Any, *, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool):
        raise invalid(name, "It must be an integer.")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        n = int(value.strip())
    else:
        raise invalid(name, "It must be an integer.")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise invalid(name, f"It must be between {lo} and {hi}.")
    return n


class ParamReader:
    """Typed, validating access to the merged parameters of one request."""

    def __init__(self, flat: Mapping[str, str]):
        self.flat = dict(flat)

    # -- presence -----------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.flat or self.has_flattened(name)

    def has_flattened(self, name: str) -> bool:
        dot = name + "."
        return any(k.startswith(dot) for k in self.flat)

    # -- scalars ------------------------------------------------------------
    def str(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        v = self.flat.get(name)
        if v is None or v == "":
            if required:
                raise missing(name)
            return default
        return v

    def req(self, name: str) -> str:
        v = self.str(name, required=True)
        assert v is not None
        return v

    def bool(self, name: str, default: bool | None = None, *, required: bool = False) -> bool | None:
        v = self.flat.get(name)
        if v is None or v == "":
            if required:
                raise missing(name)
            return default
        return parse_bool(name, v)

    def int(self, name: str, default: int | None = None, *, lo: int | None = None, hi: int | None = None,
            required: bool = False) -> int | None:
        v = self.flat.get(name)
        if v is None or v == "":
            if required:
                raise missing(name)
            return default
        return parse_int(name, v, lo=lo, hi=hi)

    def page(self, *, size_max: int = 50) -> tuple[int, int]:
        number = self.int("PageNumber", 1, lo=1, hi=10**9)
        size = self.int("PageSize", 10, lo=1, hi=size_max)
        assert number is not None and size is not None
        return number, size

    # -- structured ---------------------------------------------------------
    def json_object(self, name: str) -> dict[str, Any] | None:
        """A JSON-string parameter (IkeConfig, IpsecConfig, HealthCheckConfig, BgpConfig).

        Sending it flattened (``IkeConfig.Psk=...``, the dict-instead-of-JSON
        SDK misuse) or as unparseable/non-object JSON gives 400 InvalidParameter.
        """
        if self.has_flattened(name):
            raise invalid(name, "It must be a JSON string, not a flattened object.")
        raw = self.flat.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise invalid(name, "It is not a valid JSON string.") from None
        if not isinstance(value, dict):
            raise invalid(name, "It must be a JSON object.")
        return value

    def structure(self, name: str) -> Any:
        return unflatten(self.flat, name)

    def object_list(self, name: str) -> list[dict[str, Any]] | None:
        """``Name.N.Sub`` -> list of dicts, or None when absent."""
        if name in self.flat and not self.has_flattened(name):
            raise invalid(name, "It must be a list of objects.")
        value = unflatten(self.flat, name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise invalid(name, "It must be a list of objects (Name.N.Key).")
        return value

    def tags(self, name: str = "Tag") -> list[tuple[str, str]]:
        items = self.object_list(name) or []
        out = []
        for i, t in enumerate(items, 1):
            k = t.get("Key")
            if not isinstance(k, str) or not k:
                raise invalid(f"{name}.{i}.Key")
            v = t.get("Value", "")
            out.append((k, v if isinstance(v, str) else ""))
        if len(out) > 20:
            raise invalid(name, "At most 20 tags are allowed.")
        return out

