"""Deployment settings and request-level security of the storefront."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


# Set by a developer's shell or by this test run (the browser tests need the last one), never in production.
NOT_PRODUCTION = {
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """`manage.py check --deploy --fail-level WARNING` with the variables production must set."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_PRODUCTION}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "orders_site.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "shop.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
            "STATIC_ROOT": str(tmp_path / "static"),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_every_storefront_form_is_csrf_protected(shop, anna):
    browser = Client(enforce_csrf_checks=True)
    posts = [
        reverse("storefront:cart_add"),
        reverse("storefront:cart_update"),
        reverse("storefront:cart_remove"),
        reverse("storefront:cart_discount"),
        reverse("storefront:checkout"),
        reverse("storefront:checkout_place"),
        reverse("storefront:sign_up"),
        reverse("storefront:order_lookup"),
        reverse("login"),
        reverse("password_reset"),
    ]
    for url in posts:
        assert browser.post(url, {}).status_code == 403, url
    browser.force_login(anna.user)
    for url in (reverse("storefront:profile"), reverse("storefront:address_new"), reverse("logout")):
        assert browser.post(url, {}).status_code == 403, url


@pytest.mark.django_db
def test_pages_render_with_a_csrf_token_in_every_post_form(client, shop):
    for url in (
        reverse("storefront:catalogue"),
        reverse("storefront:product", args=[shop.chair.slug]),
        reverse("login"),
    ):
        page = client.get(url).content.decode()
        assert page.count('method="post"') == page.count('name="csrfmiddlewaretoken"'), url


@pytest.mark.django_db
def test_no_page_loads_anything_from_another_site(client, shop):
    page = client.get(reverse("storefront:catalogue")).content.decode()
    assert "http://" not in page and "https://" not in page
