"""The scripting face of vpnconsole.

Exit codes (DESIGN.md): 0 ok · 1 error · 2 usage or invalid profile · 3 drift found · 4 tunnel not up ·
5 probe failed · 6 aborted or rolled back · 130 interrupted.  Results go to stdout (``--json``
where offered, a stable schema); human messages and errors go to stderr.

Start-up stays light: this module imports neither Textual, netmiko/paramiko nor the Alibaba SDK;
each command imports what it needs when it runs (a test checks ``sys.modules``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Sequence

from vpnconsole import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DRIFT, EXIT_DOWN, EXIT_PROBE, EXIT_ABORTED = 0, 1, 2, 3, 4, 5, 6
EXIT_INTERRUPTED = 130

SECRET_KINDS = ("psk", "h3c-password", "alibaba-access-key-id", "alibaba-access-key-secret")


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.code = code


def _err(message: str) -> None:
    print(f"vpnconsole: {message}", file=sys.stderr)


def _emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


# --- profiles --------------------------------------------------------------------------------------

def _load(lab: str):
    from vpnconsole.profile import ProfileError, ProfileNotFound, find_profile, load_profile

    try:
        return load_profile(find_profile(lab))
    except ProfileNotFound as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except ProfileError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def cmd_profiles(args: argparse.Namespace) -> int:
    from vpnconsole.profile import ProfileError, list_profiles, load_profile, profile_dirs

    rows = []
    for entry in list_profiles():
        status, problems = "ok", 0
        try:
            load_profile(entry.path)
        except ProfileError as exc:
            status, problems = "invalid", sum(p.severity == "error" for p in exc.problems)
        rows.append({"name": entry.name, "path": str(entry.path), "status": status, "problems": problems,
                     "shadowed": entry.shadowed})
    if args.json:
        _emit_json({"search_path": [str(d) for d in profile_dirs()], "profiles": rows})
        return EXIT_OK
    if not rows:
        print("no profiles found; searched: " + ", ".join(str(d) for d in profile_dirs()), file=sys.stderr)
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        note = f"invalid ({r['problems']} problems)" if r["status"] == "invalid" else "ok"
        if r["shadowed"]:
            note += ", shadowed by an earlier one"
        print(f"{r['name']:<{width}}  {note:<22}  {r['path']}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from vpnconsole.profile import ProfileError, ProfileNotFound, find_profile, load_profile

    try:
        path = find_profile(args.lab)
        profile = load_profile(path)
    except ProfileNotFound as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except ProfileError as exc:
        if args.json:
            _emit_json({"valid": False, "path": exc.source, "problems": [p.as_dict() for p in exc.problems]})
        else:
            print(f"{exc.source}: invalid", file=sys.stderr)
            for p in exc.problems:
                print(f"  {'warning: ' if p.severity == 'warning' else ''}{p}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _emit_json({"valid": True, "path": str(path), "name": profile.name,
                    "problems": [p.as_dict() for p in profile.warnings], "profile": profile.to_dict()})
        return EXIT_OK
    for p in profile.warnings:
        print(f"  warning: {p}", file=sys.stderr)
    tunnels = "dual-tunnel" if profile.dual_tunnel else "single-tunnel"
    print(f"{profile.name}: valid ({path}; {profile.platform}, {profile.ike.version}, {tunnels})")
    return EXIT_OK


# --- render ----------------------------------------------------------------------------------------

def _psk_for_render(profile, reveal: bool):
    """The stored PSK when revealing; otherwise a stand-in that is never shown (masked output)."""
    from vpnconsole.redact import Secret

    if not reveal:
        return Secret("not-revealed-" + "x" * 8, "psk")
    store = _secret_store(interactive=sys.stdin.isatty())
    psk = store.get(profile.name, "psk")
    if psk is None:
        raise CliError(f"no PSK stored for lab {profile.name!r}; run `vpnconsole secret set {profile.name} psk` "
                       f"or `vpnconsole secret generate {profile.name}`")
    return psk


def cmd_render(args: argparse.Namespace) -> int:
    profile = _load(args.lab)
    if args.reveal:
        print("vpnconsole: warning: --reveal prints the pre-shared key in clear text", file=sys.stderr)
    psk = _psk_for_render(profile, args.reveal)
    from vpnconsole.algorithms import is_er

    if args.end == "h3c" and is_er(args.platform or profile.platform):
        # A web-managed ER has no CLI: the "plan" is the GUI fill-in checklist, as Markdown.
        import dataclasses

        from vpnconsole.h3c import er_checklist

        if args.platform:
            profile.onprem.device = dataclasses.replace(profile.onprem.device, platform=args.platform)
        try:
            checklist = (er_checklist.render_teardown_checklist(profile) if args.teardown
                         else er_checklist.render_checklist(profile, psk if args.reveal else None))
        except er_checklist.ChecklistError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        text = checklist.to_markdown(reveal=args.reveal)
    elif args.end == "h3c":
        from vpnconsole.h3c import render as h3c_render

        platform = args.platform or profile.platform
        try:
            plan = (h3c_render.render_teardown(profile, platform=platform) if args.teardown
                    else h3c_render.render_apply(profile, psk, platform=platform))
        except h3c_render.RenderError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        text = plan.script(reveal=args.reveal)
    else:
        from vpnconsole.alibaba import translate

        try:
            plan = (translate.plan_teardown(profile) if args.teardown else translate.plan_apply(profile, psk))
        except translate.TranslateError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        text = plan.text(reveal=args.reveal)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


# --- secrets ---------------------------------------------------------------------------------------

def _secret_store(interactive: bool):
    from vpnconsole import secrets

    ask: Callable[[str], str] | None = None
    if interactive:
        import getpass

        ask = getpass.getpass
    try:
        return secrets.open_store(ask_master_password=ask)
    except secrets.SecretStoreError as exc:
        raise CliError(str(exc)) from None


def cmd_secret(args: argparse.Namespace) -> int:
    from vpnconsole import secrets
    from vpnconsole.profile import NAME_RE

    lab = args.lab
    if not NAME_RE.match(lab):
        raise CliError(f"{lab!r} is not a lab name (1–32 of a-z, 0-9 and '-')", EXIT_USAGE)
    try:
        if args.secret_command == "set":
            value = secrets.read_secret_input(f"{args.kind} for {lab}: ", confirm=True)
            store = _secret_store(interactive=sys.stdin.isatty())
            store.set(lab, args.kind, value)
            print(f"stored {lab}/{args.kind} ({store.fingerprint(lab, args.kind)}) in {store.backend_description()}",
                  file=sys.stderr)
        elif args.secret_command == "generate":
            store = _secret_store(interactive=sys.stdin.isatty())
            if store.get(lab, "psk") is not None and not args.force:
                raise CliError(f"lab {lab!r} already has a PSK ({store.fingerprint(lab, 'psk')}); "
                               "use --force to replace it (both ends must then be re-applied)")
            fp = secrets.generate_and_store_psk(store, lab, length=args.length, replace=True)
            if args.json:
                _emit_json({"lab": lab, "kind": "psk", "fingerprint": fp})
            else:
                print(f"generated a {args.length}-character PSK for {lab}: {fp} (stored in "
                      f"{store.backend_description()})", file=sys.stderr)
        elif args.secret_command == "show":
            store = _secret_store(interactive=sys.stdin.isatty())
            rows = {kind: store.fingerprint(lab, kind) for kind in SECRET_KINDS}
            if args.json:
                _emit_json({"lab": lab, "backend": store.backend_description(), "fingerprints": rows})
            else:
                for kind, fp in rows.items():
                    print(f"{kind:<26} {fp or '(not set)'}")
        elif args.secret_command == "delete":
            store = _secret_store(interactive=sys.stdin.isatty())
            if store.delete(lab, args.kind):
                print(f"deleted {lab}/{args.kind}", file=sys.stderr)
            else:
                print(f"{lab}/{args.kind} was not stored; nothing to delete", file=sys.stderr)
    except secrets.SecretStoreError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return EXIT_OK


# --- both ends live --------------------------------------------------------------------------------

def _engine(args: argparse.Namespace):
    from vpnconsole.engine import Engine

    profile = _load(args.lab)
    store = _secret_store(interactive=sys.stdin.isatty())
    quiet = getattr(args, "json", False)
    return Engine(profile, store, emit=_event_printer(quiet),
                  accept_new_host_key=getattr(args, "accept_new_host_key", False))


def _event_printer(quiet: bool):
    import threading

    lock = threading.Lock()

    def emit(event) -> None:
        if quiet and event.kind not in ("error", "retry"):
            return
        status = f" [{event.status}]" if event.status else ""
        with lock:
            print(f"{event.end.label:>7} {event.elapsed:6.1f}s {event.step}: {event.message}{status}",
                  file=sys.stderr, flush=True)
    return emit


def _print_status(report, as_json: bool) -> None:
    if as_json:
        _emit_json(report.as_dict())
        return
    v = report.verdict
    print(f"{'✓' if v.up else '✗'} {v.summary}")
    for problem in v.problems[1:] if v.problems and v.problems[0] == v.summary else v.problems:
        print(f"  - {problem}")
    for line in v.paths:
        print(f"  {line}")
    for line in v.checks:  # only where not every check was possible (a web-managed ER)
        print(f"  check: {line}")
    for state in (report.h3c, report.alibaba):
        for t in state.tunnels:
            print(f"  {state.end.label:<7} tunnel {t.cloud_ip or '?'}: phase 1 {t.phase1}, phase 2 {t.phase2}"
                  f"{f' ({t.detail})' if t.detail else ''}")


def cmd_status(args: argparse.Namespace) -> int:
    import asyncio

    engine = _engine(args)
    while True:
        report = asyncio.run(engine.status())
        _print_status(report, args.json)
        if not args.watch:
            return EXIT_OK if report.verdict.up else EXIT_DOWN
        try:
            import time

            time.sleep(args.interval)
        except KeyboardInterrupt:
            return EXIT_OK if report.verdict.up else EXIT_DOWN


def cmd_diff(args: argparse.Namespace) -> int:
    import asyncio

    report = asyncio.run(_engine(args).diff())
    comparison = report.comparison
    if args.json:
        _emit_json({"schema_version": 1, "clean": comparison.clean, "diff": comparison.as_dict(),
                    "errors": {"h3c": list(report.h3c.errors), "alibaba": list(report.alibaba.errors)}})
    else:
        for title, diffs in (("profile ↔ H3C", comparison.profile_h3c),
                             ("profile ↔ Alibaba", comparison.profile_alibaba),
                             ("H3C ↔ Alibaba", comparison.h3c_alibaba)):
            print(f"{title}: {'same' if not diffs else f'{len(diffs)} difference(s)'}")
            for d in diffs:
                print(f"  {d}")
        for state in (report.h3c, report.alibaba):
            if state.facts.get("readable") is False:  # a web-managed ER: nothing to compare, say why
                print(f"{state.end.label}: cannot be read: {'; '.join(state.notes)}", file=sys.stderr)
            elif not state.reachable:
                print(f"{state.end.label}: unreachable: {'; '.join(state.errors)}", file=sys.stderr)
            elif state.params is None:
                print(f"{state.end.label}: nothing of lab {args.lab!r} is configured there", file=sys.stderr)
    if not (report.h3c.reachable and report.alibaba.reachable):
        return EXIT_ERROR
    return EXIT_OK if comparison.clean else EXIT_DRIFT


def _confirm(args: argparse.Namespace, question: str, *, typed: str | None = None) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CliError("refusing to change a live end without confirmation; pass --yes", EXIT_USAGE)
    answer = input(f"{question} ").strip()
    return answer == typed if typed else answer.lower() in ("y", "yes")


def cmd_apply(args: argparse.Namespace) -> int:
    import asyncio

    engine = _engine(args)
    ends = (args.end,) if args.end else ("h3c", "alibaba")
    from vpnconsole.algorithms import is_er

    # a web-managed ER: nothing can be sent to it, the operator enters the checklist by hand
    er = is_er(engine.profile.platform) and hasattr(engine.h3c, "confirm")
    if args.dry_run or not args.yes:
        _print_plans(engine, ends)
        if args.dry_run:
            return EXIT_OK
    question = f"Apply this to {' and '.join(ends)}? [y/N]"
    if er and "h3c" in ends:
        question = ("Nothing can be sent to the ER: have you entered the checklist above on its web GUI"
                    + (" (Alibaba will be applied for real)" if "alibaba" in ends else "") + "? [y/N]")
    if not _confirm(args, question):
        print("aborted; nothing was sent", file=sys.stderr)
        return EXIT_ABORTED
    if er and "h3c" in ends:
        engine.h3c.confirm()  # --yes or "y": the operator says the checklist is entered
    result = asyncio.run(engine.apply(ends))
    return _report_operation(result, args)


def cmd_teardown(args: argparse.Namespace) -> int:
    import asyncio

    engine = _engine(args)
    ends = ("h3c", "alibaba")
    if args.dry_run:
        _print_plans(engine, ends, teardown=True)
        return EXIT_OK
    if not _confirm(args, f"Tear down everything vpnconsole made for lab {args.lab!r}? Type the lab name:",
                    typed=args.lab):
        print("aborted; nothing was removed", file=sys.stderr)
        return EXIT_ABORTED
    result = asyncio.run(engine.teardown(ends))
    return _report_operation(result, args)


def _print_plans(engine, ends, *, teardown: bool = False) -> None:
    import asyncio

    plans = asyncio.run(engine.plans(ends, teardown=teardown))
    for end, text in plans.texts().items():
        print(f"# --- {end} {plans.operation} plan ---")
        print(text)


def _report_operation(result, args: argparse.Namespace) -> int:
    if getattr(args, "json", False):
        _emit_json({"schema_version": 1, "operation": result.operation, "ok": result.ok, "errors": result.errors,
                    "rolled_back": result.rolled_back})
    for end, message in result.errors.items():
        print(f"{end}: {message}", file=sys.stderr)
    for end in ("h3c", "alibaba"):  # e.g. what to delete by hand on a web-managed ER
        for note in getattr(getattr(result, end, None), "notes", None) or ():
            print(f"{end}: {note}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.ok:
        print(f"{result.operation}: done", file=sys.stderr)
        return EXIT_OK
    return EXIT_ABORTED if result.rolled_back else EXIT_ERROR


def cmd_renegotiate(args: argparse.Namespace) -> int:
    """Reset the router's SAs and ask Alibaba to negotiate again (what the console's renegotiate key does)."""
    import asyncio

    result = asyncio.run(_engine(args).renegotiate())
    return _report_operation(result, args)


# --- probe -----------------------------------------------------------------------------------------

def cmd_probe(args: argparse.Namespace) -> int:
    """Probe what the tunnel exists for (vpnconsole.probe); failures explained from the live status.

    stdout: the table, or the probe's JSON (schema in vpnconsole/probe.py).  stderr: each result as
    it arrives (not with --json).  Exit 0 all passed, 5 something the profile lists failed, 1 error.
    """
    import asyncio

    from vpnconsole import probe as probe_mod

    engine = _engine(args)
    printer = _event_printer(False)
    emit = None if args.json else printer

    async def run() -> "probe_mod.ProbeReport":
        async with probe_mod.LabProbe(engine, icmp=args.icmp if args.icmp != "auto" else None, emit=emit) as probe:
            async for _check in probe:
                pass
        assert probe.report is not None
        return probe.report

    try:
        report = asyncio.run(run())
    except ValueError as exc:  # an impossible --icmp choice, and the like
        raise CliError(str(exc)) from None
    except OSError as exc:  # one line, never a traceback (e.g. ICMP not permitted)
        raise CliError(f"the probe could not run: {exc.strerror or exc}") from None
    if args.json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        print(probe_mod.render_table(report))
    return probe_mod.probe_exit_code(report)


# --- the embedded lab ------------------------------------------------------------------------------

def cmd_lab(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    options = {"platform": args.platform, "legacy_ssh": args.legacy_ssh, "dual_tunnel": args.dual_tunnel,
               "tls": args.tls, "fixed_ports": not args.ephemeral_ports}
    if not args.headless:
        # The console on the lab: it paints first, then imports and starts the lab in a worker (and asks
        # for the keyring's master password in its own dialog when needed).
        from vpnconsole.tui.app import run

        return run(embedded=options, refresh_interval=args.interval)

    from vpnconsole.lab.runner import LabError, LabSettings, serve

    settings = LabSettings(**options)
    if sys.stdin.isatty() and not os.environ.get("VPNCONSOLE_KEYRING_PASSWORD"):
        store = _secret_store(interactive=True)  # may ask for the master password: before anything starts
    else:
        def store():  # opened by the lab in a thread, overlapping its start-up
            return _secret_store(interactive=False)

    def ready(info) -> None:
        print(info.describe(), flush=True)
        print("ready; stop with Ctrl-C", flush=True)

    async def main_task() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        await serve(settings, store, ready=ready)

    try:
        asyncio.run(main_task())
    except asyncio.CancelledError:
        print("lab stopped", file=sys.stderr)
        return EXIT_OK
    except LabError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"the lab could not start: {exc}") from None
    return EXIT_OK


# --- the console -----------------------------------------------------------------------------------

def cmd_tui(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the console needs a terminal; for scripts use the subcommands (see --help)", EXIT_USAGE)
    from vpnconsole.tui.app import run

    return run(args.lab, refresh_interval=args.interval, accept_new_host_key=args.accept_new_host_key)


# --- parser ----------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpnconsole",
        description="One IPsec profile per lab; an H3C router and an Alibaba Cloud VPN gateway made to agree.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage or invalid profile, 3 drift, 4 tunnel down, 5 probe failed, "
               "6 aborted/rolled back, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"vpnconsole {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("profiles", help="list labs with where each profile file lives")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("validate", help="check a profile; every problem names its key")
    p.add_argument("lab", metavar="LAB", help="lab name or path to a profile .yaml")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("render", help="what would be sent to an end (secrets masked)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--end", choices=("h3c", "alibaba"), required=True)
    p.add_argument("--teardown", action="store_true", help="the teardown plan instead of the apply plan")
    p.add_argument("--platform", choices=("comware7", "comware5", "er", "er-legacy"),
                   help="override the profile's router platform (er, er-legacy: the web GUI checklist)")
    p.add_argument("--reveal", action="store_true", help="print the PSK in clear (warns on stderr)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("secret", help="store, generate or inspect a lab's secrets (kept in the keyring)")
    ssub = p.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    s = ssub.add_parser("set", help="store a secret (reads stdin when it is not a terminal; never echoes)")
    s.add_argument("lab", metavar="LAB")
    s.add_argument("kind", choices=SECRET_KINDS)
    s = ssub.add_parser("generate", help="generate a strong PSK both ends accept and store it")
    s.add_argument("lab", metavar="LAB")
    s.add_argument("--length", type=int, default=32, choices=range(16, 101), metavar="16-100")
    s.add_argument("--force", action="store_true", help="replace an existing PSK")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("show", help="fingerprints of the stored secrets (never the values)")
    s.add_argument("lab", metavar="LAB")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("delete", help="remove a stored secret")
    s.add_argument("lab", metavar="LAB")
    s.add_argument("kind", choices=SECRET_KINDS)
    p.set_defaults(func=cmd_secret)

    p = sub.add_parser("diff", help="profile vs both live ends vs each other (exit 3 on drift)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept-new-host-key", action="store_true", help="trust the router's SSH key on first use")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("status", help="both ends' live state and one verdict (exit 4 when not up)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--json", action="store_true")
    p.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes with --watch")
    p.add_argument("--accept-new-host-key", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("apply", help="make both ends match the profile (shows the plan, then asks)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--end", choices=("h3c", "alibaba"), help="only this end")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept-new-host-key", action="store_true")
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("teardown", help="remove everything vpnconsole made for the lab, on both ends")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept-new-host-key", action="store_true")
    p.set_defaults(func=cmd_teardown)

    p = sub.add_parser("renegotiate", help="reset the SAs on the router and ask Alibaba to negotiate again")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--json", action="store_true")
    p.add_argument("--accept-new-host-key", action="store_true")
    p.set_defaults(func=cmd_renegotiate)

    p = sub.add_parser("probe", help="probe the OpenStack API, floating IPs and cloud targets through the tunnel "
                                     "(exit 5 when something fails)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--json", action="store_true", help="the report as JSON (schema_version 1)")
    p.add_argument("--icmp", choices=("auto", "raw", "dgram", "ping", "none"), default="auto",
                   help="how to send ICMP echoes (default: the best this process may use)")
    p.add_argument("--accept-new-host-key", action="store_true")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("lab", help="start the embedded lab (simulated H3C, Alibaba API, OpenStack)")
    p.add_argument("--headless", action="store_true", help="keep running for scripts and tests; no console")
    p.add_argument("--platform", choices=("comware7", "comware5", "er", "er-legacy"), default="comware7",
                   help="the simulated router: Comware version, or a web-managed ER (no SSH; its checklist is "
                        "entered by the lab's operator action)")
    p.add_argument("--legacy-ssh", action="store_true",
                   help="the router offers only SHA-1 key exchange and ssh-rsa, like old Comware releases")
    p.add_argument("--dual-tunnel", action="store_true", help="a dual-tunnel Alibaba gateway (two public IPs)")
    p.add_argument("--tls", action="store_true", help="Keystone over HTTPS with a generated CA")
    p.add_argument("--ephemeral-ports", action="store_true",
                   help="any free ports instead of 5000 (Keystone) and 22/2222 (floating IPs)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between the console's refreshes")
    p.set_defaults(func=cmd_lab)

    p = sub.add_parser("tui", help="the console (the default command; the lab picker when LAB is omitted)")
    p.add_argument("lab", metavar="LAB", nargs="?")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes of both ends")
    p.add_argument("--accept-new-host-key", action="store_true", help="trust the router's SSH key on first use")
    p.set_defaults(func=cmd_tui)
    return parser


def _configure_logging(verbosity: int, *, console: bool = False) -> None:
    import logging

    from vpnconsole.logs import configure_logging

    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    if console:
        # The console owns the terminal: log records go to a private file, never across the screen.
        from vpnconsole.paths import private_dir, state_home

        configure_logging(level, file=private_dir(state_home()) / "console.log", stream=open(os.devnull, "w"))
    else:
        configure_logging(level)


def _console_argv(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`vpnconsole` and `vpnconsole LAB` open the console: insert the `tui` command."""
    commands = set()
    for action in parser._subparsers._group_actions if parser._subparsers else ():  # noqa: SLF001
        commands.update(getattr(action, "choices", {}) or {})
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] not in commands:
        if any(a in ("-h", "--help", "--version") for a in argv):
            return argv
        position = argv.index(words[0]) if words else len(argv)
        return argv[:position] + ["tui"] + argv[position:]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_console_argv(parser, argv))
    _configure_logging(args.verbose, console=args.command == "tui" or (args.command == "lab" and not args.headless))
    try:
        return args.func(args)
    except CliError as exc:
        _err(str(exc))
        return exc.code
    except Exception as exc:
        from vpnconsole.audit import LabBusy

        if isinstance(exc, LabBusy):  # another console is applying or tearing down this lab
            _err(str(exc))
            return EXIT_ERROR
        raise
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `vpnconsole render ... | head`: the reader went away; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
