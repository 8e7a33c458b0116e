"""Account data endpoints: carriers, stores, warehouses, products, customers, tags and users."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

from stationmaster.shipstation.models import (
    AddFundsRequest,
    Carrier,
    CarrierPackage,
    CarrierService,
    CreateWarehouseRequest,
    Customer,
    CustomerFilter,
    CustomerList,
    Marketplace,
    Product,
    ProductFilter,
    ProductList,
    Store,
    StoreIdRequest,
    StoreRefreshStatus,
    SuccessResponse,
    Tag,
    User,
    Warehouse,
    to_wire,
)
from stationmaster.shipstation.paging import walk_filter
from stationmaster.shipstation.resources._base import Resource, bool_param
from stationmaster.wiretime import render_v1_filter


class Carriers(Resource):
    __slots__ = ()

    async def list(self) -> builtins.list[Carrier]:
        return await self._client.call_list(Carrier, "/carriers")

    async def get(self, carrier_code: str) -> Carrier:
        return await self._client.call(
            Carrier,
            "GET",
            "/carriers/getcarrier",
            params={"carrierCode": carrier_code},
            idempotent=True,
        )

    async def list_packages(self, carrier_code: str) -> builtins.list[CarrierPackage]:
        return await self._client.call_list(
            CarrierPackage, "/carriers/listpackages", params={"carrierCode": carrier_code}
        )

    async def list_services(self, carrier_code: str) -> builtins.list[CarrierService]:
        return await self._client.call_list(
            CarrierService, "/carriers/listservices", params={"carrierCode": carrier_code}
        )

    async def add_funds(self, carrier_code: str, amount: Decimal) -> Carrier:
        """Spends money: never repeated blindly."""
        body = AddFundsRequest(carrierCode=carrier_code, amount=amount)
        return await self._client.call(
            Carrier, "POST", "/carriers/addfunds", body=to_wire(body), idempotent=False
        )


class Stores(Resource):
    __slots__ = ()

    async def list(
        self, *, show_inactive: bool = False, marketplace_id: int | None = None
    ) -> builtins.list[Store]:
        params = {"showInactive": bool_param(show_inactive)}
        if marketplace_id is not None:
            params["marketplaceId"] = str(marketplace_id)
        return await self._client.call_list(Store, "/stores", params=params)

    async def get(self, store_id: int) -> Store:
        return await self._client.call(Store, "GET", f"/stores/{int(store_id)}", idempotent=True)

    async def update(self, store: Store) -> Store:
        """Full replace, like every ShipStation update: send the whole store."""
        if store.storeId is None:
            raise ValueError("updating a store needs its storeId")
        return await self._client.call(
            Store, "PUT", f"/stores/{int(store.storeId)}", body=to_wire(store), idempotent=True
        )

    async def refresh_status(self, store_id: int) -> StoreRefreshStatus:
        return await self._client.call(
            StoreRefreshStatus,
            "GET",
            "/stores/getrefreshstatus",
            params={"storeId": str(int(store_id))},
            idempotent=True,
        )

    async def refresh(
        self, store_id: int | None = None, refresh_date: datetime | None = None
    ) -> SuccessResponse:
        """Ask ShipStation to re-import a store; sent as query and body, sources disagree."""
        params: dict[str, str] = {}
        if store_id is not None:
            params["storeId"] = str(int(store_id))
        if refresh_date is not None:
            params["refreshDate"] = render_v1_filter(refresh_date)
        return await self._client.call(
            SuccessResponse,
            "POST",
            "/stores/refreshstore",
            params=params,
            body=params,
            idempotent=True,
        )

    async def marketplaces(self) -> builtins.list[Marketplace]:
        return await self._client.call_list(Marketplace, "/stores/marketplaces")

    async def deactivate(self, store_id: int) -> SuccessResponse:
        return await self._client.call(
            SuccessResponse,
            "POST",
            "/stores/deactivate",
            body=to_wire(StoreIdRequest(storeId=store_id)),
            idempotent=True,
        )

    async def reactivate(self, store_id: int) -> SuccessResponse:
        return await self._client.call(
            SuccessResponse,
            "POST",
            "/stores/reactivate",
            body=to_wire(StoreIdRequest(storeId=store_id)),
            idempotent=True,
        )


class Warehouses(Resource):
    __slots__ = ()

    async def list(self) -> builtins.list[Warehouse]:
        return await self._client.call_list(Warehouse, "/warehouses")

    async def get(self, warehouse_id: int) -> Warehouse:
        return await self._client.call(
            Warehouse, "GET", f"/warehouses/{int(warehouse_id)}", idempotent=True
        )

    async def create(self, request: CreateWarehouseRequest) -> Warehouse:
        return await self._client.call(
            Warehouse,
            "POST",
            "/warehouses/createwarehouse",
            body=to_wire(request),
            idempotent=False,
        )

    async def update(self, warehouse: Warehouse) -> Warehouse:
        if warehouse.warehouseId is None:
            raise ValueError("updating a warehouse needs its warehouseId")
        return await self._client.call(
            Warehouse,
            "PUT",
            f"/warehouses/{int(warehouse.warehouseId)}",
            body=to_wire(warehouse),
            idempotent=True,
        )

    async def delete(self, warehouse_id: int) -> SuccessResponse:
        return await self._client.call(
            SuccessResponse, "DELETE", f"/warehouses/{int(warehouse_id)}", idempotent=True
        )


def _product_id(product: Product) -> object:
    return product.productId


def _customer_id(customer: Customer) -> object:
    return customer.customerId


class Products(Resource):
    __slots__ = ()

    async def list(self, query: ProductFilter | None = None) -> ProductList:
        params = (query or ProductFilter()).to_params()
        return await self._client.call(
            ProductList, "GET", "/products", params=params, idempotent=True
        )

    def iterate(self, query: ProductFilter | None = None) -> AsyncIterator[Product]:
        return walk_filter(self.list, query or ProductFilter(), key=_product_id)

    async def get(self, product_id: int) -> Product:
        return await self._client.call(
            Product, "GET", f"/products/{int(product_id)}", idempotent=True
        )

    async def update(self, product: Product) -> SuccessResponse:
        if product.productId is None:
            raise ValueError("updating a product needs its productId")
        return await self._client.call(
            SuccessResponse,
            "PUT",
            f"/products/{int(product.productId)}",
            body=to_wire(product),
            idempotent=True,
        )


class Customers(Resource):
    __slots__ = ()

    async def list(self, query: CustomerFilter | None = None) -> CustomerList:
        params = (query or CustomerFilter()).to_params()
        return await self._client.call(
            CustomerList, "GET", "/customers", params=params, idempotent=True
        )

    def iterate(self, query: CustomerFilter | None = None) -> AsyncIterator[Customer]:
        return walk_filter(self.list, query or CustomerFilter(), key=_customer_id)

    async def get(self, customer_id: int) -> Customer:
        return await self._client.call(
            Customer, "GET", f"/customers/{int(customer_id)}", idempotent=True
        )


class Accounts(Resource):
    __slots__ = ()

    async def list_tags(self) -> builtins.list[Tag]:
        return await self._client.call_list(Tag, "/accounts/listtags")


class Users(Resource):
    __slots__ = ()

    async def list(self, *, show_inactive: bool = False) -> builtins.list[User]:
        return await self._client.call_list(
            User, "/users", params={"showInactive": bool_param(show_inactive)}
        )
