"""A connection's settings, read-only: its rules and status mapping as the engine sees them.

For a pull connection the page also spells out the status mapping to type into
ShipStation's Custom Store setup: the export sends each order's own store status, and
ShipStation keeps an order only if one of its five lists names that status exactly.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from stationmaster import db
from stationmaster.customstore.export import ExportOptions
from stationmaster.sync.rules import Rules
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import query_text
from stationmaster.web.dashboard.guard import Viewer
from stationmaster.web.dashboard.setup import Dashboard
from stationmaster.web.dashboard.templating import render

#: ShipStation's Custom Store setup fields, in the form's order, and the status each sets.
CUSTOM_STORE_FIELDS: Final = (
    ("Awaiting Payment Statuses", "awaiting_payment"),
    ("Awaiting Shipment Statuses", "awaiting_shipment"),
    ("Shipped Statuses", "shipped"),
    ("Cancelled Statuses", "cancelled"),
    ("On-Hold Statuses", "on_hold"),
)


@dataclass(frozen=True, slots=True)
class MappingField:
    label: str
    status: str
    store_statuses: list[str]

    @property
    def text(self) -> str:
        return ", ".join(self.store_statuses)


def _spellings(status: str) -> list[str]:
    """The status as the map keeps it, and with spaces for underscores (stores write both)."""
    spaced = status.replace("_", " ")
    return [status] if spaced == status else [status, spaced]


def recommended_mapping(rules: Rules, deleted_status: str) -> list[MappingField]:
    """What to list in each of the Custom Store's five status fields for these rules.

    Every store status the rules map goes under the ShipStation status it maps to; the
    status the export gives deleted orders goes under cancelled.
    """
    listed: dict[str, list[str]] = {status: [] for _, status in CUSTOM_STORE_FIELDS}
    for store_status, target in sorted(rules.status.map.items()):
        listed[target] += _spellings(store_status)
    if deleted_status not in listed["cancelled"]:
        listed["cancelled"].append(deleted_status)
    return [MappingField(label, status, listed[status]) for label, status in CUSTOM_STORE_FIELDS]


def settings_routes(
    router: APIRouter, dashboard: Dashboard, viewer: Callable[[Request], Awaitable[Viewer]]
) -> None:
    @router.get("/settings", response_class=HTMLResponse)
    async def settings_page(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        name = query_text(request, "connection", max_length=100)
        context: dict[str, object] = {
            "viewer": who,
            "section": "settings",
            "names": sorted(dashboard.options.connections),
            "connection": None,
        }
        if name is None:
            return render(request, "settings.html", context)
        async with dashboard.engine.connect() as conn:
            row = await db.get_connection(conn, name)
        if row is None:
            raise Refusal(404, f"no connection named {name!r}")
        setup = dashboard.options.connections.get(name)
        rules = setup.rules if setup is not None else None
        context |= {
            "connection": row,
            "setup": setup,
            "rules": rules.model_dump(mode="json") if rules is not None else None,
            "status_map": sorted(rules.status.map.items()) if rules is not None else [],
            "unmapped": rules.status.unmapped if rules is not None else None,
            "recommended": (
                recommended_mapping(rules, ExportOptions().deleted_status)
                if rules is not None and row.mode == "pull"
                else None
            ),
        }
        return render(request, "settings.html", context)
