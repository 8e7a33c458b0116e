"""The writable shape of each ShipStation v1 model and request body (§6-§8, §11, §12).

Read-only fields (ids, create/modify dates, ``addressVerified``, ``mergedOrSplit`` …) are not
here: the emulator sets them itself. Field order follows ShipStation's responses.
"""

from __future__ import annotations

from stationmaster.emulator.checks import (
    BOOL,
    DATE,
    DATETIME,
    INT,
    NUM,
    STR,
    Schema,
    list_of,
    obj,
)

ADDRESS: Schema = {
    "name": STR,
    "company": STR,
    "street1": STR,
    "street2": STR,
    "street3": STR,
    "city": STR,
    "state": STR,
    "postalCode": STR,
    "country": STR,
    "phone": STR,
    "residential": BOOL,
}
WEIGHT: Schema = {"value": NUM, "units": STR}
DIMENSIONS: Schema = {"units": STR, "length": NUM, "width": NUM, "height": NUM}
INSURANCE: Schema = {"provider": STR, "insureShipment": BOOL, "insuredValue": NUM}
CUSTOMS_ITEM: Schema = {
    "customsItemId": INT,
    "description": STR,
    "quantity": INT,
    "value": NUM,
    "harmonizedTariffCode": STR,
    "countryOfOrigin": STR,
}
INTERNATIONAL: Schema = {
    "contents": STR,
    "customsItems": list_of(obj("CustomsItem", CUSTOMS_ITEM)),
    "nonDelivery": STR,
}
ADVANCED: Schema = {
    "warehouseId": INT,
    "nonMachinable": BOOL,
    "saturdayDelivery": BOOL,
    "containsAlcohol": BOOL,
    "storeId": INT,
    "customField1": STR,
    "customField2": STR,
    "customField3": STR,
    "source": STR,
    "billToParty": STR,
    "billToAccount": STR,
    "billToPostalCode": STR,
    "billToCountryCode": STR,
    "billToMyOtherAccount": INT,
}
ITEM_OPTION: Schema = {"name": STR, "value": STR}
ORDER_ITEM: Schema = {
    "orderItemId": INT,
    "lineItemKey": STR,
    "sku": STR,
    "name": STR,
    "imageUrl": STR,
    "weight": obj("Weight", WEIGHT),
    "quantity": INT,
    "unitPrice": NUM,
    "taxAmount": NUM,
    "shippingAmount": NUM,
    "warehouseLocation": STR,
    "options": list_of(obj("ItemOption", ITEM_OPTION)),
    "productId": INT,
    "fulfillmentSku": STR,
    "adjustment": BOOL,
    "upc": STR,
}
ORDER: Schema = {
    "orderId": INT,
    "orderNumber": STR,
    "orderKey": STR,
    "orderDate": DATETIME,
    "paymentDate": DATETIME,
    "shipByDate": DATETIME,
    "orderStatus": STR,
    "customerUsername": STR,
    "customerEmail": STR,
    "billTo": obj("Address", ADDRESS),
    "shipTo": obj("Address", ADDRESS),
    "items": list_of(obj("OrderItem", ORDER_ITEM)),
    "amountPaid": NUM,
    "taxAmount": NUM,
    "shippingAmount": NUM,
    "customerNotes": STR,
    "internalNotes": STR,
    "gift": BOOL,
    "giftMessage": STR,
    "paymentMethod": STR,
    "requestedShippingService": STR,
    "carrierCode": STR,
    "serviceCode": STR,
    "packageCode": STR,
    "confirmation": STR,
    "shipDate": DATE,
    "weight": obj("Weight", WEIGHT),
    "dimensions": obj("Dimensions", DIMENSIONS),
    "insuranceOptions": obj("InsuranceOptions", INSURANCE),
    "internationalOptions": obj("InternationalOptions", INTERNATIONAL),
    "advancedOptions": obj("AdvancedOptions", ADVANCED),
    "tagIds": list_of(INT),
}
#: A seeded order may also set read-only fields (history: old dates, split/merge marks, holds).
ORDER_SEED: Schema = {
    **ORDER,
    "advancedOptions": obj(
        "AdvancedOptions",
        {**ADVANCED, "mergedOrSplit": BOOL, "mergedIds": list_of(INT), "parentId": INT},
    ),
    "createDate": DATETIME,
    "modifyDate": DATETIME,
    "holdUntilDate": DATE,
    "userId": STR,
    "externallyFulfilled": BOOL,
    "externallyFulfilledBy": STR,
}
ORDER_ID: Schema = {"orderId": INT}
HOLD: Schema = {"orderId": INT, "holdUntilDate": DATE}
TAG_ON_ORDER: Schema = {"orderId": INT, "tagId": INT}
ASSIGN_USER: Schema = {"orderIds": list_of(INT), "userId": STR}
UNASSIGN_USER: Schema = {"orderIds": list_of(INT)}
MARK_SHIPPED: Schema = {
    "orderId": INT,
    "carrierCode": STR,
    "shipDate": DATE,
    "trackingNumber": STR,
    "notifyCustomer": BOOL,
    "notifySalesChannel": BOOL,
}
LABEL_OPTIONS: Schema = {
    "carrierCode": STR,
    "serviceCode": STR,
    "packageCode": STR,
    "confirmation": STR,
    "shipDate": DATE,
    "weight": obj("Weight", WEIGHT),
    "dimensions": obj("Dimensions", DIMENSIONS),
    "insuranceOptions": obj("InsuranceOptions", INSURANCE),
    "internationalOptions": obj("InternationalOptions", INTERNATIONAL),
    "advancedOptions": obj("AdvancedOptions", ADVANCED),
    "testLabel": BOOL,
}
LABEL_FOR_ORDER: Schema = {"orderId": INT, **LABEL_OPTIONS}
CREATE_LABEL: Schema = {
    **LABEL_OPTIONS,
    "shipFrom": obj("Address", ADDRESS),
    "shipTo": obj("Address", ADDRESS),
    "returnTo": obj("Address", ADDRESS),
}
RATES: Schema = {
    "carrierCode": STR,
    "serviceCode": STR,
    "packageCode": STR,
    "fromPostalCode": STR,
    "fromCity": STR,
    "fromState": STR,
    "fromWarehouseId": INT,
    "toState": STR,
    "toCountry": STR,
    "toPostalCode": STR,
    "toCity": STR,
    "weight": obj("Weight", WEIGHT),
    "dimensions": obj("Dimensions", DIMENSIONS),
    "confirmation": STR,
    "residential": BOOL,
}
VOID_LABEL: Schema = {"shipmentId": INT}
ADD_FUNDS: Schema = {"carrierCode": STR, "amount": NUM}
STORE_ID: Schema = {"storeId": INT}
REFRESH_STORE: Schema = {"storeId": INT, "refreshDate": DATETIME}
STATUS_MAPPING: Schema = {"orderStatus": STR, "statusKey": STR}
STORE: Schema = {
    "storeId": INT,
    "storeName": STR,
    "marketplaceId": INT,
    "marketplaceName": STR,
    "accountName": STR,
    "email": STR,
    "integrationUrl": STR,
    "active": BOOL,
    "companyName": STR,
    "phone": STR,
    "publicEmail": STR,
    "website": STR,
    "autoRefresh": BOOL,
    "statusMappings": list_of(obj("StatusMapping", STATUS_MAPPING)),
}
WAREHOUSE: Schema = {
    "warehouseId": INT,
    "warehouseName": STR,
    "originAddress": obj("Address", ADDRESS),
    "returnAddress": obj("Address", ADDRESS),
    "isDefault": BOOL,
}
PRODUCT_CATEGORY: Schema = {"categoryId": INT, "name": STR}
PRODUCT_TYPE: Schema = {"productTypeId": INT, "name": STR}
TAG_REF: Schema = {"tagId": INT, "name": STR}
PRODUCT: Schema = {
    "productId": INT,
    "sku": STR,
    "name": STR,
    "price": NUM,
    "defaultCost": NUM,
    "length": NUM,
    "width": NUM,
    "height": NUM,
    "weightOz": NUM,
    "internalNotes": STR,
    "fulfillmentSku": STR,
    "active": BOOL,
    "productCategory": obj("ProductCategory", PRODUCT_CATEGORY),
    "productType": obj("ProductType", PRODUCT_TYPE),
    "warehouseLocation": STR,
    "defaultCarrierCode": STR,
    "defaultServiceCode": STR,
    "defaultPackageCode": STR,
    "defaultIntlCarrierCode": STR,
    "defaultIntlServiceCode": STR,
    "defaultIntlPackageCode": STR,
    "defaultConfirmation": STR,
    "defaultIntlConfirmation": STR,
    "customsDescription": STR,
    "customsValue": NUM,
    "customsTariffNo": STR,
    "customsCountryCode": STR,
    "noCustoms": BOOL,
    "tags": list_of(obj("ProductTag", TAG_REF)),
    "upc": STR,
    "thumbnailURL": STR,
}
CUSTOMER: Schema = {
    "customerId": INT,
    "name": STR,
    "company": STR,
    "street1": STR,
    "street2": STR,
    "city": STR,
    "state": STR,
    "postalCode": STR,
    "countryCode": STR,
    "phone": STR,
    "email": STR,
    "username": STR,
    "marketplaceId": INT,
    "tags": list_of(obj("CustomerTag", TAG_REF)),
}
TAG: Schema = {"tagId": INT, "name": STR, "color": STR}
USER: Schema = {"userId": STR, "userName": STR, "name": STR, "active": BOOL}
SUBSCRIBE: Schema = {"target_url": STR, "event": STR, "store_id": INT, "friendly_name": STR}
