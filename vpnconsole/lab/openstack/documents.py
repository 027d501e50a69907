"""What the simulated OpenStack APIs answer: the unauthenticated version-discovery documents.

Transport free: :func:`respond` maps ``(service, method, path)`` to a :class:`Reply`; the server
adds the per-request headers (``x-openstack-request-id``, ``Date``, ``Server``).

Shapes, as the real services answer them (Keystone under Apache/mod_wsgi, Flask/Werkzeug, so the
reason phrases are upper case — ``300 MULTIPLE CHOICES``):

Keystone (identity, :5000)
    ``GET /``     300, ``{"versions": {"values": [v3]}}`` plus ``Location: <base>/v3/``
    ``GET /v3``   200, ``{"version": v3}`` (also ``/v3/``)
    with v3 = ``{"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
    "links": [{"rel": "self", "href": "<base>/v3/"}], "media-types": [{"base":
    "application/json", "type": "application/vnd.openstack.identity-v3+json"}]}``; every answer
    carries ``Vary: X-Auth-Token``. Anything else under ``/v3/`` needs a token: 401 with
    Keystone's error body and ``WWW-Authenticate: Keystone uri="<base>"``; other paths 404; a
    method other than GET/HEAD on a discovery path 405. JSON-Home (``Accept:
    application/json-home``) is not simulated: the JSON document is returned.
Nova (compute, :8774)
    ``GET /`` 200 ``{"versions": [v2.0 SUPPORTED, v2.1 CURRENT]}``; ``GET /v2.1/`` 200
    ``{"version": {...}}`` with the microversion headers; ``GET /v2/`` the legacy v2.0 document.
Neutron (network, :9696)
    ``GET /`` 200 ``{"versions": [{"id": "v2.0", "status": "CURRENT", "links": [...]}]}``.
Glance (image, :9292)
    ``GET /`` 300 (and ``GET /versions`` 200) ``{"versions": [v2.16 CURRENT, ... v2.0]}``.

Below their version roots Nova, Neutron and Glance answer 401 as keystonemiddleware does.
``base`` is the URL the client used (scheme + ``Host`` header), unless a public endpoint is
configured — Keystone's own ``[DEFAULT] public_endpoint`` behaves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_SERVICE_PORTS",
    "GLANCE_VERSIONS",
    "KEYSTONE_MEDIA_TYPE",
    "KEYSTONE_UPDATED",
    "KEYSTONE_VERSION_ID",
    "NOVA_MAX_VERSION",
    "Reply",
    "glance_versions_document",
    "keystone_version",
    "keystone_version_document",
    "keystone_versions_document",
    "neutron_versions_document",
    "nova_version_document",
    "nova_versions_document",
    "respond",
]

DEFAULT_SERVICE_PORTS: dict[str, int] = {"keystone": 5000, "nova": 8774, "neutron": 9696, "glance": 9292}

KEYSTONE_VERSION_ID = "v3.14"
KEYSTONE_UPDATED = "2020-04-07T00:00:00Z"
KEYSTONE_MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"
NOVA_MAX_VERSION = "2.96"
GLANCE_VERSIONS = ("2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10", "2.9", "2.7", "2.6", "2.5",
                   "2.4", "2.3", "2.2", "2.1", "2.0")

JSON = "application/json"
_REASONS = {200: "OK", 300: "MULTIPLE CHOICES", 401: "UNAUTHORIZED", 404: "NOT FOUND",
            405: "METHOD NOT ALLOWED"}
_TITLES = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
_MESSAGES = {401: "The request you have made requires authentication.",
             404: "The resource could not be found.",
             405: "The method is not allowed for the requested URL."}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # a JSON-able object, or str for text/plain
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None

    @property
    def content_type(self) -> str:
        return JSON if not isinstance(self.body, str) else "text/plain"


# --- Keystone ------------------------------------------------------------------------------------

def keystone_version(base_url: str) -> dict[str, Any]:
    return {
        "id": KEYSTONE_VERSION_ID,
        "status": "stable",
        "updated": KEYSTONE_UPDATED,
        "links": [{"rel": "self", "href": f"{_strip(base_url)}/v3/"}],
        "media-types": [{"base": JSON, "type": KEYSTONE_MEDIA_TYPE}],
    }


def keystone_versions_document(base_url: str) -> dict[str, Any]:
    """``GET /`` (HTTP 300)."""
    return {"versions": {"values": [keystone_version(base_url)]}}


def keystone_version_document(base_url: str) -> dict[str, Any]:
    """``GET /v3`` (HTTP 200)."""
    return {"version": keystone_version(base_url)}


# --- Nova ----------------------------------------------------------------------------------------

def _nova_v20(base: str, *, detail: bool) -> dict[str, Any]:
    v: dict[str, Any] = {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
                         "updated": "2011-01-21T11:33:21Z",
                         "links": [{"rel": "self", "href": f"{base}/v2/"}]}
    if detail:
        v["links"].append({"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"})
        v["media-types"] = [{"base": JSON, "type": "application/vnd.openstack.compute+json;version=2"}]
    return v


def _nova_v21(base: str, max_version: str, *, detail: bool) -> dict[str, Any]:
    v: dict[str, Any] = {"id": "v2.1", "status": "CURRENT", "version": max_version, "min_version": "2.1",
                         "updated": "2013-07-23T11:33:21Z",
                         "links": [{"rel": "self", "href": f"{base}/v2.1/"}]}
    if detail:
        v["links"].append({"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"})
        v["media-types"] = [{"base": JSON, "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return v


def nova_versions_document(base_url: str, max_version: str = NOVA_MAX_VERSION) -> dict[str, Any]:
    """``GET /`` on Nova (HTTP 200): a plain list, unlike Keystone's ``{"values": [...]}``."""
    base = _strip(base_url)
    return {"versions": [_nova_v20(base, detail=False), _nova_v21(base, max_version, detail=False)]}


def nova_version_document(base_url: str, version: str = "v2.1",
                          max_version: str = NOVA_MAX_VERSION) -> dict[str, Any]:
    base = _strip(base_url)
    doc = _nova_v21(base, max_version, detail=True) if version == "v2.1" else _nova_v20(base, detail=True)
    return {"version": doc}


# --- Neutron, Glance -----------------------------------------------------------------------------

def neutron_versions_document(base_url: str) -> dict[str, Any]:
    return {"versions": [{"id": "v2.0", "status": "CURRENT",
                          "links": [{"href": f"{_strip(base_url)}/v2.0/", "rel": "self"}]}]}


def glance_versions_document(base_url: str) -> dict[str, Any]:
    href = f"{_strip(base_url)}/v2/"
    return {"versions": [{"id": f"v{v}", "status": "CURRENT" if i == 0 else "SUPPORTED",
                          "links": [{"rel": "self", "href": href}]}
                         for i, v in enumerate(GLANCE_VERSIONS)]}


# --- dispatch ------------------------------------------------------------------------------------

def respond(service: str, method: str, path: str, base_url: str, *, keystone_url: str | None = None,
            nova_max_version: str = NOVA_MAX_VERSION) -> Reply:
    """The answer of ``service`` to an unauthenticated ``method path``.

    ``base_url`` is this service's root as the client sees it (``http://127.0.0.10:5000``);
    ``keystone_url`` the identity root named in ``WWW-Authenticate`` by the other services.
    """
    base = _strip(base_url)
    method = method.upper()
    path = path or "/"
    read = method in ("GET", "HEAD")
    if service == "keystone":
        vary = {"Vary": "X-Auth-Token"}
        if path in ("/", "/v3", "/v3/"):
            if not read:
                return _keystone_error(405, vary | {"Allow": "GET, HEAD, OPTIONS"})
            if path == "/":
                return Reply(300, keystone_versions_document(base), vary | {"Location": f"{base}/v3/"},
                             _REASONS[300])
            return Reply(200, keystone_version_document(base), dict(vary), _REASONS[200])
        if path.startswith("/v3/"):
            return _keystone_error(401, vary | {"WWW-Authenticate": f'Keystone uri="{base}"'})
        return _keystone_error(404, vary)

    auth = {"WWW-Authenticate": f'Keystone uri="{_strip(keystone_url or base)}"'}
    if service == "nova":
        ids: dict[str, str] = {}  # the server adds x-compute-request-id (= x-openstack-request-id)
        if path == "/" and read:
            return Reply(200, nova_versions_document(base, nova_max_version), ids, "OK")
        if path in ("/v2.1", "/v2.1/") and read:
            return Reply(200, nova_version_document(base, "v2.1", nova_max_version), ids | {
                "OpenStack-API-Version": "compute 2.1", "X-OpenStack-Nova-API-Version": "2.1",
                "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}, "OK")
        if path in ("/v2", "/v2/") and read:
            return Reply(200, nova_version_document(base, "v2.0", nova_max_version), ids, "OK")
        if _under(path, "/v2.1") or _under(path, "/v2"):
            return _middleware_401(auth)
        return _webob_404()
    if service == "neutron":
        if path == "/" and read:
            return Reply(200, neutron_versions_document(base), {}, "OK")
        if _under(path, "/v2.0"):
            return _middleware_401(auth)
        return _webob_404()
    if service == "glance":
        if path == "/" and read:
            return Reply(300, glance_versions_document(base), {}, "Multiple Choices")
        if path in ("/versions", "/versions/") and read:
            return Reply(200, glance_versions_document(base), {}, "OK")
        if _under(path, "/v2"):
            return _middleware_401(auth)
        return _webob_404()
    raise ValueError(f"unknown OpenStack service {service!r}; known: {', '.join(DEFAULT_SERVICE_PORTS)}")


def _strip(url: str) -> str:
    return url.rstrip("/")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def _keystone_error(code: int, headers: dict[str, str]) -> Reply:
    body = {"error": {"code": code, "message": _MESSAGES[code], "title": _TITLES[code]}}
    return Reply(code, body, headers, _REASONS[code])


def _middleware_401(headers: dict[str, str]) -> Reply:
    """keystonemiddleware's auth_token answer to a request without ``X-Auth-Token``."""
    body = {"error": {"code": 401, "title": "Unauthorized", "message": _MESSAGES[401]}}
    return Reply(401, body, dict(headers), "Unauthorized")


def _webob_404() -> Reply:
    return Reply(404, "404 Not Found\n\nThe resource could not be found.\n\n   ", {}, "Not Found")

