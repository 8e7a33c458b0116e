"""Account data endpoints: products, customers, tags and users (§8).

Products and customers are paged lists with ShipStation's filters; tags and users are plain
arrays. Tags cannot be created through v1: the account's tags are the seeded ones.
"""

from __future__ import annotations

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.builders import product_row
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.listing import (
    DateRange,
    Predicate,
    contains,
    date_filters,
    matches_all,
    page_of,
    sort_direction,
    sort_key,
    sorted_rows,
)
from stationmaster.emulator.replies import Reply, not_found, ok, success, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import PRODUCT

PRODUCT_DATES = (DateRange("createDate", "startDate", "endDate"),)
PRODUCT_SORTS = {"sku": "sku", "modifydate": "modifyDate", "createdate": "createDate"}
CUSTOMER_SORTS = {"name": "name", "modifydate": "modifyDate", "createdate": "createDate"}


def list_products(backend: Backend, request: ApiRequest) -> Reply:
    query = request.query
    predicates: list[Predicate] = date_filters(backend, request, PRODUCT_DATES)
    if (sku := query.text("sku")) is not None:
        predicates.append(lambda p: (p["sku"] or "").lower() == sku.lower())
    if (name := query.text("name")) is not None:
        predicates.append(lambda p: contains(p["name"], name))
    if (category := query.integer("productCategoryId")) is not None:
        predicates.append(lambda p: (p["productCategory"] or {}).get("categoryId") == category)
    if (kind := query.integer("productTypeId")) is not None:
        predicates.append(lambda p: (p["productType"] or {}).get("productTypeId") == kind)
    if (tag_id := query.integer("tagId")) is not None:
        predicates.append(lambda p: any(t["tagId"] == tag_id for t in p["tags"] or []))
    if not query.boolean("showInactive"):
        predicates.append(lambda p: bool(p["active"]))
    rows = [p for p in backend.account.products.values() if matches_all(p, predicates)]
    field = query.choice("sortBy", PRODUCT_SORTS)
    ordered = sorted_rows(
        rows, "productId", sort_key(field) if field else None, sort_direction(request)
    )
    return page_of(backend, request, ordered, "products", lambda p: p)


def get_product(backend: Backend, request: ApiRequest) -> Reply:
    product = backend.account.products.get(request.params["productId"])
    if product is None:
        raise not_found(backend.config)
    return ok(product)


def update_product(backend: Backend, request: ApiRequest) -> Reply:
    product_id = request.params["productId"]
    account = backend.account
    old = account.products.get(product_id)
    if old is None:
        raise not_found(backend.config)
    values = read_body(request.body, PRODUCT, backend.config.filter_offset_mode)
    if values["productId"] is not None and values["productId"] != product_id:
        raise validation_failure(
            backend.config,
            f"productId {values['productId']} does not match the URL ({product_id}).",
        )
    absent = missing(values, "sku", "name")
    if absent:
        raise validation_failure(backend.config, f"Required: {', '.join(absent)}.")
    unknown = [t["tagId"] for t in values["tags"] or [] if t and t["tagId"] not in account.tags]
    if unknown:
        raise validation_failure(backend.config, f"Unknown tag id(s): {unknown}.")
    account.products[product_id] = product_row(account, values, old, product_id, backend.now())
    return success("The requested product has been updated")


def list_customers(backend: Backend, request: ApiRequest) -> Reply:
    query = request.query
    predicates: list[Predicate] = []
    if (state := query.text("stateCode")) is not None:
        predicates.append(lambda c: (c["state"] or "").lower() == state.lower())
    if (country := query.text("countryCode")) is not None:
        predicates.append(lambda c: (c["countryCode"] or "").lower() == country.lower())
    if (market := query.integer("marketplaceId")) is not None:
        predicates.append(
            lambda c: any(u["marketplaceId"] == market for u in c["marketplaceUsernames"])
        )
    if (tag_id := query.integer("tagId")) is not None:
        predicates.append(lambda c: any(t["tagId"] == tag_id for t in c["tags"]))
    rows = [c for c in backend.account.customers.values() if matches_all(c, predicates)]
    field = query.choice("sortBy", CUSTOMER_SORTS)
    ordered = sorted_rows(
        rows, "customerId", sort_key(field) if field else None, sort_direction(request)
    )
    return page_of(backend, request, ordered, "customers", lambda c: c)


def get_customer(backend: Backend, request: ApiRequest) -> Reply:
    customer = backend.account.customers.get(request.params["customerId"])
    if customer is None:
        raise not_found(backend.config)
    return ok(customer)


def list_tags(backend: Backend, request: ApiRequest) -> Reply:
    return ok([t for _, t in sorted(backend.account.tags.items())])


def list_users(backend: Backend, request: ApiRequest) -> Reply:
    account = backend.account
    show_inactive = bool(request.query.boolean("showInactive"))
    return ok(
        [u for i, u in account.users.items() if show_inactive or i not in account.inactive_users]
    )
