"""The forked order app's configuration (Oscar's, under the shop's module)."""

import oscar.apps.order.apps as oscar_order


class OrderConfig(oscar_order.OrderConfig):
    name = "tests.stores.oscar.shop.order"
