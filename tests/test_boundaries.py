"""The house rules of DESIGN.md that can be checked mechanically."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / "vpnconsole"
HEAVY = ("textual", "netmiko", "paramiko", "alibabacloud_vpc20160428", "alibabacloud_tea_openapi", "darabonba",
         "asyncssh", "aiohttp")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_tui_imports_textual():
    offenders = [str(p.relative_to(PROJECT)) for p in PACKAGE.rglob("*.py")
                 if "tui" not in p.relative_to(PACKAGE).parts and "textual" in _imports(p)]
    assert offenders == []


def _modules_after(argv: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    script = (
        "import json, sys\n"
        "from vpnconsole.cli import main\n"
        f"code = main({argv!r})\n"
        "sys.stdout.flush()\n"
        "print('\\n@@' + json.dumps([code, sorted(sys.modules)]))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
                               "XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)})
    marker = proc.stdout.rindex("@@")
    code, modules = json.loads(proc.stdout[marker + 2:])
    return code, set(modules)


@pytest.mark.parametrize("argv", [
    ["profiles"],
    ["validate", "classic"],
    ["validate", "dual-tunnel", "--json"],
    ["render", "classic", "--end", "h3c"],
    ["render", "dual-tunnel", "--end", "alibaba"],
    ["render", "hardened", "--end", "h3c", "--teardown"],
    ["render", "classic", "--end", "alibaba", "--teardown"],
])
def test_scripting_commands_stay_light(argv, tmp_path):
    code, modules = _modules_after(argv, tmp_path)
    assert code == 0
    loaded = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert loaded == [], f"{argv} imported {loaded}"


def test_version(capsys):
    from vpnconsole import __version__
    from vpnconsole.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"vpnconsole {__version__}"


def test_no_command_opens_the_console_which_needs_a_terminal(capsys):
    """`vpnconsole` and `vpnconsole LAB` are the console; without a terminal they say what to use."""
    from vpnconsole.cli import main

    assert main([]) == 2
    assert "the console needs a terminal" in capsys.readouterr().err
    assert main(["some-lab", "--interval", "2"]) == 2
    assert "the console needs a terminal" in capsys.readouterr().err


def test_unknown_lab_is_a_usage_error(capsys):
    from vpnconsole.cli import main

    assert main(["validate", "no-such-lab"]) == 2
    assert "no profile named 'no-such-lab'" in capsys.readouterr().err


def test_profiles_lists_the_examples(capsys, monkeypatch):
    from vpnconsole.cli import main

    monkeypatch.chdir(PROJECT)
    assert main(["profiles", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {p["name"]: p["status"] for p in data["profiles"]}
    assert names["classic"] == names["hardened"] == names["dual-tunnel"] == "ok"


def test_readme_test_command_is_what_ci_runs():
    readme = (PROJECT / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1:]
    block = block[:block.index("```")]
    assert len(block) == 2, "the README opens with exactly two commands"
    assert "--test" in block[1] and "pytest" in block[1]
    assert "--test" not in block[0]
    ci = (PROJECT / ".ci" / "run").read_text()
    assert "README.md" in ci and "--test" in ci
