"""Nothing on the dashboard works without a login (or the API token), and no action without
its CSRF token; refusals change nothing."""

import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.web.dashboard import DashboardOptions, login_with_password
from stationmaster.web.dashboard.auth import (
    SESSION_COOKIE,
    issue_session,
    read_session,
)
from tests.web.dashboard.support import (
    HTMX,
    NOW,
    PASSWORD,
    TOKEN,
    client_for,
    csrf_of,
    log_in,
    make_app,
    park_letter,
    session_csrf,
    shared_login,
)

pytestmark = pytest.mark.anyio

PAGES = [
    "/",
    "/overview/table",
    "/overview/chart?chart=shop",
    "/orders",
    "/order?connection=shop&key=shop:1",
    "/dead-letters",
    "/dead-letters/1",
    "/dead-letters/1/progress",
    "/validation",
    "/validation.csv?connection=shop",
    "/settings",
]
ACTIONS = ["/dead-letters/1/replay", "/dead-letters/replay", "/dead-letters/dismiss", "/logout"]


async def _letter_state(engine: AsyncEngine, letter_id: int) -> str:
    async with engine.connect() as conn:
        letter = await db.get_dead_letter(conn, letter_id)
    assert letter is not None
    return letter.state


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_stranger_to_the_login(
    client: httpx2.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2F")


async def test_an_htmx_request_without_a_session_is_told_where_to_log_in(
    client: httpx2.AsyncClient,
) -> None:
    answer = await client.get(
        "/overview/table", headers={**HTMX, "HX-Current-URL": "http://dash.test/?page=2"}
    )
    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/login?next=%2F%3Fpage%3D2"


@pytest.mark.parametrize("path", ACTIONS)
async def test_every_action_refuses_a_stranger(client: httpx2.AsyncClient, path: str) -> None:
    answer = await client.post(path, data={"id": "1", "note": "x"})
    assert answer.status_code == 401
    assert "log in first" in answer.text


async def test_a_wrong_password_is_refused_and_sets_no_session(
    client: httpx2.AsyncClient,
) -> None:
    answer = await log_in(client, "not the password")
    assert answer.status_code == 401
    assert "Wrong password." in answer.text
    assert SESSION_COOKIE not in client.cookies
    assert (await client.get("/")).status_code == 303


async def test_the_right_password_opens_a_session_cookie_that_scripts_cannot_read(
    client: httpx2.AsyncClient,
) -> None:
    answer = await log_in(client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on a test host
    page = await client.get("/")
    assert page.status_code == 200
    assert "shop" in page.text


async def test_the_cookie_is_secure_over_https(shop: AsyncEngine) -> None:
    async with client_for(make_app(shop), base_url="https://dash.test") as http:
        answer = await log_in(http)
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


async def test_the_login_form_needs_its_own_csrf_token(client: httpx2.AsyncClient) -> None:
    await client.get("/login")
    missing = await client.post("/login", data={"password": PASSWORD})
    assert missing.status_code == 403
    assert "CSRF token is missing" in missing.text
    forged = await client.post("/login", data={"password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_a_login_form_token_only_works_with_its_own_cookie(
    shop: AsyncEngine, client: httpx2.AsyncClient
) -> None:
    page = await client.get("/login")
    token = csrf_of(page.text)
    async with client_for(make_app(shop)) as other:  # has no login cookie of its own
        answer = await other.post("/login", data={"password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 403


async def test_after_login_the_browser_goes_back_where_it_was_but_never_off_site(
    client: httpx2.AsyncClient,
) -> None:
    form = await client.get("/login?next=/dead-letters")
    assert 'name="next" value="/dead-letters"' in form.text
    answer = await client.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "password": PASSWORD, "next": "//evil.test/"},
    )
    assert answer.headers["location"] == "/"
    assert (await client.get("/login?next=/orders")).headers["location"] == "/orders"


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", "1.2.3", "99999999999.nonce.signature"],
)
async def test_a_forged_session_cookie_is_no_session(
    client: httpx2.AsyncClient, cookie: str
) -> None:
    client.cookies.set(SESSION_COOKIE, cookie)
    assert (await client.get("/")).status_code == 303


def test_sessions_expire_and_end_with_a_new_password() -> None:
    login = shared_login()
    value = issue_session(login, now=1000.0)
    assert read_session(login, value, now=1001.0) is not None
    assert read_session(login, value, now=1000.0 + login.session_seconds) is None
    other = login_with_password("another password")
    assert read_session(other, value, now=1001.0) is None
    tampered = value.replace(value.split(".")[0], str(int(value.split(".")[0]) + 3600), 1)
    assert read_session(login, tampered, now=1001.0) is None


async def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", NOW)
    missing = await logged_in.post(f"/dead-letters/{letter}/replay", data={})
    assert missing.status_code == 403
    assert "CSRF token is missing" in missing.text
    wrong = await logged_in.post(
        f"/dead-letters/{letter}/replay", headers={"X-CSRF-Token": "0" * 43}
    )
    assert wrong.status_code == 403
    assert "wrong or stale" in wrong.text
    dismissed = await logged_in.post(
        "/dead-letters/dismiss", data={"id": str(letter), "note": "not needed"}
    )
    assert dismissed.status_code == 403
    assert await _letter_state(shop, letter) == "open"


async def test_the_csrf_token_works_as_header_and_as_form_field(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    first = await park_letter(shop, "shop", "shop:1", NOW)
    second = await park_letter(shop, "shop", "shop:2", NOW)
    token = await session_csrf(logged_in)
    by_header = await logged_in.post(
        f"/dead-letters/{first}/replay", headers={**HTMX, "X-CSRF-Token": token}
    )
    assert by_header.status_code == 200
    by_field = await logged_in.post(f"/dead-letters/{second}/replay", data={"csrf_token": token})
    assert by_field.status_code == 303
    assert await _letter_state(shop, first) == "replayed"
    assert await _letter_state(shop, second) == "replayed"


async def test_an_htmx_refusal_lands_in_the_alert_region(logged_in: httpx2.AsyncClient) -> None:
    answer = await logged_in.post("/dead-letters/1/replay", headers=HTMX)
    assert answer.status_code == 403
    assert answer.headers["hx-retarget"] == "#flash"
    assert "CSRF token is missing" in answer.text


async def test_the_api_token_opens_pages_and_actions_without_csrf(
    shop: AsyncEngine, client: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", NOW)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    page = await client.get("/", headers=bearer)
    assert page.status_code == 200
    assert "signed in with the API token" in page.text
    replayed = await client.post(f"/dead-letters/{letter}/replay", headers=bearer)
    assert replayed.status_code == 303
    wrong = await client.get("/", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_logging_out_ends_the_session_and_needs_the_csrf_token(
    logged_in: httpx2.AsyncClient,
) -> None:
    token = await session_csrf(logged_in)
    refused = await logged_in.post("/logout")
    assert refused.status_code == 403
    answer = await logged_in.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert (await logged_in.get("/")).status_code == 303


async def test_wrong_passwords_are_throttled(client: httpx2.AsyncClient) -> None:
    for _ in range(10):
        assert (await log_in(client, "wrong guess")).status_code == 401
    answer = await log_in(client)  # even the right one, for a while
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in client.cookies


async def test_without_a_password_nobody_logs_in_but_the_token_still_works(
    shop: AsyncEngine,
) -> None:
    async with client_for(make_app(shop, options=DashboardOptions())) as http:
        page = await http.get("/login")
        assert "no password yet" in page.text
        refused = await http.post("/login", data={"password": "anything"})
        assert refused.status_code == 503
        bearer = await http.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200


async def test_every_answer_carries_the_security_headers(
    logged_in: httpx2.AsyncClient,
) -> None:
    for answer in (await logged_in.get("/"), await logged_in.get("/nothing-here-at-all")):
        if answer.status_code == 404:
            continue  # not a dashboard route
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
    login = await logged_in.get("/login?next=/x")
    assert login.headers["x-frame-options"] == "DENY"


async def test_a_form_that_is_too_big_or_not_a_form_is_refused(
    logged_in: httpx2.AsyncClient,
) -> None:
    token = await session_csrf(logged_in)
    big = await logged_in.post(
        "/dead-letters/dismiss",
        content=b"note=" + b"x" * 70_000,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
    )
    assert big.status_code == 413
    as_json = await logged_in.post(
        "/dead-letters/dismiss", json={"id": [1]}, headers={"X-CSRF-Token": token}
    )
    assert as_json.status_code == 415
    assert "application/x-www-form-urlencoded" in as_json.text


def test_every_guess_costs_16_mib_of_scrypt_memory() -> None:
    """The cost is in the hash's parameters (scrypt uses 128 * n * r bytes), not in a clock."""
    hashed = shared_login().password
    assert 128 * hashed.n * hashed.r >= 16 * 2**20
    assert not hashed.matches("a guess")
