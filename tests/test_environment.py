"""pyproject.toml and environment.yml list the same dependencies with the same ranges."""

from __future__ import annotations

import re
import tomllib

import yaml

from reindus import config


def _split(req: str) -> tuple[str, str]:
    name = re.match(r"[A-Za-z0-9_.-]+", req).group(0)
    return name.lower().replace("_", "-"), req[len(name):].replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    py = tomllib.loads((config.ROOT / "pyproject.toml").read_text())
    deps = py["project"]["dependencies"] + py["project"]["optional-dependencies"]["dev"]
    want = dict(_split(d) for d in deps)
    env = yaml.safe_load((config.ROOT / "environment.yml").read_text())
    got: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            got.update(_split(x) for x in item["pip"] if not x.startswith("-e"))
        elif not item.startswith(("python", "pip")) or item.startswith("python-"):
            got.update([_split(item)])
    assert got == want
    assert "conda-forge" in env["channels"]
    assert py["project"]["requires-python"] == ">=3.11"


def test_network_is_blocked_in_tests() -> None:
    """pytest-socket lets tests reach only the loopback interface (notebook kernels)."""
    import socket

    import pytest
    import pytest_socket
    from pytest_socket import SocketBlockedError, SocketConnectBlockedError

    # Checked first so that no packet can leave if the guard were missing.
    assert socket.socket.connect is not pytest_socket._true_connect
    with pytest.raises((SocketBlockedError, SocketConnectBlockedError)):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
