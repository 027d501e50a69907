"""The simulated ER's web GUI, as far as the console can see it: a port on loopback that answers.

The console cannot read an ER, only check that it answers (``ErEnd`` connects to
``onprem.device.host:port``).  This listener is that answer: a minimal HTTP page, nothing more —
the lab's configuration goes through :class:`~vpnconsole.lab.er.operator.ErOperator`, never HTTP.
"""

from __future__ import annotations

import asyncio

_PAGE = (b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
         b"<html><body>H3C ER3200G2 (vpnconsole lab): web management</body></html>\r\n")


class ErWebGui:
    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.connections = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> "ErWebGui":
        self.server = await asyncio.start_server(self._serve, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            try:
                await asyncio.wait_for(reader.read(1024), 1.0)
            except asyncio.TimeoutError:
                pass
            writer.write(_PAGE)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


__all__ = ["ErWebGui"]
