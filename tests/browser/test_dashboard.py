"""The operator's path in a real browser: log in, see the failing connection, open its dead
letter, replay it and watch ShipStation accept it; the overview updating itself; the
validation CSV downloaded; a wrong password and a missing CSRF token refused."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
from playwright.sync_api import Page, expect

from stationmaster.sync.validation import CSV_COLUMNS
from stationmaster.testing.factories import make_order
from tests.browser.live import API_TOKEN, PASSWORD, REFUSAL, Stack


def log_in(page: Page, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Password").fill(password)
    # Wait for the page the form leads to: a key pressed before it has loaded lands on the
    # login page and is lost with it.
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def test_a_wrong_password_is_refused(page: Page, screenshots: Path) -> None:
    log_in(page, "not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("Wrong password.")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("link", name="Dead letters")).to_have_count(0)
    shot(page, screenshots, "login-refused")


def test_replaying_the_dead_letter_makes_the_connection_green(
    page: Page, screenshots: Path
) -> None:
    log_in(page)
    row = page.locator("#connections tbody tr").first
    expect(row).to_contain_text("failing")
    expect(row).to_contain_text("1 order in dead letters: replay or dismiss them")
    shot(page, screenshots, "overview-failing")

    row.get_by_role("link", name="1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dead letters")
    expect(page.get_by_text(REFUSAL)).to_be_visible()
    shot(page, screenshots, "dead-letters")

    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Dead letter #\d+"))
    expect(page.get_by_text(REFUSAL).first).to_be_visible()
    shot(page, screenshots, "dead-letter")

    page.get_by_role("button", name=re.compile(r"^Replay #")).click()
    outcome = page.locator(".outcome")
    expect(outcome).to_contain_text("Replayed:")
    expect(outcome).to_contain_text("accepted by ShipStation", timeout=20_000)
    shot(page, screenshots, "dead-letter-accepted")

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#connections tbody tr").first).to_contain_text("green")
    shot(page, screenshots, "overview-green")


def test_the_overview_updates_itself_without_a_reload(page: Page, stack: Stack) -> None:
    log_in(page)
    pushed = page.locator("#connections tbody tr").first.locator("td.num").nth(1)
    expect(pushed).to_have_text(re.compile(r"\d+ / \d+"))
    before = pushed.inner_text()
    page.evaluate("window.stillTheSamePage = true")
    order = make_order(9)
    answer = httpx2.put(
        f"{stack.base_url}/api/v1/connections/shop/orders/{order.source_id}",
        json=order.model_dump(mode="json"),
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text
    expect(pushed).not_to_have_text(before, timeout=15_000)
    assert page.evaluate("window.stillTheSamePage === true")


def test_the_validation_csv_downloads(page: Page, screenshots: Path) -> None:
    log_in(page)
    page.get_by_role("link", name="Validation").click()
    page.get_by_role("link", name="shop", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("shop: ")
    shot(page, screenshots, "validation")
    with page.expect_download() as started:
        page.get_by_role("link", name="Download CSV").click()
    download = started.value
    assert download.suggested_filename == "validation-shop.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)


def test_an_action_without_the_csrf_token_is_refused(page: Page) -> None:
    log_in(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    answer = page.request.post("/dead-letters/replay", form={"id": "1"})
    assert answer.status == 403
    assert "CSRF token is missing" in answer.text()
    forged = page.request.post(
        "/dead-letters/dismiss", form={"id": "1", "note": "x", "csrf_token": "forged"}
    )
    assert forged.status == 403


def test_every_page_by_keyboard_and_on_screen(page: Page, screenshots: Path) -> None:
    log_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.goto("/orders?q=SM-10001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("shop:100001")
    expect(page.get_by_role("heading", name="Payloads sent")).to_be_visible()
    shot(page, screenshots, "order")
    page.goto("/orders")
    page.get_by_label("Order number, order key or store id").fill("SM-10002")
    page.get_by_label("Order number, order key or store id").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("shop:100002")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="shop", exact=True).click()
    expect(page.get_by_role("heading", name="Status mapping")).to_be_visible()
    shot(page, screenshots, "settings")
    page.goto("/orders")
    shot(page, screenshots, "orders")
