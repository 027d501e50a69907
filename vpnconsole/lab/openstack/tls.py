"""A throw-away certificate authority and server certificate for the lab's HTTPS endpoints.

Generated at start-up with ``cryptography`` (EC P-256: a few milliseconds, where RSA-2048 takes
tens). The CA certificate (PEM) is written where the caller asks, so a client can be pointed at
it exactly like at a real deployment's CA bundle (``probe.verify_tls: /path/ca.pem``); the server
key never touches the disk except for the instant ``ssl`` needs a file to load it from (a private
temporary directory, removed at once). The server certificate names every address it serves as
an IP subjectAltName (plus ``localhost``) and carries the extensions strict verifiers want
(serverAuth EKU, key identifiers, CA:FALSE), so ``ssl.create_default_context(cafile=...)``
accepts it even with ``VERIFY_X509_STRICT``.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["TlsMaterial", "make_tls_material"]


@dataclass(frozen=True)
class TlsMaterial:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    ca_path: Path | None

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="vpnconsole-lab-tls-") as d:
            cert, key = Path(d, "server.pem"), Path(d, "server.key")
            cert.write_bytes(self.cert_pem + self.ca_pem)  # send the chain, as a real server does
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.key_pem)
            ctx.load_cert_chain(cert, key)
        return ctx


def make_tls_material(addresses: Iterable[str], ca_path: str | os.PathLike[str] | None = None, *,
                      common_name: str = "vpnconsole lab OpenStack", valid_days: int = 30) -> TlsMaterial:
    """A new CA and a server certificate for ``addresses``; the CA PEM goes to ``ca_path``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ips = [ipaddress.ip_address(a) for a in addresses]
    now = _dt.datetime.now(_dt.timezone.utc)
    not_before, not_after = now - _dt.timedelta(days=1), now + _dt.timedelta(days=valid_days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vpnconsole lab"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "vpnconsole lab CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), *(x509.IPAddress(ip) for ip in ips)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vpnconsole lab"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(san, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    material = TlsMaterial(
        ca_pem=ca_pem,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
        ca_path=Path(ca_path) if ca_path is not None else None,
    )
    if material.ca_path is not None:
        material.ca_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = material.ca_path.with_name(material.ca_path.name + ".tmp")
        tmp.write_bytes(ca_pem)
        os.replace(tmp, material.ca_path)
    return material
