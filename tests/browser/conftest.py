"""Headless Chromium for the real-browser tests: Debian's /usr/bin/chromium driven through
Playwright's Python sync API (no browser download).

Missing browser: the tests skip, unless LIUYOU_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright downloads no browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("LIUYOU_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (LIUYOU_REQUIRE_BROWSER=1: the real-browser test must run)")
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium fonts-noto-cjk`")


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _set_log_triggers(*, on: bool) -> None:
    """Drop, and optionally re-create, the append-only triggers of the two log tables, with the
    very functions of the migration that created them."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("liuyou.system.migrations.0002_catalog_and_append_only_logs")
    with connection.schema_editor() as editor:
        migration.drop_triggers(apps, editor)
        if on:
            migration.add_triggers(apps, editor)


@pytest.fixture(scope="module")
def _log_triggers_restored(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        _set_log_triggers(on=True)


@pytest.fixture
def flushable_logs(transactional_db: Any, _log_triggers_restored: None) -> Iterator[None]:
    """A transactional test ends with a flush (DELETE / TRUNCATE of every table), which the
    append-only triggers of the log tables refuse. Lift them just before the flush; they are
    put back when the module is done, so later tests see them again."""
    yield
    _set_log_triggers(on=False)


@pytest.fixture
def browser(flushable_logs: None) -> Iterator[Any]:
    """A Chromium browser for one test.

    Playwright's sync API keeps an event loop running in this thread while the browser is
    open. Django then refuses ORM calls here, and would keep a separate connection per
    async context anyway: set up data before the browser starts (request the data fixtures
    before this one) and check the database after it closed. The fixture depends on the
    database so that it closes before the database is flushed.
    """
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev dependencies missing
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()
