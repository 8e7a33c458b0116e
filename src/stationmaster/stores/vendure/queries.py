"""The GraphQL documents the Vendure connector sends, in one place so each is seen whole.

Every union an operation returns selects ``errorCode`` and ``message`` on ``ErrorResult``,
so a refusal is never mistaken for an empty success (see :func:`graphql.refusal`).
"""

from __future__ import annotations

from typing import Final

ORDER_FIELDS: Final = """
fragment StationmasterOrder on Order {
  id code state currencyCode createdAt updatedAt orderPlacedAt
  total totalWithTax
  customer { firstName lastName emailAddress }
  shippingAddress { ...StationmasterAddress }
  billingAddress { ...StationmasterAddress }
  lines {
    id quantity unitPrice unitPriceWithTax linePrice linePriceWithTax
    featuredAsset { preview }
    productVariant { id sku name productId options { name group { name } } }
  }
  shippingLines {
    price priceWithTax discountedPrice discountedPriceWithTax
    shippingMethod { code name }
  }
  discounts { description amount amountWithTax }
  payments { method amount state createdAt }
}
fragment StationmasterAddress on OrderAddress {
  fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber
}
"""

#: One page of the change feed, with the channel's tax convention alongside.
ORDER_PAGE: Final = (
    """
query StationmasterOrderPage($options: OrderListOptions) {
  activeChannel { pricesIncludeTax }
  orders(options: $options) { items { ...StationmasterOrder } }
}
"""
    + ORDER_FIELDS
)

#: The same page with only what the cursor needs, for when a full page cannot be read.
ORDER_PAGE_KEYS: Final = """
query StationmasterOrderKeys($options: OrderListOptions) {
  orders(options: $options) { items { id code updatedAt } }
}
"""

#: One order read alone, so a broken one costs only itself.
ORDER_BY_ID: Final = (
    """
query StationmasterOrder($id: ID!) {
  activeChannel { pricesIncludeTax }
  order(id: $id) { ...StationmasterOrder }
}
"""
    + ORDER_FIELDS
)

ORDER_STATE: Final = """
query StationmasterOrderState($id: ID!) {
  order(id: $id) { id code state nextStates }
}
"""

TRANSITION_ORDER: Final = """
mutation StationmasterTransitionOrder($id: ID!, $state: String!) {
  transitionOrderToState(id: $id, state: $state) {
    __typename
    ... on Order { id state }
    ... on OrderStateTransitionError { errorCode message transitionError fromState toState }
  }
}
"""

ORDER_FULFILLMENTS: Final = """
query StationmasterFulfillments($id: ID!) {
  order(id: $id) {
    id code state
    lines { id quantity productVariant { sku } }
    fulfillments { id state method trackingCode lines { orderLineId quantity } }
    history(options: { filter: { type: { eq: "ORDER_NOTE" } }, take: 1000 }) {
      items { data }
    }
  }
}
"""

ADD_FULFILLMENT: Final = """
mutation StationmasterAddFulfillment($input: FulfillOrderInput!) {
  addFulfillmentToOrder(input: $input) {
    __typename
    ... on Fulfillment { id state method trackingCode }
    ... on ErrorResult { errorCode message }
  }
}
"""

TRANSITION_FULFILLMENT: Final = """
mutation StationmasterTransitionFulfillment($id: ID!, $state: String!) {
  transitionFulfillmentToState(id: $id, state: $state) {
    __typename
    ... on Fulfillment { id state }
    ... on ErrorResult { errorCode message }
  }
}
"""

ADD_NOTE: Final = """
mutation StationmasterAddNote($input: AddNoteToOrderInput!) {
  addNoteToOrder(input: $input) { id }
}
"""


def variants_by_sku(keys_field: str | None) -> str:
    """The variants with one SKU, their stock levels and (if configured) their kept keys."""
    kept = f" customFields {{ {keys_field} }}" if keys_field else ""
    return f"""
query StationmasterVariants($sku: String!) {{
  productVariants(options: {{ filter: {{ sku: {{ eq: $sku }} }}, take: 10 }}) {{
    items {{ id sku stockLevels {{ stockLocationId stockOnHand }}{kept} }}
  }}
}}
"""


SET_STOCK: Final = """
mutation StationmasterSetStock($input: [UpdateProductVariantInput!]!) {
  updateProductVariants(input: $input) { id stockLevels { stockLocationId stockOnHand } }
}
"""

CANCEL_ORDER: Final = """
mutation StationmasterCancelOrder($input: CancelOrderInput!) {
  cancelOrder(input: $input) {
    __typename
    ... on Order { id state }
    ... on ErrorResult { errorCode message }
  }
}
"""
