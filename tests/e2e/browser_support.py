"""Debian's chromium driven by Playwright (from PyPI; its own browser download is not used,
`executable_path` is set). `make test` installs chromium with apt-get when it is missing and can be
installed; where it cannot, the browser tests are skipped and say why."""

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here (make test "
                                    "installs it with apt-get when it can: apt-get install chromium)")  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        await chromium.close()
