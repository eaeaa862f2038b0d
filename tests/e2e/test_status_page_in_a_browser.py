"""The status page as the business opens it, in headless chromium: an alert turns the service to an
outage without a reload, a public update appears, the restore returns it to operational, the 90-day
bars render; usable at 375 px wide, readable without JavaScript, and checked for contrast and labels.
A screenshot of each step is saved under the test's temporary folder."""

from pathlib import Path
from typing import Any

import pytest_asyncio

from tests.e2e.browser_support import browser, needs_chromium  # noqa: F401
from tests.e2e.catalogs import load_service_like
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401
from tests.e2e.status_support import BROWSER_KEY, BROWSER_SERVICE, raise_alert

pytestmark = needs_chromium
ROW = f"#service-{BROWSER_SERVICE}"
WAIT_MS = 20_000  # generous on a loaded CI machine; how fast it really is, is measured by make bench (B9)

# An accessibility check run in the page (axe-core is an npm package, and nothing here may be fetched
# from outside): WCAG 2 contrast of every piece of text against the background it is drawn on, a
# language, a title, a name for every image-like element and every link.
A11Y_CHECK = """() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat([1]).slice(0, 4); };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
                               if (c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === "hidden" || style.display === "none") continue;
    const [a, b] = [lum(parse(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} on "${el.textContent.trim().slice(0, 40)}"`);
  }
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("no <title>");
  for (const el of document.querySelectorAll("[role=img], img")) if (!(el.getAttribute("aria-label") || el.alt)) problems.push("unnamed image");
  for (const el of document.querySelectorAll("a")) if (!el.textContent.trim()) problems.push("link without text");
  return problems;
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def status_receiver(receiver: Receiver) -> Receiver:  # noqa: F811
    await load_service_like(receiver.pool, BROWSER_SERVICE, BROWSER_KEY)
    return receiver


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def test_an_outage_appears_updates_and_clears_without_a_reload(
    status_receiver: Receiver,
    cli: Cli,
    browser: Any,
    tmp_path: Path,  # noqa: F811
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        await page.goto(f"{status_receiver.url}/status")
        await page.wait_for_selector(f'{ROW}[data-status="operational"]', timeout=WAIT_MS)
        assert await page.locator(f"{ROW} .bar").count() == 90
        assert "% uptime" in await page.inner_text(ROW)
        assert [] == await page.evaluate(A11Y_CHECK)
        await shot(page, tmp_path, "1-operational")

        view = await status_receiver.view_when(await raise_alert(status_receiver, "browser", BROWSER_KEY),
                                               lambda v: v["priority"] is not None)  # fmt: skip
        number = view["number"]
        await page.wait_for_selector(f'{ROW}[data-status="major_outage"]', timeout=WAIT_MS)  # no reload
        assert "Major outage" in await page.inner_text(ROW)
        assert f"We are investigating a problem with {BROWSER_SERVICE}." in await page.inner_text(f"#{number}")
        assert [] == await page.evaluate(A11Y_CHECK)
        await shot(page, tmp_path, "2-outage")

        assert (await cli("--as", "alice", "update", number, "--public", "We are restoring card payments")).code == 0
        await page.locator(f"#{number}", has_text="We are restoring card payments").wait_for(timeout=WAIT_MS)
        await shot(page, tmp_path, "3-public-update")

        assert (await cli("--as", "alice", "ack", number)).code == 0
        assert (await cli("--as", "alice", "workaround", number, "failover to db-8")).code == 0
        await page.wait_for_selector(f'{ROW}[data-status="operational"]', timeout=WAIT_MS)
        assert "Service restored" in await page.inner_text(f"#{number}")
        await shot(page, tmp_path, "4-restored")
    finally:
        await page.close()
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["1-operational.png", "2-outage.png",
                                                              "3-public-update.png", "4-restored.png"]  # fmt: skip


async def test_the_page_fits_a_phone_and_reads_without_javascript(
    status_receiver: Receiver,
    browser: Any,
    tmp_path: Path,  # noqa: F811
) -> None:
    phone = await browser.new_page(viewport={"width": 375, "height": 740})
    try:
        await phone.goto(f"{status_receiver.url}/status")
        await phone.wait_for_selector(ROW)
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width}px wide on a 375px phone: it scrolls sideways"
        assert await phone.locator(f"{ROW} .bar").count() == 90
        assert [] == await phone.evaluate(A11Y_CHECK)
        await shot(phone, tmp_path, "phone")
    finally:
        await phone.close()
    context = await browser.new_context(java_script_enabled=False)
    try:
        plain = await context.new_page()
        await plain.goto(f"{status_receiver.url}/status")
        text = await plain.inner_text("body")
        assert BROWSER_SERVICE in text and "uptime" in text and "Service status" in text
    finally:
        await context.close()
