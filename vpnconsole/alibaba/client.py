"""Construct the ``alibabacloud-vpc20160428`` client for a profile (the SDK is imported here, lazily).

* Credentials: :func:`vpnconsole.secrets.alibaba_credentials` — the standard chain (environment,
  aliyun CLI profile, credentials.ini), then the keyring — passed to the SDK as a *static* AK
  (+ STS token).  The SDK's own default chain is never used, so it never falls through to the ECS
  metadata service; ``ALIBABA_CLOUD_ECS_METADATA_DISABLED`` is set (unless the caller set it) before
  the credentials package is imported, as a second guard.
* Endpoint: ``cloud.endpoint`` when the profile has one.  ``http://host:port`` → ``protocol="http"``
  and the scheme stripped; ``https://host`` → HTTPS; a bare ``host[:port]`` → HTTPS.  Without an
  override the SDK's own map (``vpc.aliyuncs.com`` / ``vpc.<region>.aliyuncs.com``) applies.
* ``region_id`` on the Config (it only chooses the endpoint: every request carries ``RegionId``
  itself — the plans put it there).
* Timeouts in milliseconds (connect, read); the SDK's in-loop retries stay off — retries are the
  executor's, with the same ClientToken and with progress events.
* urllib3 logs every request line at DEBUG, query string included — and for single-tunnel writes
  the query string holds ``IkeConfig`` with the PSK (percent-encoded, so the literal-match redaction
  backstop would miss it).  :func:`mask_transport_logs` puts a filter on urllib3's loggers that
  replaces every query string in their records.
* Proxies: the SDK reads ``HTTP_PROXY``/``HTTPS_PROXY`` from the environment itself; it does not
  read ``NO_PROXY``, so that one is passed through here.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vpnconsole.secrets import Credentials


_QUERY = re.compile(r"\?[^\s\"']*")
_TRANSPORT_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection", "urllib3")


class QueryStringFilter(logging.Filter):
    """Masks query strings (``?...`` up to the next blank) in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = _QUERY.sub("?<query masked>", message)
        record.args = None
        return True


def mask_transport_logs() -> None:
    """Idempotent: a :class:`QueryStringFilter` on urllib3's loggers."""
    for name in _TRANSPORT_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(f, QueryStringFilter) for f in log.filters):
            log.addFilter(QueryStringFilter())


@dataclass(frozen=True)
class Endpoint:
    host: str | None  # None: the SDK's own endpoint for the region
    protocol: str  # "https" | "http"


def parse_endpoint(endpoint: str | None) -> Endpoint:
    if not endpoint:
        return Endpoint(None, "https")
    text = endpoint.strip()
    if "://" in text:
        url = urlsplit(text)
        return Endpoint(url.netloc, "http" if url.scheme.lower() == "http" else "https")
    return Endpoint(text.rstrip("/"), "https")


def sdk_config(region: str, credentials: Credentials, endpoint: str | None = None, *,
               connect_timeout_ms: int = 5000, read_timeout_ms: int = 10000) -> Any:
    """The ``alibabacloud_tea_openapi.models.Config`` for one region (holds the AK secret: never log it)."""
    os.environ.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    mask_transport_logs()
    from alibabacloud_tea_openapi import models as open_api_models

    ep = parse_endpoint(endpoint)
    kwargs: dict[str, Any] = {
        "access_key_id": credentials.access_key_id,
        "access_key_secret": credentials.access_key_secret.reveal(),
        "region_id": region,
        "connect_timeout": int(connect_timeout_ms),
        "read_timeout": int(read_timeout_ms),
        "user_agent": "vpnconsole",
    }
    if credentials.security_token is not None:
        kwargs["security_token"] = credentials.security_token.reveal()
    if ep.host:
        kwargs["endpoint"] = ep.host
        kwargs["protocol"] = ep.protocol
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    if no_proxy:
        kwargs["no_proxy"] = no_proxy
    return open_api_models.Config(**kwargs)


def make_client(region: str, credentials: Credentials, endpoint: str | None = None, *,
                connect_timeout_ms: int = 5000, read_timeout_ms: int = 10000) -> Any:
    """A ``alibabacloud_vpc20160428.client.Client`` (imports the SDK: slow, call it lazily)."""
    config = sdk_config(region, credentials, endpoint, connect_timeout_ms=connect_timeout_ms,
                        read_timeout_ms=read_timeout_ms)
    from alibabacloud_vpc20160428.client import Client as VpcClient

    return VpcClient(config)


def runtime_options(*, connect_timeout_ms: int, read_timeout_ms: int) -> Any:
    from darabonba.runtime import RuntimeOptions

    return RuntimeOptions(connect_timeout=int(connect_timeout_ms), read_timeout=int(read_timeout_ms),
                          autoretry=False)
