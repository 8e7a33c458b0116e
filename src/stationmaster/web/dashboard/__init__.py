"""The operator's dashboard: see what is stuck and why, fix it in one click.

Server-rendered pages (Jinja2) made live by htmx, reading the same tables the engine
writes (:mod:`stationmaster.db.dashboard`). Pages: ``overview`` (health of every connection,
throughput chart), ``orders`` (search, an order's whole story), ``deadletters`` (replay,
dismiss), ``validation`` (the ``validate`` report, CSV), ``settings`` (rules, read-only).
``guard`` checks the session (``auth``, ``login``) or the API token and each action's CSRF
token; ``routes`` assembles them into one router.
"""

from stationmaster.web.dashboard.auth import PasswordLogin, login_from_config, login_with_password
from stationmaster.web.dashboard.routes import dashboard_router
from stationmaster.web.dashboard.setup import ConnectionSetup, DashboardOptions

__all__ = [
    "ConnectionSetup",
    "DashboardOptions",
    "PasswordLogin",
    "dashboard_router",
    "login_from_config",
    "login_with_password",
]
