"""`make run` tells the app where it listens, so links in e-mails point at the running shop."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make_run(tmp_path, **env) -> str:
    """Run the real `run` recipe with a stand-in python that prints what it was given (migrate,
    and with it the install steps, treated as done)."""
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$* SHOP_BASE_URL=$SHOP_BASE_URL"\n')
    fake.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SHOP_BASE_URL", "PORT")}
    result = subprocess.run(
        ["make", "-s", "-o", "migrate", "run", f"BIN={tmp_path}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_make_run_points_e_mail_links_at_its_own_port(tmp_path):
    out = _make_run(tmp_path, PORT="8123")

    assert "runserver 127.0.0.1:8123 SHOP_BASE_URL=http://127.0.0.1:8123" in out
    assert "seed_demo SHOP_BASE_URL=http://127.0.0.1:8123" in out


def test_make_run_keeps_a_shop_base_url_that_is_set(tmp_path):
    out = _make_run(tmp_path, PORT="8123", SHOP_BASE_URL="https://shop.example.com")

    assert "runserver 127.0.0.1:8123 SHOP_BASE_URL=https://shop.example.com" in out
