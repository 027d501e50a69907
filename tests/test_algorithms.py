from __future__ import annotations

import pytest

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind


@pytest.mark.parametrize("typed,kind,name", [
    ("aes", Kind.ENCRYPTION, "aes128"), ("aes-cbc-128", Kind.ENCRYPTION, "aes128"),
    ("AES-128", Kind.ENCRYPTION, "aes128"), ("aes-cbc 256", Kind.ENCRYPTION, "aes256"),
    ("3DES-CBC", Kind.ENCRYPTION, "3des"), ("des", Kind.ENCRYPTION, "des"),
    ("sha", Kind.INTEGRITY, "sha1"), ("SHA1", Kind.INTEGRITY, "sha1"), ("HMAC-SHA2-256", Kind.INTEGRITY, "sha256"),
    ("md5", Kind.INTEGRITY, "md5"), ("sha-512", Kind.INTEGRITY, "sha512"),
    ("dh2", Kind.DH, "group2"), ("DH2 modp1024", Kind.DH, "group2"), ("modp1024", Kind.DH, "group2"),
    ("2", Kind.DH, "group2"), (2, Kind.DH, "group2"), ("group 14", Kind.DH, "group14"),
    ("modp2048", Kind.DH, "group14"), ("DH5 modp1536", Kind.DH, "group5"), ("dh-group1", Kind.DH, "group1"),
])
def test_aliases(typed, kind, name):
    assert alg.resolve(kind, typed).name == name


def test_pfs_none_aliases_only_for_pfs():
    for typed in ("none", "disabled", "off", False):
        assert alg.resolve(Kind.DH, typed, pfs=True).name == "none"
    with pytest.raises(alg.UnknownAlgorithm):
        alg.resolve(Kind.DH, "none")


@pytest.mark.parametrize("kind,bad", [(Kind.ENCRYPTION, "aes512"), (Kind.INTEGRITY, "sha3"), (Kind.DH, "group24"),
                                      (Kind.DH, None), (Kind.ENCRYPTION, ""), (Kind.ENCRYPTION, ["aes"])])
def test_unknown_names_list_the_choices(kind, bad):
    with pytest.raises(alg.UnknownAlgorithm) as info:
        alg.resolve(kind, bad)
    assert info.value.allowed == tuple(a.name for a in alg.choices(kind))


def test_each_end_spells_sha1_its_own_way():
    sha1 = alg.by_name(Kind.INTEGRITY, "sha1")
    assert sha1.spelling(Dialect.COMWARE7_IKE) == "sha"
    assert sha1.spelling(Dialect.COMWARE7_ESP) == "sha1"
    assert sha1.spelling(Dialect.COMWARE7_IKEV2) == "sha1"
    assert sha1.spelling(Dialect.ALIBABA) == "sha1"


def test_v5_and_alibaba_spellings():
    aes = alg.by_name(Kind.ENCRYPTION, "aes128")
    assert (aes.spelling(Dialect.COMWARE5_IKE), aes.spelling(Dialect.COMWARE5_ESP), aes.spelling(Dialect.ALIBABA)) == (
        "aes-cbc 128", "aes 128", "aes")
    g2 = alg.by_name(Kind.DH, "group2")
    assert (g2.spelling(Dialect.COMWARE7_IKE), g2.spelling(Dialect.COMWARE7_ESP)) == ("group2", "dh-group2")
    assert alg.PFS_NONE.spelling(Dialect.ALIBABA) == "disabled"


def test_sha2_is_not_available_on_comware5():
    sha256 = alg.by_name(Kind.INTEGRITY, "sha256")
    assert not sha256.available(Dialect.COMWARE5_IKE)
    with pytest.raises(alg.UnsupportedAlgorithm, match="not available in Comware V5 IKE proposal"):
        sha256.spelling(Dialect.COMWARE5_IKE)


def test_spellings_read_back_exactly():
    for row in alg.vocabulary():
        for dialect, spelled in row.spellings.items():
            if spelled:
                assert alg.from_spelling(row.kind, dialect, spelled, pfs=True).name == row.name


def test_lifetime_intersection():
    assert alg.lifetime_range(alg.IKE_LIFETIME_RANGES, "comware7") == (60, 86400)
    assert alg.lifetime_range(alg.IPSEC_LIFETIME_RANGES, "comware5") == (180, 86400)


def test_vocabulary_has_every_algorithm_in_every_column():
    rows = alg.vocabulary()
    assert len(rows) == 5 + 5 + 5  # encryptions, integrities, DH groups + "none"
    assert all(Dialect.ALIBABA in r.spellings for r in rows)
