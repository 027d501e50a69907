#!/usr/bin/env bash
# Installs what vpnconsole needs on a fresh Debian/Ubuntu machine: the Debian packages its tests and
# the embedded lab use (when run as root, or with sudo), a virtual environment in .venv, and the
# package itself in editable mode.  `--test` adds the test dependencies.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"

# Debian packages: a real Secret Service for the keyring tests (gnome-keyring on a private D-Bus
# session bus), the OpenSSH client (people and tests reach the simulated router with it),
# iputils-ping and fping for the connectivity probe, tmux for the console's smoke test
# (tests/tui/test_tmux_smoke.py drives the real binary with send-keys/capture-pane).
apt_packages=(python3-venv dbus-daemon gnome-keyring openssh-client iputils-ping fping tmux)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if [[ -z "$sudo" ]] || command -v sudo >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: warning: cannot install ${missing[*]} (not root, no sudo); the Secret Service tests will be skipped" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
echo "bootstrap: ready (.venv/bin/vpnconsole)" >&2
