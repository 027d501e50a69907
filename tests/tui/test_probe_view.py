"""ProbeView in a tiny host app: rows planned up front as pending, moved to passed/failed in place as
checks arrive, the vantage point shown, failures explained, the summary at the end; and one run of
the real ProbeRun (against loopback servers) streamed into the view by a worker."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from vpnconsole.probe import H3C, JUMP_HOST, Check, ProbeReport, ProbeRun
from vpnconsole.profile import load_profile
from vpnconsole.tui.probe_view import PENDING, ProbeView, check_key

from tests.tui.screen import cell_text

PROJECT = Path(__file__).resolve().parents[2]


def plan() -> list[Check]:
    return [Check("api", JUMP_HOST, "192.168.0.10", 5000, url="https://192.168.0.10:5000/v3"),
            Check("tcp", JUMP_HOST, "192.168.0.100", 22),
            Check("icmp", JUMP_HOST, "192.168.0.100"),
            Check("router-ping", H3C, "172.16.0.10")]


def done(check: Check, **kw) -> Check:
    return dataclasses.replace(check, **kw)  # a new object, as ProbeRun yields its own checks


class Host(App):
    def compose(self) -> ComposeResult:
        yield ProbeView(id="probe")


def text_of(app: App, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_rows_move_from_pending_to_results_in_place():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ProbeView)
        assert "No probe run yet" in text_of(app, "#probe-summary")
        checks = plan()
        view.begin(checks)
        await pilot.pause()
        table = view.table
        keys = [row.key.value for row in table.ordered_rows]
        assert keys == [check_key(c) for c in checks]
        assert all(cell_text(table, k, "status") == PENDING for k in keys)
        # The vantage point is visible per row.
        assert cell_text(table, keys[0], "vantage") == "jump host" and cell_text(table, keys[3], "vantage") == "H3C router"
        assert "Probing 4 checks from jump host and H3C router… 0 done" in text_of(app, "#probe-summary")
        assert app.query_one("#probe-why").has_class("-empty")

        view.update(done(checks[1], status="ok", ok=True, latency_ms=3.25, detail="SSH-2.0-OpenSSH_9.6"))
        view.update(done(checks[3], status="unreachable", ok=False, detail="0 of 5 echo replies", sent=5, received=0,
                         reasons=["phase 2 down on the H3C: no IPsec SA for 172.16.0.0/16",
                                  "the VPC has no route back to 192.168.0.0/24"]))
        await pilot.pause()
        assert [row.key.value for row in table.ordered_rows] == keys  # same rows, same order
        assert table.row_count == 4
        assert cell_text(table, keys[1], "status") == "✓ open"
        assert cell_text(table, keys[1], "latency") == "3.2 ms"
        assert cell_text(table, keys[3], "status") == "✗ unreachable"
        assert table.get_cell(keys[3], "status").style.bold  # failures stand out
        assert cell_text(table, keys[0], "status") == PENDING
        assert "2 done: 1 passed, 1 failed" in text_of(app, "#probe-summary")
        # The explanation of the failure, under the table.
        assert not app.query_one("#probe-why").has_class("-empty")
        why = view.failures_text()
        assert why[0].startswith("✗ router-ping 172.16.0.10 from H3C router: unreachable — 0 of 5 echo replies")
        assert "    • phase 2 down on the H3C: no IPsec SA for 172.16.0.0/16" in why
        assert "    • the VPC has no route back to 192.168.0.0/24" in why

        final = [done(checks[0], status="ok", ok=True, latency_ms=12.0, http_status=300),
                 done(checks[1], status="ok", ok=True, latency_ms=3.25),
                 done(checks[2], status="skipped", ok=None, detail="ICMP not possible"),
                 done(checks[3], status="unreachable", ok=False, reasons=["phase 2 down"])]
        report = ProbeReport("hypermotion-lab", final, ["ICMP not possible: no raw socket — TCP results are still reported"],
                             0.0, 1.5, 2.0, "none")
        view.finish(report)
        await pilot.pause()
        assert not any(cell_text(table, k, "status") == PENDING for k in keys)
        assert cell_text(table, keys[2], "status") == "– skipped"
        summary = text_of(app, "#probe-summary")
        assert "✗ Probe FAILED: 2 passed, 1 failed, 1 skipped in 1.50 s · ICMP: none" in summary
        assert "⚠ ICMP not possible: no raw socket" in summary
        # A new run replaces the rows.
        view.begin(plan()[:2])
        await pilot.pause()
        assert table.row_count == 2 and app.query_one("#probe-why").has_class("-empty")


async def test_unplanned_check_is_added_and_labels_are_verbatim():
    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:
        view = app.query_one(ProbeView)
        view.begin([])
        odd = Check("api", JUMP_HOST, "h", 80, url="http://h/[bold]x", status="http-error", ok=False,
                    detail="HTTP 500 [internal]", reasons=[])
        view.update(odd)
        await pilot.pause()
        assert view.table.row_count == 1
        assert cell_text(view.table, check_key(odd), "target") == "http://h/[bold]x"
        assert any("[internal]" in line for line in view.failures_text())
        assert "    • no explanation available" in view.failures_text()


async def test_calls_before_mount_are_replayed():
    view = ProbeView()
    checks = plan()
    view.begin(checks)
    view.update(done(checks[0], status="ok", ok=True))

    class Late(App):
        def compose(self) -> ComposeResult:
            yield view

    app = Late()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert view.table.row_count == 4
        assert cell_text(view.table, check_key(checks[0]), "status") == "✓ ok"


class Explainer:
    async def explain(self, target_ip, port):
        return [f"lab explainer: nothing listens on {target_ip}:{port}"] if port else None


async def test_a_real_probe_run_streams_into_the_view(tmp_path):
    """ProbeRun against loopback: an HTTP 'Keystone', an SSH-ish listener and a closed port, ICMP
    injected, a cloud target without a router session (skipped). Driven by a worker, as the app will."""
    async def keystone(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"versions": {"values": [{"id": "v3.14", "status": "stable"}]}}'
        writer.write(b"HTTP/1.1 300 Multiple Choices\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def ssh(reader, writer):
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()

    api = await asyncio.start_server(keystone, "127.0.0.1", 0)
    banner = await asyncio.start_server(ssh, "127.0.0.1", 0)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: refused
    try:
        profile = load_profile(PROJECT / "profiles" / "classic.yaml")
        api_port, ssh_port = api.sockets[0].getsockname()[1], banner.sockets[0].getsockname()[1]
        profile.onprem.subnets = ["127.0.0.0/8"]
        profile.onprem.lan_address = "127.0.0.1"
        profile.probe.openstack_api = f"http://127.0.0.1:{api_port}/v3"
        profile.probe.floating_ips = ["127.0.0.1"]
        profile.probe.tcp_ports = [ssh_port, closed_port]
        profile.probe.cloud_targets = ["172.16.0.10"]
        profile.probe.timeout_s = 1.0

        async def icmp(address, timeout):
            return True

        run = ProbeRun(profile, explainer=Explainer(), icmp=icmp, port_protocols={ssh_port: "ssh"})
        app = Host()
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(ProbeView)
            seen: list[str] = []

            async def work() -> None:
                view.begin(run.plan())
                seen.append(cell_text(view.table, check_key(run.plan()[0]), "status"))
                async for check in run:
                    view.update(check)
                view.finish(run.report)

            worker = app.run_worker(work())
            await worker.wait()
            await pilot.pause()
            table = view.table
            assert seen == [PENDING]
            assert table.row_count == 5  # api, 2 tcp, icmp, router-ping
            assert cell_text(table, check_key(Check("api", JUMP_HOST, "127.0.0.1", api_port,
                                               url=profile.probe.openstack_api)), "status") == "✓ ok"
            assert cell_text(table, check_key(Check("tcp", JUMP_HOST, "127.0.0.1", ssh_port)), "status") == "✓ open"
            refused = check_key(Check("tcp", JUMP_HOST, "127.0.0.1", closed_port))
            assert cell_text(table, refused, "status") == "✗ refused"
            router = check_key(Check("router-ping", H3C, "172.16.0.10"))
            assert cell_text(table, router, "status") == "– skipped" and cell_text(table, router, "vantage") == "H3C router"
            why = "\n".join(view.failures_text())
            assert f"nothing listens on 127.0.0.1:{closed_port}" in why
            summary = text_of(app, "#probe-summary")
            assert "Probe FAILED: 3 passed, 1 failed, 1 skipped" in summary and "ICMP: injected" in summary
            assert "no router session" in summary
    finally:
        api.close()
        banner.close()


async def test_status_colours_follow_the_theme():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-dark"
        view = app.query_one(ProbeView)
        check = plan()[1]
        view.begin([check])
        view.update(done(check, status="refused", ok=False))
        await pilot.pause()
        dark = view.table.get_cell(check_key(check), "status").style
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = view.table.get_cell(check_key(check), "status").style
        assert dark.color != light.color and light.bold
