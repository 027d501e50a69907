"""Shared test helpers for the H3C renderer/parser: example profiles, V5 variants, a profile strategy."""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path

from hypothesis import strategies as st

from vpnconsole import algorithms as alg
from vpnconsole.h3c.render import IKEV2_LIFETIME_RANGE
from vpnconsole.profile import NAME_RE, V5_MAX_LAB_NAME, Cloud, Device, Ike, Ipsec, OnPrem, Profile, load_profile
from vpnconsole.psk import ALLOWED

PROJECT = Path(__file__).resolve().parents[2]
PSK = "Zq9-Test-Key.only+for_tests"


def example(name: str) -> Profile:
    return load_profile(PROJECT / "profiles" / f"{name}.yaml")


def variant(profile: Profile, **changes) -> Profile:
    """A deep copy with dotted-path changes: variant(p, **{"onprem.device.platform": "comware5"})."""
    p = copy.deepcopy(profile)
    for path, value in changes.items():
        obj = p
        *parents, last = path.split(".")
        for part in parents:
            obj = getattr(obj, part)
        setattr(obj, last, value)
    return p


def v5(profile: Profile, **changes) -> Profile:
    return variant(profile, **{"onprem.device.platform": "comware5", **changes})


# --- a strategy for valid profiles ------------------------------------------------------------------

def _available(kind: alg.Kind, dialect: alg.Dialect, pfs: bool = False) -> list[str]:
    return [a.name for a in alg.choices(kind, pfs=pfs)
            if a.available(dialect) and a.available(alg.Dialect.ALIBABA)]


@st.composite
def networks(draw, count: int) -> list[str]:
    """``count`` networks in distinct /16 blocks (so none overlaps another), /16 to /32."""
    blocks = draw(st.lists(st.tuples(st.sampled_from([10, 30, 60, 100, 172, 192]), st.integers(0, 255)),
                           min_size=count, max_size=count, unique=True))
    out = []
    for o1, o2 in blocks:
        prefix = draw(st.integers(16, 32))
        host = draw(st.integers(0, 2 ** 16 - 1))
        net = ipaddress.IPv4Network(((o1 << 24) | (o2 << 16) | host, prefix), strict=False)
        out.append(str(net))
    return out


def _public(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(1, 254).map(lambda n: f"{prefix}.{n}")


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
#: lab names as NAME_RE allows (1–32 of a-z 0-9 '-', no '-' at either end); cheaper than from_regex
lab_names = st.one_of(
    st.sampled_from(_ALNUM),
    st.tuples(st.sampled_from(_ALNUM), st.text(_ALNUM + "-", max_size=30), st.sampled_from(_ALNUM))
    .map("".join),
)
assert all(NAME_RE.match(x) for x in ("a", "a-b", "a" * 32))

psks = st.one_of(
    st.text(alphabet=sorted(ALLOWED), min_size=1, max_size=3),
    # long enough never to be mistaken for ordinary text by the log redaction set they join
    st.text(alphabet=sorted(ALLOWED), min_size=12, max_size=100),
)


@st.composite
def profiles(draw, platform: str) -> Profile:
    dialects = alg.PLATFORMS[platform]
    version = draw(st.sampled_from(["ikev1", "ikev2"] if dialects.ikev2 else ["ikev1"]))
    ike_dialect = alg.ike_dialect(platform, version)
    n_onprem = draw(st.integers(1, 3))
    n_cloud = draw(st.integers(1, 3))
    nets = draw(networks(n_onprem + n_cloud))
    public_ip = draw(_public("198.51.100"))
    gateways = draw(st.lists(st.one_of(_public("203.0.113"), _public("47.96.1")), min_size=1, max_size=2,
                             unique=True))
    ike_lo, ike_hi = alg.lifetime_range(alg.IKE_LIFETIME_RANGES, platform)
    if version == "ikev2":  # an `ikev2 profile` takes 120–86400 s (see render.IKEV2_LIFETIME_RANGE)
        ike_lo, ike_hi = max(ike_lo, IKEV2_LIFETIME_RANGE[0]), min(ike_hi, IKEV2_LIFETIME_RANGE[1])
    ipsec_lo, ipsec_hi = alg.lifetime_range(alg.IPSEC_LIFETIME_RANGES, platform)
    return Profile(
        name=draw(lab_names.filter(lambda n: len(n) <= V5_MAX_LAB_NAME) if platform == "comware5" else lab_names),
        onprem=OnPrem(
            device=Device(host="10.0.0.1", username="admin", port=22, platform=platform),
            public_ip=public_ip,
            wan_interface=draw(st.sampled_from(["GigabitEthernet0/0", "GigabitEthernet0/1", "Dialer1",
                                                "Vlan-interface10", "GigabitEthernet1/0/1"])),
            subnets=nets[:n_onprem],
            next_hop=draw(st.one_of(st.none(), _public("198.51.100"))),
            nat_outbound_acl=draw(st.one_of(st.none(), st.integers(3000, 3949))),
        ),
        cloud=Cloud(region="cn-hangzhou", vpn_gateway_id="vpn-bp1test00001", subnets=nets[n_onprem:],
                    gateway_ips=gateways),
        ike=Ike(
            version=version,
            mode=draw(st.sampled_from(list(alg.IKE_MODES))) if version == "ikev1" else "main",
            encryption=draw(st.sampled_from(_available(alg.Kind.ENCRYPTION, ike_dialect))),
            integrity=draw(st.sampled_from(_available(alg.Kind.INTEGRITY, ike_dialect))),
            dh_group=draw(st.sampled_from(_available(alg.Kind.DH, ike_dialect))),
            lifetime=draw(st.integers(ike_lo, ike_hi)),
            dpd=draw(st.booleans()),
            nat_traversal=True if platform == "comware7" else draw(st.booleans()),
        ),
        ipsec=Ipsec(
            encryption=draw(st.sampled_from(_available(alg.Kind.ENCRYPTION, dialects.esp))),
            integrity=draw(st.sampled_from(_available(alg.Kind.INTEGRITY, dialects.esp))),
            pfs=draw(st.sampled_from(_available(alg.Kind.DH, dialects.esp, pfs=True))),
            lifetime=draw(st.integers(ipsec_lo, ipsec_hi)),
        ),
    )


# --- a rendered script, rewritten the way `display current-configuration` shows it ------------------

# Lines `display current-configuration` leaves out because they are the default, per object (step).
_DEFAULT_LINES = {
    "ike-proposal": {"authentication-method pre-share", "authentication-algorithm sha", "dh group1",
                     "encryption-algorithm des-cbc", "sa duration 86400"},
    "ike-profile": {"exchange-mode main"},
    "transform-set": {"protocol esp", "encapsulation-mode tunnel"},
    "ikev2-profile": {"sa duration 86400"},
    "ike-peer": {"exchange-mode main"},
    "ipsec-proposal": {"transform esp", "encapsulation-mode tunnel", "esp encryption-algorithm des",
                       "esp authentication-algorithm md5"},
}


def displayify(plan, shuffle=None) -> str:
    """The apply plan as §5.9 shows it: `#` blocks, defaults omitted, PSKs as `cipher`, no quit/save,
    global one-liners indented in their own block, `return` at the end.  ``shuffle(list)`` may reorder
    the sub-commands of a block (the device prints them in its own order)."""
    import re

    out: list[str] = ["#", " version 7.1.064, Release 0821P16" if plan.platform == "comware7"
                      else " version 5.20, Release 2516P16", "#", " sysname MSR1"]
    block: list[str] = []
    header: str | None = None
    step = None

    def flush():
        nonlocal block, header
        if header is not None:
            subs = block
            if shuffle is not None and not any(s.startswith("  ") for s in subs):
                subs = shuffle(list(subs))
            out.append("#")
            out.append(header)
            out.extend(subs)
        block, header = [], None

    for line in plan.lines:
        text = line.text(reveal=True)
        if text in ("system-view", "return", "save force"):
            continue
        if text == "quit":
            if line.indent == 0:
                flush()
            continue
        if line.indent == 0 and line.enters_view:
            flush()
            header = text
            step = line.step
            continue
        if line.indent == 0:  # a global one-liner
            flush()
            out.extend(["#", " " + text])
            continue
        if text.strip() in _DEFAULT_LINES.get((step or "").split(":")[0], ()):
            continue
        text = re.sub(r"\b(source|destination) (\S+) 0\.0\.0\.0\b", r"\1 \2 0", text)  # a host: wildcard `0`
        text = re.sub(r"key simple \S+$", "key cipher $c$3$ZmFrZUNpcGhlcg==", text)
        text = re.sub(r"pre-shared-key plaintext \S+$", "pre-shared-key ciphertext $c$3$ZmFrZUNpcGhlcg==", text)
        text = re.sub(r"pre-shared-key simple \S+$", "pre-shared-key cipher $c$3$ZmFrZUNpcGhlcg==", text)
        block.append(" " * line.indent + text)
    flush()
    out += ["#", "return"]
    return "\n".join(out) + "\n"
