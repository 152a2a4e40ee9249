"""The demo barcodes are valid EAN-13s and the same in every process (issue 11, item 3)."""

import os
import subprocess
import sys
from pathlib import Path

from lifecycle.management.commands.seed_demo import PRODUCTS, demo_barcode, ean13_check_digit


def test_the_check_digit_is_the_ean_13_one():
    assert ean13_check_digit("400638133393") == "1"  # 4006381333931, a real EAN-13
    assert ean13_check_digit("871234567890") == "6"


def test_each_demo_barcode_is_a_valid_distinct_ean_13():
    codes = [demo_barcode(sku) for sku, *_ in PRODUCTS]

    assert all(len(code) == 13 and code.isdigit() and code.startswith("87") for code in codes)
    assert all(code[-1] == ean13_check_digit(code[:12]) for code in codes)
    assert len(set(codes)) == len(codes)


def test_the_barcodes_are_the_same_in_another_process():
    # Another interpreter with another hash seed: abs(hash(sku)) would differ, the barcode must not.
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'orders_site.settings.test'); "
        "django.setup(); from lifecycle.management.commands.seed_demo import demo_barcode; "
        "print(demo_barcode('CHAIR-OAK'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout.strip()

    assert other == demo_barcode("CHAIR-OAK")
