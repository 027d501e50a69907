"""RoutesView in a tiny host app: rows updated in place by key, tunnel routes highlighted, path
verdict lines, placeholders; one test on a real StatusReport from the embedded lab."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from vpnconsole.diagnose import Comparison, End
from vpnconsole.endstate import EndState, Route
from vpnconsole.engine import StatusReport
from vpnconsole.tui.routes import OURS_MARK, TUNNEL_MARK, RoutesView, route_key, tunnel_routes
from vpnconsole.verdict import Verdict

from tests.tui.screen import cell_text

GATEWAY = "vpn-bp1example"
TABLE = "vtb-bp1example"
ONPREM = ["192.168.0.0/24", "192.168.10.0/24"]
CLOUD = ["172.16.0.0/16"]
PATHS = ("192.168.0.0/24 → VPN gateway ✓", "192.168.10.0/24 missing in VPC route table ✗",
         "172.16.0.0/16 → GigabitEthernet0/1 (198.51.100.9) ✓")


def vpc(dest: str, hop: str = GATEWAY, *, via: str = "VpnGateway", kind: str = "Custom", status: str = "Available",
        ours: bool = False, table: str = TABLE) -> Route:
    return Route(dest, hop, via, kind, status, ours, table)


def h3c(dest: str, hop: str = "198.51.100.9", *, via: str = "GE0/1", kind: str = "Static", ours: bool = False) -> Route:
    return Route(dest, hop, via, kind, None, ours, None)


def make_report(h3c_routes=(), alibaba_routes=(), *, paths=PATHS, h3c_reachable=True, alibaba_reachable=True,
                h3c_errors=(), alibaba_errors=(), code="up", summary="up and passing") -> StatusReport:
    return StatusReport(
        h3c=EndState(End.H3C, h3c_reachable, None, routes=tuple(h3c_routes), errors=tuple(h3c_errors)),
        alibaba=EndState(End.ALIBABA, alibaba_reachable, None, routes=tuple(alibaba_routes),
                         errors=tuple(alibaba_errors)),
        comparison=Comparison([], [], []),
        verdict=Verdict(code, summary, (), tuple(paths)),
        elapsed=0.1)


def sample_report(**kw) -> StatusReport:
    return make_report(
        [h3c("0.0.0.0/0"), h3c("172.16.0.0/16", ours=True), h3c("10.1.0.0/16", "10.0.0.2", via="GE0/2"),
         h3c("192.168.0.0/24", "192.168.0.1", via="GE0/2", kind="Direct")],
        [vpc("192.168.0.0/24", ours=True), vpc("172.16.0.0/16", "", via="", kind="System"),
         vpc("10.50.0.0/16", "i-bp1instance", via="Instance"),
         Route("192.168.0.0/24", "vco-bp1conn", "VpnConnection", "vpn", "published", False, "vpn-gateway")],
        **kw)


def many_routes(n: int, *, changed: int = 0, seed_offset: int = 0) -> tuple[list[Route], list[Route]]:
    """n routes split over the VPC table and the H3C; the first ``changed`` VPC routes get a new status."""
    half = n // 2
    ali = [vpc(f"10.{(i >> 8) & 255}.{i & 255}.0/24", f"i-{i + seed_offset:08d}", via="Instance",
               status="Pending" if i < changed else "Available") for i in range(half)]
    ali.append(vpc("192.168.0.0/24", ours=True))
    hh = [h3c(f"20.{(i >> 8) & 255}.{i & 255}.0/24", f"10.0.{i & 255}.1", via="GE0/2") for i in range(n - half - 2)]
    hh.append(h3c("172.16.0.0/16", ours=True))
    return hh, ali


class Host(App):
    def compose(self) -> ComposeResult:
        yield RoutesView(id="routes")


def row_keys(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def settle(pilot, view: RoutesView) -> None:
    """Wait until the rows queued for batches are all in (a big first fill is added over a few ticks)."""
    for _ in range(1000):
        await pilot.pause()
        if not view.pending:
            return
        await pilot.pause(0.01)
    raise AssertionError("rows still pending")


def static_text(app: App, selector: str) -> str:
    widget = app.query_one(selector, Static)
    return str(widget.render())


async def test_placeholders_before_any_report():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "not read yet" in static_text(app, "#route-paths")
        assert static_text(app, "#h3c-note") == "H3C not read yet"
        assert static_text(app, "#vpc-note") == "Alibaba not read yet"
        assert all(app.query_one(f"#{n}-routes", DataTable).row_count == 0 for n in ("vpc", "gateway", "h3c"))


async def test_three_tables_paths_and_highlight():
    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:
        view = app.query_one(RoutesView)
        stats = view.show(sample_report(), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        assert (stats.added, stats.removed, stats.rows) == (8, 0, 8)
        vpc_table, gw_table, h3c_table = (view.table(n) for n in ("vpc", "gateway", "h3c"))
        assert (vpc_table.row_count, gw_table.row_count, h3c_table.row_count) == (3, 1, 4)
        # Headings count rows and the ones carrying tunnel traffic.
        assert f"VPC route table {TABLE} · 3 routes · {TUNNEL_MARK} 1 carries" in static_text(app, "#vpc-heading")
        assert "H3C routing table · 4 routes" in static_text(app, "#h3c-heading")
        # Path lines, coloured by outcome (theme variables resolve to the theme's colours).
        paths = app.query_one("#route-paths", Static)
        text = paths.render()
        assert "192.168.10.0/24 missing in VPC route table ✗" in str(text)
        assert "172.16.0.0/16 → GigabitEthernet0/1 (198.51.100.9) ✓" in str(text)
        # The route to the on-prem subnet via the VPN gateway is marked and bold; the instance route is not.
        key = route_key(vpc("192.168.0.0/24", ours=True))
        assert cell_text(vpc_table, key, "mark") == TUNNEL_MARK + OURS_MARK
        assert vpc_table.get_cell(key, "destination").style.bold
        other = route_key(vpc("10.50.0.0/16", "i-bp1instance", via="Instance"))
        assert cell_text(vpc_table, other, "mark") == ""
        assert not getattr(vpc_table.get_cell(other, "destination"), "style", None)
        # H3C: the route covering the cloud subnet is highlighted; the default route is not (more specific exists).
        assert cell_text(h3c_table, route_key(h3c("172.16.0.0/16")), "mark") == TUNNEL_MARK + OURS_MARK
        assert cell_text(h3c_table, route_key(h3c("0.0.0.0/0")), "mark") == ""
        # The VPN gateway's own route to the on-prem subnet carries tunnel traffic.
        gw_key = "vpn-gateway|192.168.0.0/24|vco-bp1conn"
        assert cell_text(gw_table, gw_key, "mark") == TUNNEL_MARK


async def test_refresh_updates_in_place_by_key():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        first = sample_report()
        view.show(first, onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        vpc_table, h3c_table = view.table("vpc"), view.table("h3c")
        vpc_table.move_cursor(row=2)
        before_keys = row_keys(vpc_table)
        row_objects = {k: vpc_table.rows[k] for k in before_keys}

        # Same report again: nothing touched.
        again = view.show(first, onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        assert (again.added, again.updated, again.removed, again.cells) == (0, 0, 0, 0)

        # One status changes, one route goes, one appears.
        ali = list(first.alibaba.routes)
        ali[0] = dataclasses.replace(ali[0], status="Pending")
        gone = ali.pop(1)
        ali.append(vpc("192.168.10.0/24"))
        second = dataclasses.replace(first, alibaba=dataclasses.replace(first.alibaba, routes=tuple(ali)))
        stats = view.show(second, onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        assert (stats.added, stats.updated, stats.removed, stats.cells) == (1, 1, 1, 1)
        keys = row_keys(vpc_table)
        assert keys == [before_keys[0], before_keys[2], route_key(vpc("192.168.10.0/24"))]
        assert route_key(gone) not in keys
        # The row objects are the same ones: updated in place, not rebuilt.
        assert all(vpc_table.rows[k] is row_objects[k] for k in keys[:2])
        assert cell_text(vpc_table, before_keys[0], "status") == "Pending"
        assert cell_text(vpc_table, keys[2], "mark") == TUNNEL_MARK  # the new route to the on-prem subnet
        # The cursor stays on the route the user was on, though a row above it went.
        assert vpc_table.cursor_row == 1 and keys[1] == before_keys[2]
        assert h3c_table.row_count == 4  # the other end untouched


async def test_highlight_follows_longest_prefix():
    """Before apply the H3C's default route carries the cloud subnet; once the specific route exists,
    the highlight moves to it (a re-style of the changed rows, in place)."""
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        default = h3c("0.0.0.0/0")
        view.show(make_report([default, h3c("10.1.0.0/16", "10.0.0.2", via="GE0/2")], []),
                  onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        table = view.table("h3c")
        assert cell_text(table, route_key(default), "mark") == TUNNEL_MARK
        stats = view.show(make_report([default, h3c("10.1.0.0/16", "10.0.0.2", via="GE0/2"), h3c("172.16.0.0/16")], []),
                          onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        assert (stats.added, stats.updated) == (1, 1)
        assert cell_text(table, route_key(default), "mark") == ""
        assert not getattr(table.get_cell(route_key(default), "destination"), "style", None)
        assert cell_text(table, route_key(h3c("172.16.0.0/16")), "mark") == TUNNEL_MARK


async def test_unreachable_end_keeps_last_routes_dimmed():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        view.show(sample_report(), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        down = sample_report(h3c_reachable=False, h3c_errors=("SSH timeout after 10 s",), paths=(),
                             code="end-unreachable", summary="H3C unreachable: SSH timeout after 10 s")
        view.show(down, onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        note = app.query_one("#h3c-note", Static)
        assert "H3C unreachable: SSH timeout after 10 s" in str(note.render())
        assert note.has_class("-error") and note.display
        assert view.table("h3c").has_class("-stale") and view.table("h3c").row_count == 4
        assert "No path verdict: H3C unreachable" in static_text(app, "#route-paths")
        assert not view.table("vpc").has_class("-stale")
        # Back to None (another lab opened): everything reset to the placeholder.
        view.show(None)
        await pilot.pause()
        assert view.table("h3c").row_count == 0 and static_text(app, "#h3c-note") == "H3C not read yet"


async def test_route_values_are_not_markup():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        odd = h3c("10.9.0.0/16", "[bold]x[/bold]", via="[red]GE0/9")
        view.show(make_report([odd], []), cloud_subnets=CLOUD, onprem_subnets=ONPREM)
        await pilot.pause()
        assert cell_text(view.table("h3c"), route_key(odd), "via") == "[red]GE0/9"


async def test_bulk_removal_matches_remove_row():
    """Many routes gone in one refresh take the one-pass removal; order and lookups stay right."""
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        hh, ali = many_routes(400)
        view.show(make_report(hh, ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await settle(pilot, view)
        kept = [r for i, r in enumerate(hh) if i % 3]
        stats = view.show(make_report(kept, ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        table = view.table("h3c")
        assert stats.removed == len(hh) - len(kept) > 8
        assert row_keys(table) == [route_key(r) for r in kept]
        assert [table.get_row_index(route_key(r)) for r in kept] == list(range(len(kept)))
        assert cell_text(table, route_key(kept[-1]), "destination") == kept[-1].destination
        # and the table still takes new rows and cursor moves after it
        view.show(make_report(kept + [h3c("30.0.0.0/8")], ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        table.move_cursor(row=table.row_count - 1)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == route_key(h3c("30.0.0.0/8"))


async def test_show_before_mount_is_applied_on_mount():
    view = RoutesView()
    view.show(sample_report(), onprem_subnets=ONPREM, cloud_subnets=CLOUD)

    class Late(App):
        def compose(self) -> ComposeResult:
            yield view

    app = Late()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert view.table("vpc").row_count == 3


async def test_ten_thousand_routes_refresh_in_place():
    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:
        view = app.query_one(RoutesView)
        hh, ali = many_routes(10_000)
        first = view.show(make_report(hh, ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        # The first fill comes in batches: some rows now, the rest a batch per tick.
        assert first.added < 10_000 and first.added + first.queued == 10_000
        await settle(pilot, view)
        assert sum(view.table(n).row_count for n in ("vpc", "gateway", "h3c")) == 10_000
        assert row_keys(view.table("vpc")) == [route_key(r) for r in ali]  # in order, across batches
        hh2, ali2 = many_routes(10_000, changed=100)
        stats = view.show(make_report(hh2, ali2), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        assert (stats.added, stats.removed, stats.updated, stats.cells) == (0, 0, 100, 100)
        assert stats.rows == 10_000
        assert cell_text(view.table("vpc"), route_key(ali2[0]), "status") == "Pending"


def test_tunnel_routes_unit():
    routes = [h3c("0.0.0.0/0"), h3c("172.16.0.0/12"), h3c("172.16.0.0/12", "198.51.100.10"),
              h3c("172.16.5.0/24", "10.0.0.9", via="GE0/2"), h3c("10.0.0.0/8"), h3c("bogus")]
    # longest covering (both ECMP next hops), the more specific one; not the default, not 10/8
    assert tunnel_routes(routes, ["172.16.0.0/16"]) == {1, 2, 3}
    assert tunnel_routes(routes, ["192.0.2.0/24"]) == {0}
    assert tunnel_routes([vpc("10.0.0.0/8", "vpn-x")], []) == {0}


def test_real_status_report_from_the_lab(monkeypatch, tmp_path):
    """The embedded lab, applied and up: its real StatusReport in the view."""
    from tests.test_engine_helpers import start_lab, wait_up

    running, ctx = start_lab(monkeypatch, tmp_path)
    try:
        engine = ctx.engine()
        result = asyncio.run(engine.apply())
        assert result.ok, result.errors
        report = wait_up(engine)
    finally:
        running.close()
    assert report.verdict.up, report.verdict.as_dict()
    profile = ctx.profile

    async def drive() -> None:
        app = Host()
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(RoutesView)
            view.show(report, profile)
            await pilot.pause()
            paths = static_text(app, "#route-paths")
            assert all(line in paths for line in report.verdict.paths) and "✓" in paths
            h3c_table = view.table("h3c")
            assert h3c_table.row_count == len(report.h3c.routes)
            ours = next(r for r in report.h3c.routes if r.ours)
            assert cell_text(h3c_table, route_key(ours), "mark").startswith(TUNNEL_MARK)
            vpc_routes = [r for r in report.alibaba.routes if r.table != "vpn-gateway"]
            assert view.table("vpc").row_count == len(vpc_routes)
            to_gateway = next(r for r in vpc_routes if r.next_hop == profile.cloud.vpn_gateway_id)
            assert cell_text(view.table("vpc"), route_key(to_gateway), "mark").startswith(TUNNEL_MARK)

    asyncio.run(drive())


async def test_highlight_colours_follow_the_theme():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-dark"
        view = app.query_one(RoutesView)
        view.show(sample_report(), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await pilot.pause()
        key = route_key(vpc("192.168.0.0/24", ours=True))
        dark = view.table("vpc").get_cell(key, "destination").style
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = view.table("vpc").get_cell(key, "destination").style
        assert dark.color != light.color and light.bold


async def test_show_while_rows_are_still_queued():
    """A refresh arriving before a big first fill is in: the queue is replaced, nothing doubles."""
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        hh, ali = many_routes(3000)
        view.show(make_report(hh, ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        assert view.pending > 0
        hh2, ali2 = many_routes(3000, changed=10)
        stats = view.show(make_report(hh2[:-100], ali2), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        assert stats.updated == 10 and stats.removed == 0 and stats.rows + stats.queued == 3000 - 100
        await settle(pilot, view)
        assert row_keys(view.table("vpc")) == [route_key(r) for r in ali2]
        assert row_keys(view.table("h3c")) == [route_key(r) for r in hh2[:-100]]


async def test_all_three_tables_fit_at_80x24():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RoutesView)
        hh, ali = many_routes(300)
        view.show(make_report(hh, ali), onprem_subnets=ONPREM, cloud_subnets=CLOUD)
        await settle(pilot, view)
        for name in ("vpc", "gateway", "h3c"):
            table = view.table(name)
            assert table.region.height >= 3 and table.region.bottom <= 24, (name, table.region)
            assert app.query_one(f"#{name}-heading").region.height == 1


def test_cidr_parser_agrees_with_ipaddress():
    import ipaddress

    from vpnconsole.tui.routes import _net

    for text in ("0.0.0.0/0", "10.1.2.3/8", "192.168.10.0/24", "172.16.0.1", "255.255.255.255/32", "1.2.3.4/31"):
        net = ipaddress.IPv4Network(text, strict=False)
        assert _net(text) == (int(net.network_address), net.prefixlen)
    for bad in ("bogus", "1.2.3/24", "1.2.3.256/24", "1.2.3.4/33", "1.2.3.4/", "::1/128", "1.2.3.-4/8"):
        assert _net(bad) is None, bad
