"""HTTP transport of the simulated Alibaba Cloud VPC API (aiohttp, 127.0.0.1 only).

The real SDK reaches it with::

    Config(endpoint=f"127.0.0.1:{server.port}", protocol="http", region_id=...,
           access_key_id="x", access_key_secret="y")

(``server.sdk_config_kwargs(region_id)`` returns exactly these keyword arguments.)

* In an existing event loop: ``async with AliyunLabServer(sim) as srv: ...``
  (or ``await srv.start()`` / ``await srv.stop()``). Do not use the *sync* SDK
  methods from that loop's thread: they would block the server.
* For synchronous code/tests: ``with ThreadedAliyunLab(sim) as lab: ...``
  runs the server in its own thread and event loop, with a clean shutdown.

Every request: ``POST /`` (any method and path is accepted; the SDK uses
``POST /``, and ``GET /`` for DescribeVpnGatewayAvailableZones), action from
the ``x-acs-action`` header, else the ``Action`` parameter; parameters merged
from the query string and an ``application/x-www-form-urlencoded`` body.
The aiohttp access log is disabled, because query strings carry PSKs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import ApiError
from .params import merge_params
from .sim import AliyunVpcSim

__all__ = ["AliyunLabServer", "ThreadedAliyunLab"]

logger = logging.getLogger("vpnconsole.lab.aliyun")

LOOPBACK = "127.0.0.1"

_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"
)


class AliyunLabServer:
    """The sim behind HTTP on 127.0.0.1 (``port=0``: an ephemeral port, see :attr:`port`)."""

    def __init__(self, sim: AliyunVpcSim | None = None, *, host: str = LOOPBACK, port: int = 0,
                 shutdown_timeout: float = 0.5) -> None:
        if host != LOOPBACK:
            raise ValueError("the simulated Alibaba API binds to 127.0.0.1 only")
        self.sim = sim or AliyunVpcSim()
        self.host = host
        self._want_port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> "AliyunLabServer":
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._want_port, reuse_address=True)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        logger.info("simulated Alibaba Cloud VPC API listening on http://%s:%d", self.host, self._port)
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            logger.info("simulated Alibaba Cloud VPC API on port %s stopped", self._port)

    async def __aenter__(self) -> "AliyunLabServer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addressing ---------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}/"

    def sdk_config_kwargs(self, region_id: str, **extra: object) -> dict:
        """Keyword arguments for ``alibabacloud_tea_openapi.models.Config`` (dummy static AK)."""
        return {"endpoint": self.endpoint, "protocol": "http", "region_id": region_id,
                "access_key_id": "lab-access-key-id", "access_key_secret": "lab-access-key-secret", **extra}

    # -- request handling ---------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        raw = await request.read()
        form: list[tuple[str, str]] = []
        ctype = request.headers.get("Content-Type", "")
        if raw and ctype.lower().startswith("application/x-www-form-urlencoded"):
            form = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        params = merge_params(request.query.items(), form)
        action = request.headers.get("x-acs-action") or params.get("Action") or ""
        request_id = sim.new_request_id()
        faults = sim.faults

        delay = faults.take_delays(action)
        if delay > 0:
            logger.info("%s %s: fault knob delays the answer by %.3f s", request_id, action, delay)
            await asyncio.sleep(delay)

        fault = faults.take_pre(action)
        if fault is not None:
            logger.info("%s %s: fault knob %s fires", request_id, action, fault.kind)
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            if fault.kind == "html_502":
                return web.Response(status=502, text=_HTML_502, content_type="text/html")
            headers = {}
            if fault.retry_after_ms:
                headers["x-acs-retry-after"] = str(fault.retry_after_ms)
            resp = sim.error_response(ApiError(fault.status, fault.code, fault.message, headers=headers), request_id)
        else:
            def after_commit() -> ApiError | None:
                f = faults.take_post(action)
                if f is None:
                    return None
                logger.info("%s %s: fault knob error_after_commit fires (the write was committed)", request_id, action)
                return ApiError(f.status, f.code, f.message)

            resp = sim.handle(action, params, dict(request.headers), body=raw, request_id=request_id,
                              after_commit=after_commit if faults.peek_post(action) else None)
        body = json.dumps(resp.body, ensure_ascii=False)
        return web.Response(status=resp.status, text=body, content_type="application/json", charset="utf-8",
                            headers=resp.headers)


class ThreadedAliyunLab:
    """Runs an :class:`AliyunLabServer` in a background thread with its own event loop.

    ::

        with ThreadedAliyunLab(AliyunVpcSim(clock=ManualClock())) as lab:
            client = VpcClient(Config(**lab.sdk_config_kwargs("cn-shanghai")))
    """

    def __init__(self, sim: AliyunVpcSim | None = None, *, port: int = 0, start_timeout: float = 10.0) -> None:
        self.server = AliyunLabServer(sim, port=port)
        self.sim = self.server.sim
        self._start_timeout = start_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> "ThreadedAliyunLab":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="aliyun-lab-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise RuntimeError("the simulated Alibaba API did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("the simulated Alibaba API failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            try:
                await self.server.start()
            except BaseException as e:  # noqa: BLE001 - reported to start()
                self._error = e
                self._ready.set()
                return
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await self.server.stop()

        try:
            loop.run_until_complete(main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("the simulated Alibaba API thread did not stop")

    def __enter__(self) -> "ThreadedAliyunLab":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def sdk_config_kwargs(self, region_id: str, **extra: object) -> dict:
        return self.server.sdk_config_kwargs(region_id, **extra)
