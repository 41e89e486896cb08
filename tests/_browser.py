"""Headless Chromium for the report tests: find it (skip when absent) and check that a report's images decode."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=10000"]


def chromium_exe() -> str:
    """The Chromium executable; CI (.ci/run) installs it. Tests never install system packages."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("no Chromium on PATH (chromium or chromium-browser): the browser check needs it; "
                    ".ci/run installs the Debian package 'chromium'")
    return exe


def chromium(report: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Chromium run headless on the report ``report`` with its own profile directory."""
    return subprocess.run([chromium_exe(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, report.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)


def images_decoded(report: Path, profile: Path) -> tuple[str, str]:
    """(images decoded, images on the page) as the report's own onload script counts them."""
    dom = chromium(report, profile, "--dump-dom").stdout
    status = re.search(r'id="img-status"[^>]*data-ok="(\d+)"[^>]*data-total="(\d+)"', dom)
    assert status is not None, "the report's onload script did not run"
    return status.group(1), status.group(2)
