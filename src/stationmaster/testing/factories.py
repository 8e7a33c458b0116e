"""Realistic canonical orders for tests, the demo and the benchmark, the same for the same seed.

``make_order(n, seed=...)`` builds the ``n``-th order of a seeded stream: customers with
accented, non-Latin and emoji names, one to four lines with options, weights in mixed units
and customs data, discounts (whole-order, free-shipping and per-line), US orders with sales
tax, international orders (Canada, Europe, Japan, Australia, Ireland) without,
gift messages, notes, tags, ship-by dates. Amounts add up: the total is lines - discounts +
shipping + tax, so a mapped order's total matches the store's. Every order passes the
default sync rules (some with warnings, such as a missing billing address filled from the
shipping one); pass keyword overrides to make one that does not.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from stationmaster import domain

BASE_TIME = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
"""When order 0 of every stream is placed (order ``n`` follows about ``n`` × 2 minutes later)."""

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    price: str
    weight: tuple[str, domain.WeightUnit]
    hs_code: str
    origin: str
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    upc: str | None = None


_PRODUCTS: tuple[_Product, ...] = (
    _Product("TEAPOT-CER-1L", "Ceramic Teapot 1 L", "39.00", ("28", "oz"), "6912.00", "PT",
             (("Glaze", ("Celadon", "Tenmoku", "Shino")),), "036000291452"),
    _Product("TEA-SENCHA-100", "Loose Leaf Sencha 100 g", "9.50", ("100", "g"), "0902.10", "JP"),
    _Product("MUG-CAFE-350", "Café Mug “Grande” 350 ml", "12.50", ("12", "oz"), "6912.00",
             "PT", (("Colour", ("Crème", "Bleu nuit", "Terracotta")),)),
    _Product("MATCHA-30", "Matcha 抹茶 Ceremonial 30 g", "24.00", ("30", "g"), "0902.10", "JP"),
    _Product("WHISK-CHASEN", "Bamboo Whisk (Chasen) 茶筅", "18.75", ("0.05", "kg"), "4419.90",
             "JP"),
    _Product("TSHIRT-ORG", "Organic T-Shirt", "22.00", ("0.4", "lb"), "6109.10", "IN",
             (("Size", ("S", "M", "L", "XL")), ("Colour", ("Forest", "Sand", "Black")))),
    _Product("HOODIE-ZIP", "Zip Hoodie — Midnight", "54.90", ("1.3", "lb"), "6110.20", "PK",
             (("Size", ("S", "M", "L", "XL", "XXL")),), "012345678905"),
    _Product("TORCH-BRULEE", "Crème brûlée torch", "29.99", ("9", "oz"), "8205.60", "CN"),
    _Product("SOCKS-3PK", "Merino Socks 3-pack 🧦", "19.00", ("150", "g"), "6115.94", "IT",
             (("Size", ("36–39", "40–43", "44–47")),)),
    _Product("CANDLE-SOY", "Soy Candle “Fika” 200 g", "16.00", ("320", "g"), "3406.00", "SE",
             (("Scent", ("Kanel", "Lingon", "Ceder")),)),
    _Product("NOTEBOOK-A5", "Dot-Grid Notebook A5", "14.50", ("0.3", "kg"), "4820.10", "DE"),
)  # fmt: skip

_NAMES = (
    "José Álvarez", "Zoë Müller", "Søren Kierkegård", "Nguyễn Thị Minh", "Łukasz Wróbel",
    "Aoife Ní Bhriain", "François Dupré", "Min Kim", "Harriet Patel", "Ana Lúcia 🌸",
    "Ólafur Jónsson", "Antonín Dvořák", "Renée O'Connor", "山田 太郎", "Mārtiņš Bērziņš",
    "Chloé 💫 Martin", "Björn Åkesson", "Dimitra Papadopoulou", "Ngozi Okafor", "Marcus Lee",
)  # fmt: skip

# (street, city, state, postal code, phone)
_US = (
    ("9 Harbor Way", "Seattle", "WA", "98101", "206-555-0117"),
    ("415 Mission St", "San Francisco", "CA", "94105", "415-555-0162"),
    ("78 Bleecker St", "New York", "NY", "10012", "212-555-0190"),
    ("2200 E 6th St", "Austin", "TX", "78702", "512-555-0144"),
    ("1135 NW Everett St", "Portland", "OR", "97209", "503-555-0133"),
    ("41 Newbury St", "Boston", "MA", "02116", "617-555-0108"),
)
_ABROAD = (
    ("CA", "1 Front St W", "Toronto", "ON", "M5J 2X5", "+1 416 555 0199"),
    ("CA", "838 W Hastings St", "Vancouver", "BC", "V6C 0A6", "+1 604 555 0111"),
    ("GB", "Flat 2, 14 Gloucester Road", "Bristol", None, "BS7 8AE", "+44 117 496 0123"),
    ("DE", "Torstraße 109", "Berlin", None, "10119", "+49 30 901820"),
    ("FR", "12 rue des Écoles", "Paris", None, "75005", "+33 1 44 27 00 00"),
    ("JP", "1-9-1 Marunouchi", "Chiyoda-ku, Tokyo", "Tokyo", "100-0005", "+81 3 5555 0100"),
    ("AU", "200 George St", "Sydney", "NSW", "2000", "+61 2 5550 1234"),
    ("IE", "7 Merrion Square", "Dublin 2", None, "D02 X285", "+353 1 555 0101"),
)
_SALES_TAX = {
    "WA": Decimal("0.1025"),
    "CA": Decimal("0.0725"),
    "NY": Decimal("0.08875"),
    "TX": Decimal("0.0825"),
    "OR": Decimal(0),
    "MA": Decimal("0.0625"),
}
_STATUSES = (("paid", 55), ("processing", 15), ("ready", 10), ("unpaid", 12), ("pending", 8))
_GIFT_MESSAGES = (
    "Happy birthday! 🎂", "Joyeux anniversaire 🎉", "お誕生日おめでとう 🎁", "Für dich ❤️",
    "Congrats on the new flat — enjoy the tea! 🏡", "Feliz Navidad 🎄",
)  # fmt: skip
_CUSTOMER_NOTES = (
    "Please leave at the back door 🚪", "Bitte nicht knicken.", "Ring twice, the bell is weak.",
    "Gift — please don't include the invoice.", "Deliver after 5 pm if possible",
)  # fmt: skip


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in choices], [weight for _, weight in choices])[0]


def _ascii_slug(name: str) -> str | None:
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == " "))
    slug = ".".join(letters.lower().split())
    return slug or None


def _address(rng: random.Random, name: str, international: bool) -> dict[str, object]:
    if international:
        country, street, city, state, postal, phone = rng.choice(_ABROAD)
    else:
        street, city, state, postal, phone = rng.choice(_US)
        country = "US"
    company = "Patel & Daughters Ltd" if rng.random() < 0.08 else None
    return {
        "name": name,
        "company": company,
        "street1": street,
        "street2": rng.choice((None, None, None, "Unit 4", "Apt 12B", "2nd floor")),
        "city": city,
        "state": state,
        "postal_code": postal,
        "country": country,
        "phone": phone,
        "residential": company is None,
    }


def _lines(
    rng: random.Random, n: int, tax_rate: Decimal
) -> tuple[list[dict[str, object]], Decimal, Decimal]:
    count = rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]
    products = rng.sample(range(len(_PRODUCTS)), count)
    lines: list[dict[str, object]] = []
    subtotal = tax_total = Decimal(0)
    for index, product_index in enumerate(products, start=1):
        product = _PRODUCTS[product_index]
        quantity = rng.choices((1, 2, 3, 6), (70, 18, 8, 4))[0]
        price = Decimal(product.price)
        tax = _money(price * quantity * tax_rate)
        subtotal += price * quantity
        tax_total += tax
        lines.append(
            {
                "line_id": f"li-{n:06d}-{index}",
                "sku": product.sku,
                "name": product.name,
                "quantity": quantity,
                "unit_price": price,
                "tax": tax,
                "weight": {"value": product.weight[0], "unit": product.weight[1]},
                "options": [
                    {"name": option, "value": rng.choice(values)}
                    for option, values in product.options
                ],
                "image_url": f"https://shop.example.com/img/{product.sku.lower()}.jpg",
                "product_id": str(5001 + product_index),
                "upc": product.upc,
                "warehouse_location": f"{'ABC'[product_index % 3]}{product_index % 4 + 1}-"
                f"{product_index * 7 % 20 + 1:02d}",
                "customs": {
                    "description": product.name,
                    "hs_code": product.hs_code,
                    "country_of_origin": product.origin,
                },
            }
        )
    return lines, subtotal, tax_total


def _discounts(
    rng: random.Random, lines: list[dict[str, object]], subtotal: Decimal, shipping: Decimal
) -> list[dict[str, object]]:
    roll = rng.random()
    if roll < 0.10:
        return [{"code": "WELCOME10", "amount": _money(subtotal / 10)}]
    if roll < 0.15 and shipping > 0:
        return [{"code": "FREESHIP", "amount": shipping}]
    if roll < 0.20:
        line = rng.choice(lines)
        return [{"code": "BUNDLE5", "amount": Decimal("5.00"), "line_id": line["line_id"]}]
    return []


def make_order(
    n: int, *, seed: int = 0, placed_at: datetime | None = None, **overrides: object
) -> domain.Order:
    """The ``n``-th order of the stream ``seed``: the same arguments, the same order.

    ``placed_at`` (aware) moves the order in time (default: ``BASE_TIME`` plus about two
    minutes per ``n``); the other dates follow it. ``overrides`` replace fields by name
    (``currency="EUR"``, ``shipping=None``, ``lines=[...]``) and are validated like the rest,
    so a bad override raises pydantic's ``ValidationError`` naming the field.
    """
    rng = random.Random(f"stationmaster:{seed}:{n}")
    created = placed_at or BASE_TIME + timedelta(seconds=n * 120 + rng.randrange(90))
    international = rng.random() < 0.25
    name = rng.choice(_NAMES)
    shipping_address = _address(rng, name, international)
    state = shipping_address["state"]
    tax_rate = Decimal(0) if international else _SALES_TAX.get(str(state), Decimal(0))
    lines, subtotal, tax = _lines(rng, n, tax_rate)
    if international:
        shipping_amount = Decimal(rng.choice(("19.95", "24.00", "32.50")))
    else:
        shipping_amount = Decimal(0) if subtotal >= 75 else Decimal(rng.choice(("5.95", "8.50")))
    discounts = _discounts(rng, lines, subtotal, shipping_amount)
    reduction = sum((Decimal(str(d["amount"])) for d in discounts), Decimal(0))
    total = subtotal - reduction + shipping_amount + tax
    status = _weighted(rng, _STATUSES)
    paid = status not in ("unpaid", "pending")
    paid_at = created + timedelta(seconds=rng.randrange(20, 400)) if paid else None
    billing_roll = rng.random()
    if billing_roll < 0.85:
        billing: dict[str, object] | None = dict(shipping_address)
    elif billing_roll < 0.95:
        billing = _address(rng, name, international)
    else:
        billing = None
    slug = _ascii_slug(name) or f"customer{n}"
    gift = rng.random() < 0.12
    data: dict[str, object] = {
        "source_id": str(100_000 + n),
        "number": f"SM-{10_000 + n}",
        "status": status,
        "currency": "USD",
        "created_at": created,
        "updated_at": paid_at or created,
        "paid_at": paid_at,
        "ship_by": created + timedelta(days=rng.randint(2, 5)) if rng.random() < 0.3 else None,
        "customer_email": f"{slug}.{n}@example.com",
        "customer_username": slug if rng.random() < 0.6 else None,
        "customer_name": name,
        "billing": billing,
        "shipping": shipping_address,
        "lines": lines,
        "discounts": discounts,
        "shipping_amount": shipping_amount,
        "tax_amount": tax,
        "total": total,
        "amount_paid": total if paid else Decimal(0),
        "customer_notes": rng.choice(_CUSTOMER_NOTES) if rng.random() < 0.15 else None,
        "internal_notes": "Repeat customer, check the loyalty card"
        if rng.random() < 0.05
        else None,
        "gift": gift,
        "gift_message": rng.choice(_GIFT_MESSAGES) if gift else None,
        "payment_method": rng.choice(("Credit Card", "PayPal", "Apple Pay", "Klarna")),
        "requested_service": rng.choice(
            ("International Standard", "DHL Express Worldwide")
            if international
            else ("USPS Ground Advantage", "UPS Ground", "FedEx 2Day")
        ),
        "tags": [
            tag for tag, chance in (("vip", 0.1), ("wholesale", 0.05)) if rng.random() < chance
        ],
        "custom": {"channel": rng.choice(("web", "web", "app", "pos"))},
        "warehouse": "WEST" if state in ("WA", "CA", "OR") else "MAIN",
    }
    return domain.Order.model_validate({**data, **overrides})


def make_orders(count: int, *, seed: int = 0, start: int = 0) -> list[domain.Order]:
    """Orders ``start`` .. ``start + count - 1`` of the stream ``seed``."""
    return [make_order(n, seed=seed) for n in range(start, start + count)]


def plain_order(**overrides: object) -> domain.Order:
    """One fully spelled-out domestic order, for tests that assert exact values.

    Min Kim in Seattle buys a teapot (1 × 39.00, tax 4.00) and three packs of sencha
    (3 × 9.50, tax 2.92), shipping 8.50: total 82.92, paid in full. ``overrides`` replace
    fields by name, validated like the rest.
    """
    placed = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    address: dict[str, object] = {
        "name": "Min Kim",
        "street1": "9 Harbor Way",
        "street2": "Unit 4",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
        "phone": "206-555-0117",
        "residential": True,
    }
    data: dict[str, object] = {
        "source_id": "1001",
        "number": "SM-1001",
        "status": "paid",
        "currency": "USD",
        "created_at": placed,
        "updated_at": placed + timedelta(minutes=5),
        "paid_at": placed + timedelta(minutes=1),
        "customer_email": "min.kim@example.com",
        "customer_username": "mkim",
        "customer_name": "Min Kim",
        "billing": {**address, "street2": None},
        "shipping": address,
        "lines": [
            {
                "line_id": "li-1",
                "sku": "TEAPOT-CER-1L",
                "name": "Ceramic Teapot 1 L",
                "quantity": 1,
                "unit_price": Decimal("39.00"),
                "tax": Decimal("4.00"),
                "weight": {"value": "28", "unit": "oz"},
                "options": [{"name": "Glaze", "value": "Celadon"}],
                "warehouse_location": "C1-03",
                "customs": {
                    "description": "Ceramic teapot",
                    "hs_code": "6912.00",
                    "country_of_origin": "PT",
                },
            },
            {
                "line_id": "li-2",
                "sku": "TEA-SENCHA-100",
                "name": "Loose Leaf Sencha 100 g",
                "quantity": 3,
                "unit_price": Decimal("9.50"),
                "tax": Decimal("2.92"),
                "weight": {"value": "4", "unit": "oz"},
                "customs": {"hs_code": "0902.10", "country_of_origin": "JP"},
            },
        ],
        "shipping_amount": Decimal("8.50"),
        "tax_amount": Decimal("6.92"),
        "total": Decimal("82.92"),
        "amount_paid": Decimal("82.92"),
        "payment_method": "Credit Card",
        "requested_service": "UPS Ground",
    }
    return domain.Order.model_validate({**data, **overrides})
