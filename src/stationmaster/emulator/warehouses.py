"""Warehouse (ship-from location) endpoints: list, get, create, update, soft delete (§8).

Exactly one live warehouse is the default: making one default clears the flag elsewhere, and
the default cannot be deleted. Deleted warehouses answer 404 and leave the list.
"""

from __future__ import annotations

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.builders import put_warehouse, warehouse_row
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.replies import Reply, not_found, ok, success, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import WAREHOUSE
from stationmaster.emulator.wire import Wire


def _live(backend: Backend, warehouse_id: int) -> Wire:
    account = backend.account
    row = account.warehouses.get(warehouse_id)
    if row is None or warehouse_id in account.deleted_warehouses:
        raise not_found(backend.config)
    return row


def _read(backend: Backend, request: ApiRequest) -> Wire:
    values = read_body(request.body, WAREHOUSE, backend.config.filter_offset_mode)
    absent = missing(values, "warehouseName", "originAddress")
    if absent:
        raise validation_failure(backend.config, f"Required: {', '.join(absent)}.")
    return values


def list_warehouses(backend: Backend, request: ApiRequest) -> Reply:
    account = backend.account
    return ok(
        [w for i, w in sorted(account.warehouses.items()) if i not in account.deleted_warehouses]
    )


def get_warehouse(backend: Backend, request: ApiRequest) -> Reply:
    return ok(_live(backend, request.params["warehouseId"]))


def create_warehouse(backend: Backend, request: ApiRequest) -> Reply:
    values = _read(backend, request)
    warehouse_id = backend.account.new_id("warehouse")
    row = warehouse_row(values, None, warehouse_id, backend.now())
    put_warehouse(backend.account, row)
    return ok(row)


def update_warehouse(backend: Backend, request: ApiRequest) -> Reply:
    warehouse_id = request.params["warehouseId"]
    old = _live(backend, warehouse_id)
    values = _read(backend, request)
    if values["warehouseId"] is not None and values["warehouseId"] != warehouse_id:
        raise validation_failure(
            backend.config,
            f"warehouseId {values['warehouseId']} does not match the URL ({warehouse_id}).",
        )
    if old["isDefault"] and not values["isDefault"]:
        raise validation_failure(backend.config, "Make another warehouse the default first.")
    row = warehouse_row(values, old, warehouse_id, backend.now())
    put_warehouse(backend.account, row)
    return ok(row)


def delete_warehouse(backend: Backend, request: ApiRequest) -> Reply:
    warehouse_id = request.params["warehouseId"]
    row = _live(backend, warehouse_id)
    if row["isDefault"]:
        return success("The default warehouse cannot be deleted.", False)
    backend.account.deleted_warehouses.add(warehouse_id)
    return success("The warehouse was deleted successfully.")
