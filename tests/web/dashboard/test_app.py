"""The dashboard inside the one app: ``/`` is its overview, the JSON status and health stay as
they were, and its static files (htmx, the stylesheet) come from the package, cached."""

import re

import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.stores.native import NativeStore
from stationmaster.web.app import create_app
from stationmaster.web.dashboard import DashboardOptions
from stationmaster.web.dashboard.static import FILES
from tests.web.dashboard.support import TOKEN, log_in, shared_login

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app_client(shop: AsyncEngine) -> httpx2.AsyncClient:
    app = create_app(
        shop,
        native_stores={"shop": NativeStore(shop, "shop", source="shop")},
        budgets={},
        api_token=TOKEN,
        dashboard=DashboardOptions(login=shared_login()),
    )
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://app.test")


async def test_the_root_is_the_dashboard_behind_its_login(app_client: httpx2.AsyncClient) -> None:
    async with app_client as http:
        assert (await http.get("/")).headers["location"] == "/login?next=%2F"
        await log_in(http)
        page = await http.get("/")
        assert page.status_code == 200
        assert "<h1>Overview</h1>" in page.text
        assert ">shop<" in page.text
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/api/v1/status")).status_code == 401  # a session is not a token
        status = await http.get("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"})
        assert status.json()["connections"][0]["name"] == "shop"


async def test_static_files_are_served_from_the_package_and_cached(
    app_client: httpx2.AsyncClient,
) -> None:
    async with app_client as http:
        login = await http.get("/login")
        scripts = re.findall(r'src="(/static/[^"]+)"', login.text)
        assert scripts == [f"/static/htmx.min.js?v={FILES['htmx.min.js'].etag}"]
        script = await http.get(scripts[0])
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.content.startswith(b"var htmx=function()")
        assert "max-age" in script.headers["cache-control"]
        again = await http.get(scripts[0], headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
        css = await http.get("/static/dashboard.css")
        assert css.headers["content-type"].startswith("text/css")
        assert (await http.get("/static/../app.py")).status_code == 404
        assert (await http.get("/static/nothing.js")).status_code == 404
