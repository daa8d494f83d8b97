"""`ordermesh channels add|list`, run as a real subprocess against a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_cli import ORDERMESH, ordermesh, query

SECRET = "shpss_cli_secret_0123456789"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ordermesh.db'}"


def add(url: str, *args: str, cwd: Path, secret: str = SECRET) -> subprocess.CompletedProcess[str]:
    """`ordermesh channels add` with the secret in the environment, as a script would pass it."""
    env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "ORDERMESH_WEBHOOK_SECRET": secret, "COLUMNS": "200"}
    return subprocess.run(
        [str(ORDERMESH), "channels", "add", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_channels_add_configures_a_channel_and_prints_its_webhook_path(sqlite_url: str, tmp_path: Path) -> None:
    added = add(sqlite_url, "shopify:acme.myshopify.com", "--pickup-location", "Queen Street West=TOR-QSW",
                "--service-level", "Standard=standard", cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "/v1/channels/shopify/acme.myshopify.com/webhooks"
    assert query(sqlite_url, "SELECT channel, kind, webhook_secret FROM channels") == [
        ("shopify:acme.myshopify.com", "shopify", SECRET)
    ]
    assert query(sqlite_url, "SELECT action, entity_id FROM audit_log") == [
        ("channel.create", "shopify:acme.myshopify.com")
    ]


def test_channels_list_shows_each_channel_and_never_its_secret(sqlite_url: str, tmp_path: Path) -> None:
    add(sqlite_url, "shopify:acme.myshopify.com", cwd=tmp_path)
    add(sqlite_url, "woocommerce:shop.example.com", "--pickup-location", "Pike Place store=SEA-PIKE", cwd=tmp_path)

    table = ordermesh(sqlite_url, "channels", "list", cwd=tmp_path)
    lines = ordermesh(sqlite_url, "channels", "list", "--json", cwd=tmp_path)

    assert "/v1/channels/woocommerce/shop.example.com/webhooks" in table.stdout
    assert SECRET not in table.stdout + table.stderr + lines.stdout
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [
        {"channel": "shopify:acme.myshopify.com", "kind": "shopify", "webhook_path":
         "/v1/channels/shopify/acme.myshopify.com/webhooks",
         "settings": {"pickup_locations": {}, "service_levels": {}}, "api_credentials": []},
        {"channel": "woocommerce:shop.example.com", "kind": "woocommerce", "webhook_path":
         "/v1/channels/woocommerce/shop.example.com/webhooks",
         "settings": {"pickup_locations": {"Pike Place store": "SEA-PIKE"}, "service_levels": {}},
         "api_credentials": []},
    ]


def test_channels_add_refuses_a_second_time_and_a_malformed_name_with_exit_code_1(
    sqlite_url: str, tmp_path: Path
) -> None:
    add(sqlite_url, "shopify:acme.myshopify.com", cwd=tmp_path)

    again = add(sqlite_url, "shopify:acme.myshopify.com", cwd=tmp_path)
    malformed = add(sqlite_url, "shopify:acme shop", cwd=tmp_path)
    short_secret = add(sqlite_url, "shopify:b.myshopify.com", cwd=tmp_path, secret="short")

    assert (again.returncode, malformed.returncode, short_secret.returncode) == (1, 1, 1)
    assert "already exists" in again.stderr
    assert "channel" in malformed.stderr and "webhook_secret" in short_secret.stderr


def test_channels_add_stores_api_credentials_for_status_pushes_and_never_prints_them(
    sqlite_url: str, tmp_path: Path
) -> None:
    token = "shpat_cli_0123456789abcdef"
    added = add(sqlite_url, "shopify:acme.myshopify.com", "--api-credential", f"access_token={token}",
                "--api-base-url", "https://acme.myshopify.com", cwd=tmp_path)
    wrong = add(sqlite_url, "shopify:b.myshopify.com", "--api-credential", "password=x", cwd=tmp_path)

    listed = ordermesh(sqlite_url, "channels", "list", "--json", cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    assert wrong.returncode == 1 and "takes no credential 'password'" in wrong.stderr
    (stored,) = query(sqlite_url, "SELECT api_credentials FROM channels")
    assert json.loads(stored[0]) == {"access_token": token}
    (view,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert view["api_credentials"] == ["access_token"]
    assert view["settings"]["api_base_url"] == "https://acme.myshopify.com/"
    assert token not in added.stdout + added.stderr + listed.stdout + listed.stderr
