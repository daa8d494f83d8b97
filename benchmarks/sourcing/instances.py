"""Instances of the published multi-item fulfilment benchmark (Jasin & Sinha 2015; Ma 2023).

Everything random is drawn from `numpy.random.default_rng(seed)`: an instance from its instance
seed, an arrival sequence from its own sequence seed, so any run can be replayed from the seeds.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

DATA = Path("/work/shared/benchmarks/fulfillment-network")
EARTH_RADIUS_MILES = 3958.8
PACKAGE_COST = 8.759  # c_fixed, per distinct FC an order ships from
UNIT_BASE = 0.423  # c_unit = UNIT_BASE + UNIT_PER_MILE * miles
UNIT_PER_MILE = 0.000541

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Setup:
    """Parameters of one published setup."""

    name: str
    items: int  # I
    max_size: int  # nmax: largest order size
    per_size: int  # nper: item subsets per size
    horizon: int  # T: orders per arrival sequence
    p_carry: float  # probability that an FC carries an item
    cities_file: str
    centres_file: str


WARMUP = Setup("warmup", 20, 5, 5, 10_000, 0.75, "cities_warmup.csv", "fulfillment_centers_warmup.csv")
LARGE = Setup("large", 100, 10, 10, 100_000, 0.5, "cities.csv", "fulfillment_centers.csv")
SETUPS = {s.name: s for s in (WARMUP, LARGE)}


@dataclass(frozen=True)
class Network:
    """Regions, FCs and the cost of shipping between them; FC index K is the virtual lost-sale FC."""

    region_names: tuple[str, ...]
    population: FloatArray  # (J,)
    centre_names: tuple[str, ...]
    miles: FloatArray  # (K, J)
    unit_cost: FloatArray  # (K+1, J): per item shipped from k to j; row K is the lost-sale penalty
    package_cost: FloatArray  # (K+1,): per package; entry K is the lost-sale penalty

    @property
    def centres(self) -> int:
        """K, the number of real FCs."""
        return len(self.centre_names)

    @property
    def regions(self) -> int:
        return len(self.region_names)


@dataclass(frozen=True)
class Instance:
    """One random instance: order types, arrival rates, assortment and starting stock."""

    setup: Setup
    seed: int
    network: Network
    types: tuple[tuple[int, ...], ...]  # item subsets; the empty order is left out (it costs nothing)
    type_probability: FloatArray  # (Q,) of the non-empty types (they sum to 1 - p(empty))
    empty_probability: float
    rate: FloatArray  # (Q, J): lambda[q, j], the probability that an order is of type q from region j
    carries: NDArray[np.bool_]  # (K, I)
    stock: IntArray  # (K, I) starting stock b[k, i]
    expected_demand: FloatArray  # (K, I) d[k, i], expected demand per order routed to FC k

    @property
    def horizon(self) -> int:
        return self.setup.horizon


def haversine_miles(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Great-circle distance in miles (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(a)), dtype=np.float64)


def _rows(name: str) -> list[list[str]]:
    with (DATA / name).open(newline="") as handle:
        return [row for row in csv.reader(handle) if row]


def load_network(setup: Setup) -> Network:
    """Regions and FCs of a setup, with the README's costs (the virtual FC last)."""
    cities = _rows(setup.cities_file)
    centres = _rows(setup.centres_file)
    city_lat = np.array([float(r[2]) for r in cities])
    city_lon = np.array([float(r[3]) for r in cities])
    fc_lat = np.array([float(r[2]) for r in centres])
    fc_lon = np.array([float(r[3]) for r in centres])
    miles = haversine_miles(fc_lat[:, None], fc_lon[:, None], city_lat[None, :], city_lon[None, :])
    real = UNIT_BASE + UNIT_PER_MILE * miles
    lost = 2 * (UNIT_BASE + UNIT_PER_MILE * miles.max(axis=0))
    unit_cost = np.vstack([real, lost[None, :]])
    package_cost = np.array([PACKAGE_COST] * len(centres) + [2 * PACKAGE_COST])
    return Network(
        region_names=tuple(f"{r[0]}, {r[1]}" for r in cities),
        population=np.array([float(r[4]) for r in cities]),
        centre_names=tuple(r[0] for r in centres),
        miles=miles,
        unit_cost=unit_cost,
        package_cost=package_cost,
    )


def _order_types(setup: Setup, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """`nper` distinct random item subsets of every size 1..nmax (distinct within a size)."""
    types: list[tuple[int, ...]] = []
    for size in range(1, setup.max_size + 1):
        chosen: set[tuple[int, ...]] = set()
        wanted = min(setup.per_size, math.comb(setup.items, size))
        while len(chosen) < wanted:
            subset = tuple(sorted(int(i) for i in rng.choice(setup.items, size=size, replace=False)))
            if subset not in chosen:
                chosen.add(subset)
                types.append(subset)
    return types


def generate_instance(setup: Setup, seed: int, network: Network | None = None) -> Instance:
    """Draw one instance of `setup` from `seed` (see the module docstring of network.py for the rules)."""
    rng = np.random.default_rng(seed)
    net = network if network is not None else load_network(setup)
    types = _order_types(setup, rng)
    # type probabilities: a weight for "empty", one per size, one per subset within its size
    empty_weight = rng.random()
    size_weight = rng.random(setup.max_size)
    subset_weight = rng.random(len(types))
    total = empty_weight + size_weight.sum()
    sizes = np.array([len(t) for t in types])
    probability = np.empty(len(types))
    for size in range(1, setup.max_size + 1):
        members = sizes == size
        probability[members] = size_weight[size - 1] / total * subset_weight[members] / subset_weight[members].sum()
    share = net.population / net.population.sum()
    rate = probability[:, None] * share[None, :]
    # assortment: every FC carries item i with probability p_carry (redrawn until at least one FC does)
    carries = np.zeros((net.centres, setup.items), dtype=bool)
    for i in range(setup.items):
        while not carries[:, i].any():
            carries[:, i] = rng.random(net.centres) < setup.p_carry
    # expected demand per order, routed to the closest FC that carries the item
    item_rate = np.zeros((setup.items, net.regions))
    for q, items in enumerate(types):
        item_rate[list(items)] += rate[q]
    demand = np.zeros((net.centres, setup.items))
    for i in range(setup.items):
        carrying = np.flatnonzero(carries[:, i])
        closest = carrying[np.argmin(net.miles[carrying], axis=0)]
        np.add.at(demand[:, i], closest, item_rate[i])
    horizon = setup.horizon
    stock = np.round(horizon * demand + 0.5 * np.sqrt(horizon * demand * (1 - demand))).astype(np.int64)
    return Instance(
        setup=setup,
        seed=seed,
        network=net,
        types=tuple(types),
        type_probability=probability,
        empty_probability=float(empty_weight / total),
        rate=rate,
        carries=carries,
        stock=stock,
        expected_demand=demand,
    )


def draw_arrivals(instance: Instance, seed: int) -> tuple[IntArray, IntArray]:
    """T (type, region) arrivals; type -1 is the empty order."""
    rng = np.random.default_rng(seed)
    q_count, j_count = instance.rate.shape
    flat = np.append(instance.rate.ravel(), instance.empty_probability)
    flat = flat / flat.sum()
    cell = rng.choice(flat.size, size=instance.horizon, p=flat)
    empty = cell == flat.size - 1
    order_type = np.where(empty, -1, cell // j_count).astype(np.int64)
    region = np.where(empty, 0, cell % j_count).astype(np.int64)
    assert order_type.max() < q_count
    return order_type, region
