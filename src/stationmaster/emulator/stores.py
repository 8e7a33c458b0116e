"""Store endpoints: list, get, update, refresh status, refresh, marketplaces, (de)activate (§8).

Lists carry ``statusMappings: null`` (ShipStation's lists have the key, without the mappings);
``GET /stores/{id}`` carries the mappings. A refresh reports "Updating orders" for
:data:`REFRESH_SECONDS` of emulator time, then "Idle" (status ids are the emulator's own).
Naming a store refreshes it if it is active; naming none refreshes every active store whose
marketplace can refresh (not the manual store). A Custom Store's refresh is queued for the
puller (:meth:`Emulator.run_refreshes`; a served emulator runs it by itself).
"""

from __future__ import annotations

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.builders import store_row
from stationmaster.emulator.checks import read_body
from stationmaster.emulator.replies import (
    Reply,
    invalid_field,
    not_found,
    ok,
    success,
    validation_failure,
)
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import REFRESH_STORE, STORE, STORE_ID
from stationmaster.emulator.state import RefreshState
from stationmaster.emulator.wire import Wire, instant, short_stamp

REFRESH_SECONDS = 30.0
UPDATING = (2, "Updating orders")
IDLE = (1, "Idle")


def _listed(store: Wire) -> Wire:
    return {**store, "statusMappings": None}


def _store(backend: Backend, store_id: int) -> Wire:
    store = backend.account.stores.get(store_id)
    if store is None:
        raise not_found(backend.config)
    return store


def list_stores(backend: Backend, request: ApiRequest) -> Reply:
    show_inactive = bool(request.query.boolean("showInactive"))
    marketplace = request.query.integer("marketplaceId")
    stores = [
        _listed(s)
        for _, s in sorted(backend.account.stores.items())
        if (show_inactive or s["active"])
        and (marketplace is None or s["marketplaceId"] == marketplace)
    ]
    return ok(stores)


def get_store(backend: Backend, request: ApiRequest) -> Reply:
    return ok(_store(backend, request.params["storeId"]))


def update_store(backend: Backend, request: ApiRequest) -> Reply:
    store_id = request.params["storeId"]
    old = _store(backend, store_id)
    values = read_body(request.body, STORE, backend.config.filter_offset_mode)
    if values["storeId"] is not None and values["storeId"] != store_id:
        raise validation_failure(
            backend.config, f"storeId {values['storeId']} does not match the URL ({store_id})."
        )
    if not values["storeName"]:
        raise validation_failure(backend.config, "Required: storeName.")
    values["marketplaceId"] = old["marketplaceId"]
    row = store_row(backend.account, values, old, store_id, backend.now())
    backend.account.stores[store_id] = row
    return ok(row)


def _refresh_status(backend: Backend, store_id: int) -> tuple[int, str]:
    state = backend.account.store_refresh.get(store_id, RefreshState())
    running = state.started_at is not None and (
        backend.clock.monotonic() - state.started_at < REFRESH_SECONDS
    )
    return UPDATING if running else IDLE


def refresh_status(backend: Backend, request: ApiRequest) -> Reply:
    store_id = request.query.integer("storeId")
    if store_id is None:
        raise invalid_field("storeId", "storeId is required.")
    store = _store(backend, store_id)
    status_id, status = _refresh_status(backend, store_id)
    return ok(
        {
            "storeId": store_id,
            "refreshStatusId": status_id,
            "refreshStatus": status,
            "lastRefreshAttempt": store["lastRefreshAttempt"],
            "refreshDate": store["refreshDate"],
        }
    )


def _can_refresh(backend: Backend, store: Wire) -> bool:
    market = backend.account.marketplaces.get(store["marketplaceId"]) or {}
    return bool(market.get("canRefresh")) and bool(store["active"])


def refresh_store(backend: Backend, request: ApiRequest) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    values = read_body(body, REFRESH_STORE, backend.config.filter_offset_mode)
    store_id = request.query.integer("storeId") or values["storeId"]
    moment = request.query.instant("refreshDate", backend.config.filter_offset_mode)
    if moment is None and values["refreshDate"] is not None:
        moment = instant(values["refreshDate"])
    refresh_date = short_stamp(moment) if moment is not None else None
    account = backend.account
    if store_id is not None:
        store = _store(backend, store_id)
        if not store["active"]:
            return success(f"Store {store_id} is inactive and cannot be refreshed.", False)
        targets = [store]
    else:
        targets = [s for s in account.stores.values() if _can_refresh(backend, s)]
    now = backend.now()
    for store in targets:
        row = {**store, "lastRefreshAttempt": short_stamp(now)}
        if refresh_date is not None:
            row["refreshDate"] = refresh_date
        account.stores[store["storeId"]] = row
        account.store_refresh[store["storeId"]] = RefreshState(started_at=backend.clock.monotonic())
        if store["storeId"] in account.custom_stores:
            account.refresh_requests.append(store["storeId"])
    return success("A refresh has been requested for the store(s).")


def list_marketplaces(backend: Backend, request: ApiRequest) -> Reply:
    return ok([m for _, m in sorted(backend.account.marketplaces.items())])


def _set_active(backend: Backend, request: ApiRequest, active: bool) -> Reply:
    values = read_body(request.body, STORE_ID, backend.config.filter_offset_mode)
    if values["storeId"] is None:
        raise validation_failure(backend.config, "Required: storeId.")
    store = _store(backend, values["storeId"])
    backend.account.stores[store["storeId"]] = {
        **store,
        "active": active,
        "modifyDate": short_stamp(backend.now()),
    }
    return success(f"The store has been {'reactivated' if active else 'deactivated'}.")


def deactivate(backend: Backend, request: ApiRequest) -> Reply:
    return _set_active(backend, request, False)


def reactivate(backend: Backend, request: ApiRequest) -> Reply:
    return _set_active(backend, request, True)
