"""Load a demo network through the use cases: locations, items, stock, sample orders and some progress."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar

from rich.console import Console
from rich.progress import Progress

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.errors import AlreadyExists
from ordermesh.domain.fulfillment import ACTIVE
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, Order, OrderStatus, PaymentStatus
from ordermesh.services import catalog, fulfillment, inventory
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, NewLine, SetStock, ShipFulfillment
from ordermesh.services.context import AppContext
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import Clock

T = TypeVar("T")
SEED = 42
STOCK_BATCH = 250
STOCKED_BEFORE = timedelta(days=3)  # the demo network was counted this long before now
SHOPIFY = "shopify:demo-shop.myshopify.com"
UNKNOWN_SKU = "LEGACY-4417"  # a discontinued SKU an old storefront still sells: raised as an exception
W, S, V, R = LocationType.WAREHOUSE, LocationType.STORE, LocationType.DROPSHIP_VENDOR, LocationType.RETURNS_CENTER
CAPABILITIES = {
    W: {Capability.SHIP},
    S: {Capability.SHIP, Capability.PICKUP},
    V: {Capability.SHIP},
    R: {Capability.RETURNS},
}
NAMES = {W: "Distribution Center", S: "Store", V: "Drop-ship Vendor", R: "Returns Center"}

# code, type, name, street, city, region, ZIP, lat, lon
SITES: tuple[tuple[str, LocationType, str, str, str, str, str, float, float], ...] = (
    ("DC-EDISON", W, "Edison", "300 Raritan Center Pkwy", "Edison", "NJ", "08837", 40.5090, -74.3480),
    ("DC-JOLIET", W, "Joliet", "2500 Channahon Rd", "Joliet", "IL", "60436", 41.5040, -88.1330),
    ("DC-DALLAS", W, "Dallas", "4100 Mountain Creek Pkwy", "Dallas", "TX", "75236", 32.6720, -96.9530),
    ("DC-ONTARIO", W, "Ontario", "1900 S Milliken Ave", "Ontario", "CA", "91761", 34.0380, -117.5570),
    ("ST-NYC", S, "Herald Square", "1328 Broadway", "New York", "NY", "10001", 40.7506, -73.9877),
    ("ST-LA", S, "The Grove", "189 The Grove Dr", "Los Angeles", "CA", "90036", 34.0722, -118.3576),
    ("ST-CHI", S, "Michigan Avenue", "835 N Michigan Ave", "Chicago", "IL", "60611", 41.8974, -87.6240),
    ("ST-HOU", S, "Galleria", "5085 Westheimer Rd", "Houston", "TX", "77056", 29.7390, -95.4634),
    ("ST-PHX", S, "Camelback", "2502 E Camelback Rd", "Phoenix", "AZ", "85016", 33.5093, -112.0274),
    ("ST-PHL", S, "Center City", "1625 Chestnut St", "Philadelphia", "PA", "19103", 39.9515, -75.1682),
    ("ST-SEA", S, "Downtown Seattle", "400 Pine St", "Seattle", "WA", "98101", 47.6118, -122.3379),
    ("ST-ATL", S, "Buckhead", "3393 Peachtree Rd NE", "Atlanta", "GA", "30326", 33.8476, -84.3623),
    ("VND-MEMPHIS", V, "Delta Home & Tech", "3150 Tchulahoma Rd", "Memphis", "TN", "38118", 35.0430, -89.9300),
    ("RC-SPARKS", R, "Sparks", "1000 E Greg St", "Sparks", "NV", "89431", 39.5210, -119.7430),
)
WAREHOUSES = [site[0] for site in SITES if site[1] == W]
STORES = [site[0] for site in SITES if site[1] == S]
VENDOR = next(site[0] for site in SITES if site[1] == V)

# category, code, name, grams, list price, flags
PRODUCTS: tuple[tuple[str, str, str, int, str, tuple[str, ...]], ...] = (
    ("apparel", "TEE", "Organic Cotton Crew Tee", 180, "24.00", ()),
    ("apparel", "HOOD", "Pullover Hoodie", 650, "58.00", ()),
    ("apparel", "CHINO", "Slim Stretch Chino", 520, "64.00", ()),
    ("apparel", "RAIN", "Packable Rain Jacket", 340, "98.00", ()),
    ("apparel", "BEANIE", "Merino Wool Beanie", 90, "28.00", ()),
    ("apparel", "SOCK", "Trail Running Socks 3-Pack", 150, "18.00", ()),
    ("apparel", "DENIM", "Denim Trucker Jacket", 900, "88.00", ()),
    ("home", "MUG", "Stoneware Coffee Mug", 420, "14.00", ()),
    ("home", "DUVET", "Linen Duvet Cover, Queen", 1400, "149.00", ()),
    ("home", "SKILLET", "Cast Iron Skillet 10in", 2300, "42.00", ()),
    ("home", "BOARD", "Bamboo Cutting Board", 1100, "32.00", ()),
    ("home", "CANDLE", "Soy Wax Candle", 400, "22.00", ()),
    ("home", "RUG", "Wool Area Rug 5x8", 9500, "329.00", ("oversize",)),
    ("home", "CHAIR", "Folding Teak Patio Chair", 6200, "119.00", ("oversize",)),
    ("electronics", "BUDS", "Wireless Earbuds", 60, "79.00", ()),
    ("electronics", "CHGR", "USB-C GaN Charger 65W", 120, "45.00", ()),
    ("electronics", "SPKR", "Portable Bluetooth Speaker", 540, "69.00", ()),
    ("electronics", "PWR", "Power Bank 20000mAh", 430, "49.00", ("hazmat",)),
    ("electronics", "BATT", "Replacement Laptop Battery", 380, "89.00", ("hazmat",)),
    ("electronics", "PLUG", "Smart Wi-Fi Plug 2-Pack", 180, "25.00", ()),
    ("electronics", "MON", "27in 4K Monitor", 6800, "349.00", ("oversize",)),
)
BRANDS = {
    "apparel": ("Northbound", "Field & Pine"),
    "home": ("Hearthstone", "Maple & Ash"),
    "electronics": ("Voltline", "Kestrel"),
}
COLORS = {
    "apparel": ("Black", "Heather Grey", "Navy", "Olive"),
    "home": ("White", "Charcoal", "Sage"),
    "electronics": ("Black", "White", "Graphite"),
}
SIZES = ("S", "M", "L", "XL")
PRICES = {code: Decimal(price) for _, code, _, _, price, _ in PRODUCTS}

# street, city, region, ZIP, lat, lon
DESTINATIONS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("350 5th Ave", "New York", "NY", "10118", 40.7484, -73.9857),
    ("233 S Wacker Dr", "Chicago", "IL", "60606", 41.8789, -87.6359),
    ("500 Terry A Francois Blvd", "San Francisco", "CA", "94158", 37.7706, -122.3871),
    ("100 Congress Ave", "Austin", "TX", "78701", 30.2633, -97.7444),
    ("1000 Vin Scully Ave", "Los Angeles", "CA", "90012", 34.0739, -118.2400),
    ("100 Federal St", "Boston", "MA", "02110", 42.3555, -71.0565),
    ("1701 Bryant St", "Denver", "CO", "80204", 39.7439, -105.0201),
    ("600 Peachtree St NE", "Atlanta", "GA", "30308", 33.7680, -84.3860),
    ("1500 Market St", "Philadelphia", "PA", "19102", 39.9525, -75.1660),
    ("201 E Jefferson St", "Phoenix", "AZ", "85004", 33.4457, -112.0712),
    ("1111 Lincoln Rd", "Miami Beach", "FL", "33139", 25.7906, -80.1397),
    ("800 Occidental Ave S", "Seattle", "WA", "98134", 47.5952, -122.3316),
    ("501 Broadway", "Nashville", "TN", "37203", 36.1610, -86.7770),
    ("801 Mt Vernon Pl NW", "Washington", "DC", "20001", 38.9047, -77.0230),
    ("250 Marquette Ave", "Minneapolis", "MN", "55401", 44.9790, -93.2700),
    ("1120 NW Couch St", "Portland", "OR", "97209", 45.5236, -122.6830),
)
FIRST = ("Ava", "Liam", "Maya", "Noah", "Sofia", "Ethan", "Priya", "Mateo", "Chloe", "Jamal", "Hannah", "Kenji")
LAST = ("Johnson", "Garcia", "Nguyen", "Patel", "Smith", "Rodriguez", "Kim", "Okafor", "Brown", "Cohen")
CARRIERS = ("UPS", "FedEx", "USPS")


def load_demo(ctx: AppContext, *, skus: int, orders: int, console: Console) -> str:
    """Load the demo network, stock and sample orders through the use cases; return a one-line summary."""
    rng = random.Random(SEED)
    items = _items(rng, skus)
    counts = _stock_plan(rng, items)
    commands = _orders(rng, counts, orders, ctx.clock.now())
    # The network and its stock are recorded as loaded before the sample orders were placed (they go back two
    # days), so the ledger reads as it would in a live store and a sandbox replay of those days finds the stock.
    earlier = replace(ctx, clock=_Earlier(ctx.clock, STOCKED_BEFORE))
    with Progress(console=console) as progress:
        locations, created, stocked = _load_catalogue(earlier, progress, items, counts)
        results = [capture_order(ctx, command=c, actor=SYSTEM) for c in _steps(progress, "Capturing orders", commands)]
        captured = [order for order, new in results if new]  # orders replayed by a --force load are left alone
        moved = _progress_orders(ctx, rng, progress, captured)
    status = Counter(order.status for order in captured)
    return (
        f"{locations} locations, {created} SKUs, {stocked} stock levels, {len(captured)} orders "
        f"({status[OrderStatus.ON_HOLD]} on hold, {status[OrderStatus.EXCEPTION]} in exception); fulfilment orders: "
        f"{moved['accepted']} accepted, {moved['shipped']} shipped, {moved['ready']} ready for pickup"
    )


@dataclass(frozen=True)
class _Earlier:
    """A clock running a fixed time behind another."""

    clock: Clock
    by: timedelta

    def now(self) -> datetime:
        return self.clock.now() - self.by


def _steps(progress: Progress, label: str, work: Sequence[T]) -> Iterator[T]:
    """Yield each piece of work, advancing a progress bar of its own."""
    task = progress.add_task(label, total=len(work))
    for piece in work:
        yield piece
        progress.advance(task)


def _created(create: Callable[[], object]) -> int:
    """Run a create use case; count 1, or 0 when an earlier load created it already."""
    try:
        create()
    except AlreadyExists:
        return 0
    return 1


def _load_catalogue(
    ctx: AppContext, progress: Progress, items: Sequence[CreateItem], counts: Sequence[SetStock]
) -> tuple[int, int, int]:
    """Create the locations and items, then load stock in snapshot batches; return how many of each."""
    sites = [_location(*site) for site in SITES]
    locations = sum(
        _created(partial(catalog.create_location, ctx, command=c, actor=SYSTEM))
        for c in _steps(progress, "Creating locations", sites)
    )
    created = sum(
        _created(partial(catalog.create_item, ctx, command=c, actor=SYSTEM))
        for c in _steps(progress, "Creating items", items)
    )
    batches = [counts[i : i + STOCK_BATCH] for i in range(0, len(counts), STOCK_BATCH)]
    applied = sum(
        inventory.snapshot(ctx, counts=b, actor=SYSTEM)[0] for b in _steps(progress, "Loading stock", batches)
    )
    return locations, created, applied


def _location(
    code: str, kind: LocationType, name: str, street: str, city: str, region: str, zip5: str, lat: float, lon: float
) -> CreateLocation:
    """Turn a row of SITES into a create-location command."""
    title = f"{name} {NAMES[kind]}"
    address = Address(street, None, city, region, zip5, "US", lat, lon, title)
    return CreateLocation(code, title, kind, address, frozenset(CAPABILITIES[kind]))


def _items(rng: random.Random, count: int) -> list[CreateItem]:
    """Build `count` believable SKUs, cycling through the product lines."""
    items = []
    for number in range(1, count + 1):
        category, code, name, grams, price, flags = PRODUCTS[(number - 1) % len(PRODUCTS)]
        brand = rng.choice(BRANDS[category])
        color = rng.choice(COLORS[category])
        attributes: dict[str, object] = {"category": category, "brand": brand, "color": color, "list_price": price}
        attributes |= {flag: True for flag in flags}
        title = f"{brand} {name}, {color}"
        if category == "apparel":
            attributes["size"] = rng.choice(SIZES)
            title += f", {attributes['size']}"
        items.append(CreateItem(f"{code}-{number:05d}", title, round(grams * rng.uniform(0.9, 1.1)), attributes))
    return items


def _stock_plan(rng: random.Random, items: Sequence[CreateItem]) -> list[SetStock]:
    """Stock warehouses deep and stores shallow, with some safety stock; some SKUs only at the vendor."""
    counts: list[SetStock] = []
    for item in items:
        if rng.random() < 0.08:
            counts.append(SetStock(VENDOR, item.sku, rng.randint(50, 500), reason="demo load"))
            continue
        homes = [code for code in WAREHOUSES if rng.random() < 0.75] or [rng.choice(WAREHOUSES)]
        counts += [SetStock(code, item.sku, rng.randint(40, 400), reason="demo load") for code in homes]
        if rng.random() < 0.15:
            counts.append(SetStock(VENDOR, item.sku, rng.randint(20, 200), reason="demo load"))
        if "oversize" in item.attributes:
            continue
        for code in [code for code in STORES if rng.random() < 0.4]:
            safety = rng.choice((0, 0, 1, 2))
            counts.append(SetStock(code, item.sku, rng.randint(0, 12), safety_stock=safety, reason="demo load"))
    return counts


def _orders(rng: random.Random, counts: Sequence[SetStock], count: int, now: datetime) -> list[CaptureOrder]:
    """Sample orders: mostly shipped, every fifth picked up; one held for payment, one with an unknown SKU."""
    at_store = {(c.location, c.sku): c.on_hand - (c.safety_stock or 0) for c in counts if c.location in STORES}
    stocked = sorted({c.sku for c in counts})
    commands: list[CaptureOrder] = []
    for index in range(count if stocked else 0):
        placed = now - timedelta(minutes=rng.randint(5, 48 * 60))  # within STOCKED_BEFORE
        pickup = _pickup_lines(rng, at_store) if index % 5 == 3 else None
        if pickup is not None:
            commands.append(_order(rng, index, "web", pickup[1], placed, pickup[0]))
            continue
        picked = rng.sample(stocked, min(len(stocked), rng.randint(1, 4)))
        lines = [(sku, rng.choice((1, 1, 1, 2, 2, 3))) for sku in picked] + ([(UNKNOWN_SKU, 1)] if index == 2 else [])
        channel = rng.choice(("web", "web", SHOPIFY, SHOPIFY, "pos"))
        command = _order(rng, index, channel, lines, placed, None)
        commands.append(replace(command, payment_status=PaymentStatus.PENDING) if index == 1 else command)
    return commands


def _pickup_lines(rng: random.Random, at_store: dict[tuple[str, str], int]) -> tuple[str, list[tuple[str, int]]] | None:
    """Pick a store and 1-2 SKUs it can hand over today, taking them out of its remaining stock."""
    store = rng.choice(STORES)
    ready = sorted(sku for (code, sku), left in at_store.items() if code == store and left >= 2)
    if not ready:
        return None
    lines = [(sku, 1) for sku in rng.sample(ready, min(len(ready), rng.randint(1, 2)))]
    for sku, quantity in lines:
        at_store[(store, sku)] -= quantity
    return store, lines


def _order(
    rng: random.Random, index: int, channel: str, lines: Sequence[tuple[str, int]], placed: datetime, store: str | None
) -> CaptureOrder:
    """Build one paid capture command, shipped to a real US address or picked up at a store."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    phone = f"+1 555 01{rng.randint(0, 99):02d}"
    customer = Customer(f"{first}.{last}{index}@example.com".lower(), f"{first} {last}", phone)
    external_id = {"web": f"W{100_200 + index}", "pos": f"POS-{rng.choice(STORES)}-{index:04d}"}.get(
        channel, str(5_812_300_000 + index * 37)
    )
    new_lines = tuple(
        NewLine(f"{external_id}-{n}", sku, quantity, PRICES.get(sku.split("-")[0], Decimal("19.99")))
        for n, (sku, quantity) in enumerate(lines, start=1)
    )
    subtotal = sum((line.unit_price * line.quantity for line in new_lines), Decimal("0"))
    ship_to = None if store else _ship_to(rng, customer.name)
    level = rng.choice(("standard", "standard", "express"))
    delivery = Delivery(DeliveryMethod.PICKUP, store) if store else Delivery(DeliveryMethod.SHIP, None, level)
    shipping = Decimal("0") if store or subtotal >= 75 else Decimal("6.95")
    tax = (subtotal * Decimal("0.0725")).quantize(Decimal("0.01"))
    return CaptureOrder(
        channel, external_id, "USD", customer, ship_to, delivery, new_lines, shipping, tax, placed_at=placed
    )


def _ship_to(rng: random.Random, name: str | None) -> Address:
    """Pick a real US address; leave out the coordinates of some, so their ZIP centroid is used."""
    street, city, region, zip5, lat, lon = rng.choice(DESTINATIONS)
    if rng.random() < 0.4:
        return Address(street, None, city, region, zip5, "US", name=name)
    return Address(street, None, city, region, zip5, "US", lat, lon, name)


def _progress_orders(
    ctx: AppContext, rng: random.Random, progress: Progress, captured: Sequence[Order]
) -> Counter[str]:
    """Have locations accept and ship some work, and a store get one pickup ready."""
    moved: Counter[str] = Counter()
    allocated = [o for o in captured if o.status == OrderStatus.ALLOCATED]
    shipping = [o for o in allocated if o.delivery.method == DeliveryMethod.SHIP][: max(1, len(allocated) // 2)]
    pickups = [o for o in allocated if o.delivery.method == DeliveryMethod.PICKUP][:1]
    for order in _steps(progress, "Progressing fulfilment", [*shipping, *pickups]):
        for fo in [fo for fo in order.fulfillment_orders if fo.status in ACTIVE]:
            fulfillment.accept(ctx, fo_id=fo.id, actor=SYSTEM)
            moved["accepted"] += 1
            if order.delivery.method == DeliveryMethod.PICKUP:
                fulfillment.ready_for_pickup(ctx, fo_id=fo.id, actor=SYSTEM)
                moved["ready"] += 1
            elif rng.random() < 0.6:
                carrier = rng.choice(CARRIERS)
                tracking = f"{carrier[:2].upper()}{rng.randrange(10**15, 10**16)}"
                fulfillment.ship(ctx, fo_id=fo.id, command=ShipFulfillment(carrier, tracking), actor=SYSTEM)
                moved["shipped"] += 1
    return moved
