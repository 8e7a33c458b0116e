"""The route table of ShipStation's v1 API as the emulator serves it (§6, §7, §8, §11.1)."""

from __future__ import annotations

from stationmaster.emulator import (
    account,
    carriers,
    orderactions,
    orders,
    shipments,
    stores,
    warehouses,
    webhooks,
)
from stationmaster.emulator.routing import Handler, Router


def api_router() -> Router[Handler]:
    router: Router[Handler] = Router()
    add = router.add
    # §6 orders
    add("GET", "/orders", orders.list_orders)
    add("GET", "/orders/list", orders.list_orders)
    add("GET", "/orders/listbytag", orders.list_by_tag)
    add("GET", "/orders/{orderId}", orders.get_order)
    add("DELETE", "/orders/{orderId}", orders.delete_order)
    add("POST", "/orders/createorder", orders.create_order)
    add("POST", "/orders/createorders", orders.create_orders)
    add("POST", "/orders/holduntil", orderactions.hold_until)
    add("POST", "/orders/restorefromhold", orderactions.restore_from_hold)
    add("POST", "/orders/markasshipped", orderactions.mark_shipped)
    add("POST", "/orders/addtag", orderactions.add_tag)
    add("POST", "/orders/removetag", orderactions.remove_tag)
    add("POST", "/orders/assignuser", orderactions.assign_user)
    add("POST", "/orders/unassignuser", orderactions.unassign_user)
    add("POST", "/orders/createlabelfororder", orderactions.create_label_for_order)
    # §7 shipments and fulfillments
    add("GET", "/shipments", shipments.list_shipments)
    add("POST", "/shipments/createlabel", shipments.create_label)
    add("POST", "/shipments/getrates", shipments.get_rates)
    add("POST", "/shipments/voidlabel", shipments.void)
    add("GET", "/fulfillments", shipments.list_fulfillments)
    # §8 account data
    add("GET", "/carriers", carriers.list_carriers)
    add("GET", "/carriers/getcarrier", carriers.get_carrier)
    add("GET", "/carriers/listpackages", carriers.list_packages)
    add("GET", "/carriers/listservices", carriers.list_services)
    add("POST", "/carriers/addfunds", carriers.add_funds)
    add("GET", "/stores", stores.list_stores)
    add("GET", "/stores/marketplaces", stores.list_marketplaces)
    add("GET", "/stores/getrefreshstatus", stores.refresh_status)
    add("POST", "/stores/refreshstore", stores.refresh_store)
    add("POST", "/stores/deactivate", stores.deactivate)
    add("POST", "/stores/reactivate", stores.reactivate)
    add("GET", "/stores/{storeId}", stores.get_store)
    add("PUT", "/stores/{storeId}", stores.update_store)
    add("GET", "/warehouses", warehouses.list_warehouses)
    add("POST", "/warehouses/createwarehouse", warehouses.create_warehouse)
    add("GET", "/warehouses/{warehouseId}", warehouses.get_warehouse)
    add("PUT", "/warehouses/{warehouseId}", warehouses.update_warehouse)
    add("DELETE", "/warehouses/{warehouseId}", warehouses.delete_warehouse)
    add("GET", "/products", account.list_products)
    add("GET", "/products/{productId}", account.get_product)
    add("PUT", "/products/{productId}", account.update_product)
    add("GET", "/customers", account.list_customers)
    add("GET", "/customers/{customerId}", account.get_customer)
    add("GET", "/accounts/listtags", account.list_tags)
    add("GET", "/users", account.list_users)
    # §11.1 webhooks
    add("GET", "/webhooks", webhooks.list_webhooks)
    add("POST", "/webhooks/subscribe", webhooks.subscribe)
    add("DELETE", "/webhooks/{webhookId}", webhooks.delete_webhook)
    return router
