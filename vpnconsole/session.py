"""One lab open for editing and watching: the console's model, without Textual.

The console (``vpnconsole.tui``) is a thin face over this and the engine: the working copy of the
profile, what each edit does to it (validated as typed, with the profile core's own messages),
whether it is saved, and the rows the paired panes show — each shared parameter once, how each end
spells it, and what each end reads back live, with a mismatch marker taken from the engine's diff.

Edits are kept as the profile's plain data (``Profile.to_dict()``) and validated by re-reading the
whole profile (a few milliseconds), so every cross-field rule of the profile core applies while the
user types, and the working copy can hold an invalid value the user is still fixing.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnconsole import algorithms as alg
from vpnconsole.diagnose import TUNNEL_FIELDS, End, Field, Phase
from vpnconsole.profile import Problem, Profile, ProfileError, dump_profile, parse_profile, save_profile


@dataclass(frozen=True)
class FieldSpec:
    """One editable key of the profile."""

    path: str  # "ike.encryption"
    label: str  # what the row says
    kind: str  # algorithm | choice | int | bool | text | list
    scope: str  # shared | h3c | alibaba
    choices: tuple[str, ...] = ()
    algorithm: alg.Kind | None = None
    pfs: bool = False
    optional: bool = False  # an empty entry removes the key (null)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def _alg_choices(kind: alg.Kind, pfs: bool = False) -> tuple[str, ...]:
    return tuple(a.name for a in alg.choices(kind, pfs=pfs))


#: The parameters both ends must agree on: one row each across both panes.
SHARED_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("ike.version", "IKE version", "choice", "shared", ("ikev1", "ikev2")),
    FieldSpec("ike.mode", "IKE mode", "choice", "shared", ("main", "aggressive")),
    FieldSpec("ike.encryption", "IKE encryption", "algorithm", "shared", _alg_choices(alg.Kind.ENCRYPTION),
              alg.Kind.ENCRYPTION),
    FieldSpec("ike.integrity", "IKE integrity", "algorithm", "shared", _alg_choices(alg.Kind.INTEGRITY),
              alg.Kind.INTEGRITY),
    FieldSpec("ike.dh_group", "DH group", "algorithm", "shared", _alg_choices(alg.Kind.DH), alg.Kind.DH),
    FieldSpec("ike.lifetime", "IKE lifetime (s)", "int", "shared"),
    FieldSpec("ike.dpd", "DPD", "bool", "shared", ("on", "off")),
    FieldSpec("ike.nat_traversal", "NAT traversal", "bool", "shared", ("on", "off")),
    FieldSpec("ipsec.encryption", "ESP encryption", "algorithm", "shared", _alg_choices(alg.Kind.ENCRYPTION),
              alg.Kind.ENCRYPTION),
    FieldSpec("ipsec.integrity", "ESP integrity", "algorithm", "shared", _alg_choices(alg.Kind.INTEGRITY),
              alg.Kind.INTEGRITY),
    FieldSpec("ipsec.pfs", "PFS", "algorithm", "shared", _alg_choices(alg.Kind.DH, pfs=True), alg.Kind.DH, pfs=True),
    FieldSpec("ipsec.lifetime", "ESP lifetime (s)", "int", "shared"),
)

#: The traffic selectors, shown mirrored (H3C ACL source = Alibaba RemoteSubnet).
SUBNET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("onprem.subnets", "on-prem subnets", "list", "shared"),
    FieldSpec("cloud.subnets", "cloud subnets", "list", "shared"),
)

#: What only one end has.
H3C_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("onprem.device.host", "router host", "text", "h3c"),
    FieldSpec("onprem.device.port", "SSH port", "int", "h3c"),
    FieldSpec("onprem.device.username", "username", "text", "h3c"),
    FieldSpec("onprem.device.platform", "platform", "choice", "h3c", tuple(alg.PLATFORMS)),
    FieldSpec("onprem.wan_interface", "WAN interface", "text", "h3c"),
    FieldSpec("onprem.public_ip", "public IP", "text", "h3c"),
    FieldSpec("onprem.next_hop", "WAN next hop", "text", "h3c", optional=True),
    FieldSpec("onprem.lan_address", "LAN address", "text", "h3c", optional=True),
)
ALIBABA_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("cloud.region", "region", "text", "alibaba"),
    FieldSpec("cloud.vpn_gateway_id", "VPN gateway", "text", "alibaba"),
    FieldSpec("cloud.route_table_id", "route table", "text", "alibaba", optional=True),
    FieldSpec("cloud.endpoint", "API endpoint", "text", "alibaba", optional=True),
)

ALL_FIELDS: dict[str, FieldSpec] = {f.path: f for f in SHARED_FIELDS + SUBNET_FIELDS + H3C_FIELDS + ALIBABA_FIELDS}

# diagnose's field for each profile key: the live value of each end and the mismatch marker come from it
_DIAG: dict[str, Field] = {}
for _field in TUNNEL_FIELDS:
    _key = _field.names[End.PROFILE]
    if _key.startswith(("ike.", "ipsec.")):
        _DIAG[_key] = _field

#: the row of the PSK among the shared parameters (not a profile key: the PSK lives in the keyring)
PSK_ROW = "psk"

_TRUE = {"on", "true", "yes", "y", "1", "enabled", "enable"}
_FALSE = {"off", "false", "no", "n", "0", "disabled", "disable"}


class EditError(ValueError):
    """An entry that is not even of the right type ("abc" for a lifetime); names the key."""


@dataclass(frozen=True)
class ParamRow:
    """One shared parameter across both panes."""

    path: str
    label: str
    phase: str  # "phase 1" | "phase 2"
    value: str  # the canonical value being edited
    h3c_spelling: str  # how the router spells it: "dh group2"
    alibaba_spelling: str  # how Alibaba spells it: "IkePfs=group2"
    h3c_live: str | None  # what the router reads back (None: not read / not configured)
    alibaba_live: str | None
    h3c_mismatch: bool  # the live value differs from the profile
    alibaba_mismatch: bool
    problems: tuple[str, ...] = ()  # validation messages for this key


@dataclass(frozen=True)
class SubnetRow:
    """One subnet, mirrored: its role on each end and whether each end has it live."""

    subnet: str
    side: str  # onprem | cloud
    h3c_role: str  # "ACL source" | "ACL destination"
    alibaba_role: str  # "RemoteSubnet" | "LocalSubnet"
    h3c_live: bool | None  # None: not read
    alibaba_live: bool | None


def _parse(spec: FieldSpec, text: str) -> Any:
    text = text.strip()
    if spec.optional and text in ("", "-", "none", "null"):
        return None
    if spec.kind == "int":
        if not re.fullmatch(r"[0-9]+", text):
            raise EditError(f"{spec.path}: {text!r} is not a whole number")
        return int(text)
    if spec.kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise EditError(f"{spec.path}: {text!r} is not on/off (allowed: on, off, true, false, yes, no)")
    if spec.kind == "list":
        return [part for part in re.split(r"[\s,;]+", text) if part]
    return text


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class LabSession:
    """A profile being edited: working copy, validation, explicit atomic save, dirty marker."""

    def __init__(self, profile: Profile, path: Path | None = None):
        self.profile = profile  # the last valid state of the working copy
        self.path = Path(path or profile.path) if (path or profile.path) else None
        self._data = profile.to_dict()
        self._saved = copy.deepcopy(self._data)
        self.problems: list[Problem] = list(profile.warnings)

    # -- reading the working copy --------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self._data.get("name", self.profile.name))

    @property
    def dirty(self) -> bool:
        return self._data != self._saved

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def value(self, path: str) -> Any:
        node: Any = self._data
        for key in path.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def display(self, path: str) -> str:
        return _show(self.value(path))

    def problems_for(self, path: str) -> list[Problem]:
        return [p for p in self.problems if p.path == path or p.path.startswith(path + "[")
                or p.path.startswith(path + ".")]

    # -- editing ---------------------------------------------------------------------------------------

    def _with(self, path: str, value: Any) -> dict[str, Any]:
        data = copy.deepcopy(self._data)
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        return data

    def _validate(self, data: dict[str, Any]) -> tuple[Profile | None, list[Problem]]:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        try:
            profile = parse_profile(text, source=str(self.path) if self.path else None)
        except ProfileError as exc:
            return None, list(exc.problems)
        return profile, list(profile.warnings)

    def check(self, path: str, text: str) -> list[Problem]:
        """What setting ``path`` to ``text`` would cause, without changing anything (validate as you type).
        Returns the problems of that key first, then any other error the change causes."""
        spec = ALL_FIELDS.get(path)
        if spec is None:
            return [Problem(path, "not an editable key")]
        try:
            value = _parse(spec, text)
        except EditError as exc:
            return [Problem(path, str(exc).split(": ", 1)[1])]
        _, problems = self._validate(self._with(path, value))
        mine = [p for p in problems if p.path == path or p.path.startswith((path + "[", path + "."))]
        return mine + [p for p in problems if p not in mine and p.severity == "error"]

    def set(self, path: str, text: str) -> list[Problem]:
        """Change ``path`` in the working copy.  A value of the wrong type is refused (EditError);
        a value the profile core rejects is kept, so the user can see and fix it, and its problems are
        returned (the lab cannot be saved or applied until they are gone)."""
        spec = ALL_FIELDS.get(path)
        if spec is None:
            raise EditError(f"{path}: not an editable key")
        value = _parse(spec, text)
        data = self._with(path, value)
        profile, problems = self._validate(data)
        if profile is not None:
            # keep the canonical spelling ("DH2 modp1024" → group2) in the working copy
            data = profile.to_dict()
            self.profile = profile
        self._data = data
        self.problems = problems
        return self.problems_for(path)

    def revert(self) -> None:
        self._data = copy.deepcopy(self._saved)
        profile, self.problems = self._validate(self._data)
        if profile is not None:
            self.profile = profile

    def save(self) -> Path:
        """Atomic save (previous version kept as .bak); refused while the working copy has errors."""
        if self.errors:
            raise ProfileError(self.errors, str(self.path) if self.path else None)
        self.profile.path = self.path
        path = save_profile(self.profile, self.path)
        self.path = path
        self._saved = copy.deepcopy(self._data)
        return path

    def yaml_text(self) -> str:
        return dump_profile(self.profile)

    # -- the paired rows --------------------------------------------------------------------------------

    def param_rows(self, report: Any = None, psk_fingerprint: str | None = None) -> list[ParamRow]:
        """The shared parameters, each once, with each end's spelling and live value.  ``report`` is the
        engine's StatusReport (or None before the first refresh); ``psk_fingerprint`` the stored PSK's
        (the PSK row shows fingerprints only, and is edited through the keyring, not the profile)."""
        platform = str(self.value("onprem.device.platform") or "comware7")
        h3c_params = getattr(getattr(report, "h3c", None), "params", None)
        ali_params = getattr(getattr(report, "alibaba", None), "params", None)
        comparison = getattr(report, "comparison", None)
        rows = []
        for spec in SHARED_FIELDS:
            field = _DIAG.get(spec.path)
            value = self.value(spec.path)
            h3c_live = ali_live = None
            h3c_bad = ali_bad = False
            if field is not None:
                if h3c_params is not None and h3c_params.tunnels:
                    h3c_live = _show(field.get(h3c_params.tunnels[0]))
                if ali_params is not None and ali_params.tunnels:
                    ali_live = _show(field.get(ali_params.tunnels[0]))
                if comparison is not None:
                    h3c_bad = _differs(comparison.profile_h3c, field)
                    ali_bad = _differs(comparison.profile_alibaba, field)
            rows.append(ParamRow(spec.path, spec.label, (field.phase.value if field else "phase 1"), _show(value),
                                 spelling(spec, value, End.H3C, platform, self.value("ike.version")),
                                 spelling(spec, value, End.ALIBABA, platform, self.value("ike.version")),
                                 h3c_live, ali_live, h3c_bad, ali_bad,
                                 tuple(p.message for p in self.problems_for(spec.path))))
        rows.insert(8, self._psk_row(h3c_params, ali_params, comparison, psk_fingerprint))
        return rows

    @staticmethod
    def _psk_row(h3c_params: Any, ali_params: Any, comparison: Any, fingerprint: str | None) -> ParamRow:
        field = next(f for f in TUNNEL_FIELDS if f.title == "pre-shared key")
        h3c_live = ali_live = None
        if h3c_params is not None and h3c_params.tunnels:
            # Comware shows only `key cipher …`: no fingerprint to compare, and that is not a mismatch
            h3c_live = _show(field.get(h3c_params.tunnels[0])) or "set (cipher only)"
        if ali_params is not None and ali_params.tunnels:
            ali_live = _show(field.get(ali_params.tunnels[0])) or "set"
        return ParamRow(PSK_ROW, "pre-shared key", Phase.PHASE1.value, fingerprint or "(none stored)",
                        "pre-shared-key … key cipher ******", "Psk=******", h3c_live, ali_live,
                        comparison is not None and _differs(comparison.profile_h3c, field),
                        comparison is not None and _differs(comparison.profile_alibaba, field),
                        () if fingerprint else ("no PSK stored: set or generate one (k)",))

    def subnet_rows(self, report: Any = None) -> list[SubnetRow]:
        h3c_params = getattr(getattr(report, "h3c", None), "params", None)
        ali_params = getattr(getattr(report, "alibaba", None), "params", None)
        rows = []
        for side, h3c_role, ali_role in (("onprem", "ACL source", "RemoteSubnet"),
                                         ("cloud", "ACL destination", "LocalSubnet")):
            values = self.value(f"{side}.subnets") or []
            for subnet in values:
                rows.append(SubnetRow(str(subnet), side, h3c_role, ali_role,
                                      _has_subnet(h3c_params, side, str(subnet)),
                                      _has_subnet(ali_params, side, str(subnet))))
        return rows


def _differs(differences: list[Any], field: Field) -> bool:
    return any(d.phase is field.phase and d.title == field.title for d in differences)


def _has_subnet(params: Any, side: str, subnet: str) -> bool | None:
    if params is None:
        return None
    live = params.onprem_subnets if side == "onprem" else params.cloud_subnets
    try:
        return str(ipaddress.IPv4Network(subnet, strict=False)) in live
    except ValueError:
        return False


def spelling(spec: FieldSpec, value: Any, end: End, platform: str, ike_version: Any = "ikev1") -> str:
    """How ``end`` writes this parameter: ``dh group2`` on the router, ``IkePfs=group2`` at Alibaba."""
    field = _DIAG.get(spec.path)
    name = field.names[end] if field else spec.path
    if value is None:
        return ""
    if isinstance(value, bool):
        if end is End.ALIBABA:
            return f"{name}={'true' if value else 'false'}"
        return f"{name} {'on' if value else 'off'}"
    if spec.algorithm is None:
        if spec.path == "ike.mode" and ike_version == "ikev2":
            return "(IKEv2: no mode)"
        return f"{name} {value}" if end is End.H3C else f"{name}={value}"
    try:
        algorithm = alg.by_name(spec.algorithm, str(value), pfs=spec.pfs)
    except alg.UnknownAlgorithm:
        return str(value)
    if end is End.ALIBABA:
        spelled = algorithm.spellings.get(alg.Dialect.ALIBABA)
        return f"{name}={spelled}" if spelled else f"{name}: not offered"
    dialects = alg.PLATFORMS.get(platform, alg.PLATFORMS["comware7"])
    if spec.path.startswith("ike."):
        dialect = dialects.ikev2 if ike_version == "ikev2" and dialects.ikev2 is not None else dialects.ike
    else:
        dialect = dialects.esp
    spelled = algorithm.spellings.get(dialect)
    if spelled is None:
        return f"not offered on {platform}"
    if spelled == "":
        return f"(no {name} line)"
    return f"{name} {spelled}"


# -- the last known state of each lab (for the picker) -------------------------------------------------

LAST_STATUS = "last-status.json"


def record_status(lab: str, report: Any) -> None:
    """Remember a lab's last verdict so the picker can show it without asking either end."""
    from vpnconsole.paths import lab_state_dir, write_private_json

    verdict = report.verdict
    data = {"code": verdict.code, "up": verdict.up, "summary": verdict.summary, "at": time.time()}
    write_private_json(lab_state_dir(lab) / LAST_STATUS, data)


def last_status(lab: str) -> dict[str, Any] | None:
    from vpnconsole.paths import state_home

    path = state_home() / "labs" / lab / LAST_STATUS
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


__all__ = ["PSK_ROW", "FieldSpec", "SHARED_FIELDS", "SUBNET_FIELDS", "H3C_FIELDS", "ALIBABA_FIELDS", "ALL_FIELDS",
           "EditError", "ParamRow", "SubnetRow", "LabSession", "spelling", "record_status", "last_status",
           "Phase"]
