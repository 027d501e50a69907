"""HTTPS on the simulated Keystone with a CA generated at start-up."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request

import aiohttp
import pytest

from vpnconsole.lab.openstack import OpenStackLabConfig, run_in_thread, start

ADDR = "127.0.0.20"


@pytest.fixture
def tls_lab(tmp_path):
    with run_in_thread(api_address=ADDR, tls=True, ca_path=tmp_path / "pki" / "ca.pem",
                       ephemeral_ports=True) as lab:
        yield lab


def handshake(port: int, ctx: ssl.SSLContext) -> dict:
    with socket.create_connection((ADDR, port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname=ADDR) as tls:
        return {"peer": tls.getpeercert(), "version": tls.version()}


def test_ca_bundle_is_written_where_asked(tls_lab, tmp_path):
    path = tmp_path / "pki" / "ca.pem"
    assert tls_lab.ca_path == path
    pem = path.read_text()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and pem.count("BEGIN CERTIFICATE") == 1
    assert path.read_bytes() == tls_lab.ca_pem
    assert tls_lab.api_url().startswith(f"https://{ADDR}:")


def test_default_context_refuses_the_lab_certificate(tls_lab):
    with pytest.raises(ssl.SSLCertVerificationError, match="self.signed certificate in certificate chain"):
        handshake(tls_lab.api_port(), ssl.create_default_context())
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.urlopen(tls_lab.api_url() + "/v3", timeout=5)
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)


def test_ca_path_makes_it_trusted(tls_lab):
    ctx = ssl.create_default_context(cafile=str(tls_lab.ca_path))
    info = handshake(tls_lab.api_port(), ctx)
    assert ("IP Address", ADDR) in info["peer"]["subjectAltName"]
    assert info["version"] in ("TLSv1.2", "TLSv1.3")
    with urllib.request.urlopen(tls_lab.api_url() + "/v3/", context=ctx, timeout=5) as r:
        body = json.loads(r.read())
    assert body["version"]["links"][0]["href"] == f"{tls_lab.api_url()}/v3/"


def test_strict_verification_accepts_it_too(tls_lab):
    ctx = ssl.create_default_context(cafile=str(tls_lab.ca_path))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13 on
    handshake(tls_lab.api_port(), ctx)


def test_verification_off_accepts_it(tls_lab):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    handshake(tls_lab.api_port(), ctx)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tls_lab.api_url() + "/", context=ctx, timeout=5)
    assert err.value.code == 300
    err.value.close()


def test_certificate_names_only_the_api_address(tls_lab):
    # Connecting by another name than the one in the certificate fails the hostname check.
    ctx = ssl.create_default_context(cafile=str(tls_lab.ca_path))
    with socket.create_connection((ADDR, tls_lab.api_port()), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            ctx.wrap_socket(raw, server_hostname="192.168.0.10")


async def test_aiohttp_client_with_the_ca(tmp_path):
    ca = tmp_path / "ca.pem"
    async with await start(api_address="127.0.0.21", services=("keystone", "nova"), tls=True, ca_path=ca,
                           ephemeral_ports=True) as lab:
        ctx = ssl.create_default_context(cafile=str(ca))
        async with aiohttp.ClientSession() as s:
            async with s.get(lab.api_url() + "/", ssl=ctx, allow_redirects=False) as r:
                assert r.status == 300
                assert (await r.json())["versions"]["values"][0]["links"][0]["href"].startswith("https://")
            async with s.get(lab.api_url("nova") + "/", ssl=ctx) as r:
                assert r.status == 200
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                async with s.get(lab.api_url() + "/", ssl=ssl.create_default_context()):
                    pass
            async with s.get(lab.api_url() + "/v3", ssl=False) as r:
                assert r.status == 200


def test_tls_needs_a_ca_path():
    with pytest.raises(ValueError, match="ca_path"):
        OpenStackLabConfig(tls=True)
