"""The simulated OpenStack APIs' discovery documents, as plain HTTP clients see them."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request

import aiohttp
import pytest

from vpnconsole.lab.openstack import (
    API_SERVICES,
    KEYSTONE_MEDIA_TYPE,
    keystone_version_document,
    keystone_versions_document,
    respond,
    run_in_thread,
    start,
)

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NO_REDIRECT = {"allow_redirects": False}


def keystone_v3(base: str) -> dict:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }


@pytest.fixture
async def lab():
    lab = await start(api_address="127.0.0.10", services=API_SERVICES, ephemeral_ports=True)
    yield lab
    await lab.close()


async def test_keystone_root_is_the_multiple_choice_document(lab):
    base = lab.api_url("keystone")
    async with aiohttp.ClientSession() as s, s.get(base + "/", **NO_REDIRECT) as r:
        assert r.status == 300
        assert r.reason == "MULTIPLE CHOICES"
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["Vary"] == "X-Auth-Token"
        assert r.headers["Location"] == f"{base}/v3/"
        assert REQUEST_ID.match(r.headers["x-openstack-request-id"])
        body = await r.json()
    assert body == {"versions": {"values": [keystone_v3(base)]}}
    assert body == keystone_versions_document(base)


@pytest.mark.parametrize("path", ["/v3", "/v3/"])
async def test_keystone_v3_is_the_version_document(lab, path):
    base = lab.api_url()
    async with aiohttp.ClientSession() as s, s.get(base + path, **NO_REDIRECT) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["Vary"] == "X-Auth-Token"
        assert REQUEST_ID.match(r.headers["x-openstack-request-id"])
        body = await r.json()
    assert body == {"version": keystone_v3(base)}
    assert body == keystone_version_document(base)
    assert body["version"]["media-types"][0]["type"] == KEYSTONE_MEDIA_TYPE


async def test_request_ids_are_fresh_for_every_request(lab):
    ids = set()
    async with aiohttp.ClientSession() as s:
        for _ in range(5):
            async with s.get(lab.api_url() + "/v3") as r:
                ids.add(r.headers["x-openstack-request-id"])
    assert len(ids) == 5


async def test_hrefs_follow_the_host_the_client_asked_for(lab):
    # Keystone builds its links from the request's Host header: the lab can stand in for
    # 192.168.0.10:5000 when the client connects to the loopback address.
    async with aiohttp.ClientSession() as s, \
            s.get(lab.api_url() + "/", headers={"Host": "192.168.0.10:5000"}, **NO_REDIRECT) as r:
        body = await r.json()
        assert r.headers["Location"] == "http://192.168.0.10:5000/v3/"
    assert body["versions"]["values"][0]["links"] == [{"rel": "self", "href": "http://192.168.0.10:5000/v3/"}]


async def test_public_endpoint_overrides_the_host():
    async with await start(api_address="127.0.0.11", ephemeral_ports=True,
                           public_endpoints={"keystone": "https://192.168.0.10:5000/"}) as lab:
        async with aiohttp.ClientSession() as s, s.get(lab.api_url() + "/v3/") as r:
            body = await r.json()
    assert body["version"]["links"][0]["href"] == "https://192.168.0.10:5000/v3/"


async def test_keystone_errors(lab):
    base = lab.api_url()
    async with aiohttp.ClientSession() as s:
        async with s.get(base + "/v3/projects") as r:
            assert r.status == 401
            assert r.headers["WWW-Authenticate"] == f'Keystone uri="{base}"'
            assert await r.json() == {"error": {"code": 401, "title": "Unauthorized",
                                                "message": "The request you have made requires authentication."}}
        async with s.get(base + "/nothing-here") as r:
            assert r.status == 404
            assert (await r.json())["error"] == {"code": 404, "message": "The resource could not be found.",
                                                 "title": "Not Found"}
        async with s.post(base + "/v3", data=b"{}") as r:
            assert r.status == 405
            assert (await r.json())["error"]["code"] == 405
        async with s.head(base + "/", **NO_REDIRECT) as r:
            assert r.status == 300
            assert int(r.headers["Content-Length"]) > 0
            assert await r.read() == b""


async def test_nova_versions(lab):
    base = lab.api_url("nova")
    async with aiohttp.ClientSession() as s:
        async with s.get(base + "/") as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "application/json"
            assert r.headers["x-compute-request-id"] == r.headers["x-openstack-request-id"]
            body = await r.json()
        assert isinstance(body["versions"], list)  # a list, unlike Keystone's {"values": [...]}
        assert [(v["id"], v["status"]) for v in body["versions"]] == [("v2.0", "SUPPORTED"), ("v2.1", "CURRENT")]
        current = body["versions"][1]
        assert current["min_version"] == "2.1" and re.fullmatch(r"2\.\d+", current["version"])
        assert current["links"] == [{"rel": "self", "href": f"{base}/v2.1/"}]
        async with s.get(base + "/v2.1/") as r:
            assert r.status == 200
            assert r.headers["OpenStack-API-Version"] == "compute 2.1"
            version = (await r.json())["version"]
        assert version["id"] == "v2.1"
        assert version["media-types"] == [{"base": "application/json",
                                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
        async with s.get(base + "/v2.1/servers") as r:
            assert r.status == 401


async def test_neutron_and_glance_versions(lab):
    async with aiohttp.ClientSession() as s:
        base = lab.api_url("neutron")
        async with s.get(base + "/") as r:
            assert r.status == 200
            assert await r.json() == {"versions": [{"id": "v2.0", "status": "CURRENT",
                                                    "links": [{"href": f"{base}/v2.0/", "rel": "self"}]}]}
        base = lab.api_url("glance")
        async with s.get(base + "/", **NO_REDIRECT) as r:
            assert r.status == 300
            versions = (await r.json())["versions"]
        assert versions[0]["status"] == "CURRENT"
        assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}
        assert all(v["links"] == [{"rel": "self", "href": f"{base}/v2/"}] for v in versions)


def test_urllib_sees_keystone_like_any_client():
    with run_in_thread(api_address="127.0.0.12", ephemeral_ports=True) as lab:
        base = lab.api_url()
        with pytest.raises(urllib.error.HTTPError) as err:  # urllib does not treat 300 as success
            urllib.request.urlopen(base + "/", timeout=5)
        assert err.value.code == 300
        assert err.value.headers["Location"] == f"{base}/v3/"
        assert json.loads(err.value.read()) == {"versions": {"values": [keystone_v3(base)]}}
        err.value.close()
        with urllib.request.urlopen(base + "/v3", timeout=5) as r:
            assert r.status == 200 and r.headers["Vary"] == "X-Auth-Token"
            assert json.loads(r.read()) == {"version": keystone_v3(base)}


def test_keep_alive_connection_serves_several_requests():
    with run_in_thread(api_address="127.0.0.12", ephemeral_ports=True) as lab:
        conn = http.client.HTTPConnection("127.0.0.12", lab.api_port(), timeout=5)
        try:
            for path in ("/", "/v3", "/v3/"):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                assert r.status in (200, 300)
                assert r.getheader("Connection") != "close"
        finally:
            conn.close()


def test_respond_is_transport_free():
    reply = respond("keystone", "GET", "/", "http://10.0.0.1:5000/")
    assert reply.status == 300 and reply.reason == "MULTIPLE CHOICES"
    assert reply.body == keystone_versions_document("http://10.0.0.1:5000")
    assert reply.headers == {"Vary": "X-Auth-Token", "Location": "http://10.0.0.1:5000/v3/"}
    assert respond("neutron", "GET", "/v2.0/networks", "http://x:9696",
                   keystone_url="http://x:5000").headers["WWW-Authenticate"] == 'Keystone uri="http://x:5000"'
    with pytest.raises(ValueError, match="unknown OpenStack service"):
        respond("swift", "GET", "/", "http://x")
