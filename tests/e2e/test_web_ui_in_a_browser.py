"""What an auditor sees in the Temporal Web UI, in a real browser: Debian's chromium, headless,
driven by Playwright (from PyPI; its own browser download is not used, `executable_path` is set).

No configuration in the browser: the default list and the workflow page as they render. The UI
draws summaries and current details (markdown) in frames of their own, so the page's frames are
read too. `make test` installs chromium with apt-get when it is missing and can be installed;
where it cannot, these tests are skipped and say why.
"""

from typing import Any

from temporalio.client import Client

from tests.e2e.browser_support import browser, needs_chromium  # noqa: F401
from tests.e2e.cli import Cli

pytestmark = needs_chromium


async def page_text(page: Any) -> str:
    """The page and its frames (rendered markdown), as one text."""
    texts = []
    for frame in page.frames:
        try:
            texts.append(await frame.inner_text("body"))
        except Exception:  # a frame that went away while the UI re-rendered
            continue
    return "\n".join(texts)


async def test_the_workflow_list_names_each_incident_by_its_number(cli: Cli, web_ui: str, browser: Any):
    opened = await cli.ok_json("open", "--service", "checkout", "--summary", "card form does not load",
                               "--impact", "2", "--urgency", "1")  # fmt: skip
    number = opened["number"]
    page = await browser.new_page()
    try:
        await page.goto(f"{web_ui}/namespaces/default/workflows")
        row = page.locator("tr", has_text=number)
        await row.first.wait_for(timeout=20_000)
        text = " ".join((await row.first.inner_text()).split())
    finally:
        await page.close()
    assert number in text and "IncidentWorkflow" in text and "running" in text.lower(), text


async def test_the_incident_page_shows_its_title_current_details_and_readable_history(
    cli: Cli, web_ui: str, dev_client: Client, browser: Any
):
    opened = await cli.ok_json("open", "--service", "payroll", "--summary", "payslips show the wrong month",
                               "--impact", "1", "--urgency", "2")  # fmt: skip
    number = opened["number"]
    await cli.ok_json("ack", number, "--as", "auditor-check")
    run_id = (await dev_client.get_workflow_handle(number).describe()).run_id
    page = await browser.new_page()
    try:
        await page.goto(f"{web_ui}/namespaces/default/workflows/{number}/{run_id}/history")
        await page.get_by_text(f"{number}: record ack -> in_progress").first.wait_for(timeout=20_000)
        story = await page_text(page)  # the event history, with each activity's and timer's summary
        await page.get_by_text("User Metadata", exact=True).first.click()
        details = page.frame_locator("#user-metadata-current-details").get_by_text("state in_progress")
        await details.first.wait_for(timeout=20_000)
        text = await page_text(page)
    finally:
        await page.close()
    assert f"{number} payroll: payslips show the wrong month" in text  # the title: the number first
    assert f"{number} P2 payroll" in text and "owner hr-systems / auditor-check" in text  # current details
    assert "last: ack by auditor-check" in text
    assert f"{number}: record ack -> in_progress" in story and f"register {number} incident" in story
