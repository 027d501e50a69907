"""Algorithm keyword tables of the simulated H3C (V7 / early V7 / V5) and their display names.

Normalised names (used in the config tree and in the :mod:`peer` offer) follow Comware V7 spelling:
encryption ``des-cbc | 3des-cbc | aes-cbc-128 | aes-cbc-192 | aes-cbc-256 | ...``, integrity
``md5 | sha1 | sha256 | sha384 | sha512``, DH ``group1 | group2 | group5 | group14 | group24 |
group19 | group20``. CLI keywords differ per object (IKEv1 hash ``sha`` = SHA-1, V5 ``aes 128``...).
"""

from __future__ import annotations

# --- IKEv1 proposal --------------------------------------------------------------------------
IKE_ENC_V7 = ["des-cbc", "3des-cbc", "aes-cbc-128", "aes-cbc-192", "aes-cbc-256"]
IKE_AUTH_V7 = {"md5": "md5", "sha": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
IKE_AUTH_V7_EARLY = {"md5": "md5", "sha": "sha1"}
IKE_AUTH_V5 = {"md5": "md5", "sha": "sha1"}
IKE_AUTH_KEYWORD = {v: k for k, v in IKE_AUTH_V7.items()}
IKE_DH_V7 = ["group1", "group2", "group5", "group14", "group24"]
IKE_DH_V5 = ["group1", "group2", "group5", "group14"]
IKE_AUTH_METHODS = {"pre-share": "PRE-SHARED-KEY", "rsa-signature": "RSA-SIGNATURE",
                    "dsa-signature": "DSA-SIGNATURE"}

DEFAULT_IKE_PROPOSAL = dict(encryption="des-cbc", authentication="sha1", method="pre-share",
                            dh="group1", duration=86400)

# --- IPsec transform set (V7) --------------------------------------------------------------
ESP_ENC_V7 = [
    "des-cbc", "3des-cbc", "aes-cbc-128", "aes-cbc-192", "aes-cbc-256",
    "aes-ctr-128", "aes-ctr-192", "aes-ctr-256",
    "camellia-cbc-128", "camellia-cbc-192", "camellia-cbc-256",
    "gcm-128", "gcm-192", "gcm-256", "gmac-128", "gmac-192", "gmac-256",
    "null", "sm1-cbc-128", "sm4-cbc",
]
ESP_ENC_IKEV2_ONLY = {a for a in ESP_ENC_V7 if a.startswith(("aes-ctr", "camellia", "gcm", "gmac"))}
ESP_AUTH_V7 = ["md5", "sha1", "sha256", "sha384", "sha512", "aes-xcbc-mac", "sm3"]
AH_AUTH_V7 = ["md5", "sha1", "sha256", "sha384", "sha512", "sm3"]
PFS_V7 = ["dh-group1", "dh-group2", "dh-group5", "dh-group14", "dh-group24", "dh-group19", "dh-group20"]
PFS_V5 = ["dh-group1", "dh-group2", "dh-group5", "dh-group14"]

# --- IKEv2 ----------------------------------------------------------------------------------
IKEV2_ENC = ["des-cbc", "3des-cbc", "aes-cbc-128", "aes-cbc-192", "aes-cbc-256",
             "aes-ctr-128", "aes-ctr-192", "aes-ctr-256"]
IKEV2_INTEG = ["md5", "sha1", "sha256", "sha384", "sha512", "aes-xcbc-mac"]
IKEV2_PRF = ["md5", "sha1", "sha256", "sha384", "sha512", "aes-xcbc-mac"]
IKEV2_DH = ["group1", "group2", "group5", "group14", "group24", "group19", "group20"]
# Built-in IKEv2 default proposal used when no ikev2 policy/proposal is configured [?].
IKEV2_DEFAULT = dict(encryption=["aes-cbc-128", "3des-cbc"], integrity=["sha1", "md5"],
                     prf=["sha1", "md5"], dh=["group5", "group2"])

# --- V5 ipsec proposal ----------------------------------------------------------------------
V5_ESP_AUTH = ["md5", "sha1"]

# --- DH strength (used for the IKEv1 PFS rule "initiator at least as strong") --------------
DH_STRENGTH = {"group1": 768, "group2": 1024, "group5": 1536, "group14": 2048, "group24": 2048,
               "group19": 3072, "group20": 7680}


def enc_display(alg: str) -> str:
    """aes-cbc-128 -> AES-CBC-128 (display ike proposal / transform-set)."""
    return alg.upper()


def hash_display(alg: str) -> str:
    return alg.upper()


def dh_display(group: str) -> str:
    """group14 -> 'Group 14'."""
    return "Group " + group.replace("group", "")


def esp_enc_transform(alg: str, v5: bool = False) -> str:
    if v5:
        # V5 style: ESP-ENCRYPT-AES-128, ESP-ENCRYPT-3DES, ESP-ENCRYPT-DES
        short = {"des-cbc": "DES", "3des-cbc": "3DES", "aes-cbc-128": "AES-128",
                 "aes-cbc-192": "AES-192", "aes-cbc-256": "AES-256"}.get(alg, alg.upper())
        return "ESP-ENCRYPT-" + short
    return "ESP-ENCRYPT-" + alg.upper()


def esp_auth_transform(alg: str) -> str:
    return "ESP-AUTH-" + alg.upper()


def v5_esp_enc_keyword(alg: str) -> str:
    return {"des-cbc": "des", "3des-cbc": "3des", "aes-cbc-128": "aes 128",
            "aes-cbc-192": "aes 192", "aes-cbc-256": "aes 256"}[alg]


def v5_ike_enc_keyword(alg: str) -> str:
    return {"des-cbc": "des-cbc", "3des-cbc": "3des-cbc", "aes-cbc-128": "aes-cbc 128",
            "aes-cbc-192": "aes-cbc 192", "aes-cbc-256": "aes-cbc 256"}[alg]
