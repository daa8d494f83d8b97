"""What every use case needs besides its arguments: storage, time, ids and policies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ordermesh.domain.sourcing import SourcingPolicy
from ordermesh.services.caches import SourcingCache
from ordermesh.services.connectors import ChannelConnector
from ordermesh.services.ports import Clock, Geocoder, IdFactory, RetryableConflict, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class AppContext:
    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdFactory
    geocoder: Geocoder
    sourcing: SourcingPolicy | None = None  # None: the engine under the active rule set
    source_name: str = "/ordermesh"
    sourcing_cache: SourcingCache = field(default_factory=SourcingCache)
    connectors: Mapping[str, ChannelConnector] = field(default_factory=dict)  # by kind: shopify, ...

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work` in one unit of work and commit; run it again when the database asks for a retry."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.uow() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except RetryableConflict:
                if attempt == MAX_ATTEMPTS:
                    raise
                log.info("transaction conflict, retrying (attempt %d)", attempt)
        raise AssertionError("unreachable")

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run a query in a read-only unit of work."""
        with self.uow(read_only=True) as uow:
            return work(uow)
