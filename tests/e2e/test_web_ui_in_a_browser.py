"""What an auditor sees in the Temporal Web UI, in a real browser: Debian's chromium, headless,
driven by Playwright (from PyPI; its own browser download is not used, `executable_path` is set).

No configuration in the browser: the default list and the workflow page as they render. The UI
draws summaries and current details (markdown) in frames of their own, so the page's frames are
read too. `make test` installs chromium with apt-get when it is missing and can be installed;
where it cannot, these tests are skipped and say why.
"""

from typing import Any
from urllib.parse import quote

from temporalio.client import Client

from runtime.settings import PROJECT_ROOT
from tests.e2e.browser_support import browser, needs_chromium  # noqa: F401
from tests.e2e.cli import Cli
from workflows.releases import CURRENT

pytestmark = needs_chromium
README = PROJECT_ROOT / "README.md"


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


async def test_an_auditors_queries_find_incidents_by_what_the_starter_set_and_by_deadline(
    cli: Cli, web_ui: str, browser: Any
):
    """The README's queries as an auditor runs them, in the list's URL: an incident is found by the
    service, number and release its starter set (release 1.4 does not upsert them again), and the
    "due to breach" query lists an incident whose restore clock runs, not one already restored."""
    running = (await cli.ok_json("open", "--service", "checkout", "--summary", "cart totals wrong",
                                 "--impact", "2", "--urgency", "2"))["number"]  # fmt: skip
    restored = (await cli.ok_json("open", "--service", "checkout", "--summary", "cart totals wrong again",
                                  "--impact", "2", "--urgency", "2"))["number"]  # fmt: skip
    await cli.ok_json("ack", restored, "--as", "auditor-check")
    await cli.ok_json("--as", "auditor-check", "workaround", restored, "rolled back")
    await cli.ok_json("--as", "auditor-check", "note", restored, "watching")  # a later change
    both = f'IncidentNumber IN ("{running}","{restored}")'
    found_by_start = await listed(
        browser, web_ui, f'{both} AND IncidentService="checkout" AND IncidentRelease="{CURRENT}"'
    )
    assert running in found_by_start and restored in found_by_start, found_by_start
    due_within_the_hour = readme_query("due to breach within the hour").replace(
        "2026-11-30T15:00:00Z", "2999-01-01T00:00:00Z"
    )
    due = await listed(browser, web_ui, f"{both} AND {due_within_the_hour}")
    assert running in due and restored not in due, due


def readme_query(question: str) -> str:
    """The query the README's table of auditors' queries gives for `question`."""
    row = next(line for line in README.read_text().splitlines() if line.startswith(f"| {question}"))
    return row.split("`")[1]


async def listed(browser: Any, web_ui: str, query: str) -> str:
    """The workflow list's rows for `query`, as the Web UI shows them once its rows have rendered."""
    page = await browser.new_page()
    try:
        await page.goto(f"{web_ui}/namespaces/default/workflows?query={quote(query)}")
        await page.locator("tr", has_text="IncidentWorkflow").first.wait_for(timeout=20_000)
        return " ".join((await page.locator("table").first.inner_text()).split())
    finally:
        await page.close()
