"""The Outbox contract: a feed in write order that resumes from opaque cursors, and the relay's queue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.events import Event
from ordermesh.services.ports import Page, StoredEvent, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import SOURCE, FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, minutes, read


def events(*subjects: str) -> list[Event]:
    return [Event("ordermesh.order.created", subject, {"order_id": subject}) for subject in subjects]


def written(factory: UnitOfWorkFactory, *subjects: str) -> None:
    """Commit one event per subject, all in one unit of work."""
    committed(factory, lambda uow: uow.outbox.add(events(*subjects), T0))


def feed(factory: UnitOfWorkFactory, after: str | None = None, limit: int = 100) -> Page:
    return read(factory, lambda uow: uow.outbox.feed(after=after, limit=limit))


def subjects(page: Page) -> list[str]:
    return [e.subject for e in page.rows]


class OutboxContract:
    def test_the_feed_returns_events_in_the_order_they_were_written(self, uow_factory: UnitOfWorkFactory) -> None:
        written(uow_factory, "o1", "o2")
        written(uow_factory, "o3")
        written(uow_factory, "o4", "o5")

        page = feed(uow_factory)

        assert subjects(page) == ["o1", "o2", "o3", "o4", "o5"]
        assert len({e.id for e in page.rows}) == 5
        assert len({e.cursor for e in page.rows}) == 5

    def test_a_stored_event_carries_its_envelope(self, uow_factory: UnitOfWorkFactory) -> None:
        event = Event("ordermesh.inventory.changed", "WH/TEE", {"before": None, "after": {"on_hand": 3}})
        committed(uow_factory, lambda uow: uow.outbox.add([event], minutes(5)))

        [stored] = feed(uow_factory).rows

        assert isinstance(stored, StoredEvent)
        assert stored.id
        assert (stored.type, stored.source, stored.subject, stored.time) == (
            "ordermesh.inventory.changed",
            SOURCE,
            "WH/TEE",
            minutes(5),
        )
        assert stored.data == {"before": None, "after": {"on_hand": 3}}

    def test_event_data_comes_back_as_plain_json(self, uow_factory: UnitOfWorkFactory) -> None:
        data = {"total": Decimal("19.99"), "at": T0, "skus": ("TEE", "MUG"), "lines": {"L1": 2}}
        committed(uow_factory, lambda uow: uow.outbox.add([Event("ordermesh.order.created", "o1", data)], T0))

        [stored] = feed(uow_factory).rows

        assert stored.data == {"total": "19.99", "at": T0.isoformat(), "skus": ["TEE", "MUG"], "lines": {"L1": 2}}

    def test_the_feed_resumes_from_a_cursor_without_gaps_or_repeats(self, uow_factory: UnitOfWorkFactory) -> None:
        written(uow_factory, "o1", "o2", "o3")
        written(uow_factory, "o4", "o5")

        first = feed(uow_factory, limit=2)
        second = feed(uow_factory, first.next_cursor, limit=2)
        third = feed(uow_factory, second.next_cursor, limit=2)

        assert [subjects(first), subjects(second), subjects(third)] == [["o1", "o2"], ["o3", "o4"], ["o5"]]
        assert first.next_cursor == first.rows[-1].cursor

    def test_a_caught_up_feed_keeps_its_cursor_and_then_serves_what_comes_next(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        written(uow_factory, "o1", "o2")
        caught_up = feed(uow_factory)

        nothing_new = feed(uow_factory, caught_up.next_cursor)
        written(uow_factory, "o3")
        news = feed(uow_factory, caught_up.next_cursor)

        assert nothing_new.rows == [] and nothing_new.next_cursor == caught_up.next_cursor
        assert subjects(news) == ["o3"]

    def test_an_empty_outbox_has_an_empty_feed_and_no_cursor(self, uow_factory: UnitOfWorkFactory) -> None:
        assert feed(uow_factory) == Page([], None)

    def test_a_feed_cursor_that_is_not_ours_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            feed(uow_factory, "%%%")
        with pytest.raises(InvalidInput):
            feed(uow_factory, "YWJj")  # base64 of "abc": well formed, but not a position

    def test_events_of_a_unit_of_work_that_was_not_committed_never_appear(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        written(uow_factory, "o1")
        with uow_factory() as uow:
            uow.outbox.add(events("lost"), T0)
        written(uow_factory, "o2")

        assert subjects(feed(uow_factory)) == ["o1", "o2"]

    def test_a_relay_position_starts_at_the_beginning_and_moves_only_when_advanced(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        written(uow_factory, "o1", "o2", "o3")

        def relay(uow: UnitOfWork, *, advance: bool = True) -> list[str]:
            claim = uow.relays.claim("webhooks", T0)
            assert claim is not None
            page = uow.outbox.feed(after=claim.cursor, limit=2)
            if advance:
                uow.relays.advance(claim, page.next_cursor, T0)
            return subjects(page)

        not_advanced = committed(uow_factory, lambda uow: relay(uow, advance=False))
        first = committed(uow_factory, relay)
        second = committed(uow_factory, relay)
        third = committed(uow_factory, relay)

        assert [not_advanced, first, second, third] == [["o1", "o2"], ["o1", "o2"], ["o3"], []]

    def test_relays_keep_their_own_positions(self, uow_factory: UnitOfWorkFactory) -> None:
        written(uow_factory, "o1")

        def advance(name: str) -> None:
            def work(uow: UnitOfWork) -> None:
                claim = uow.relays.claim(name, T0)
                assert claim is not None
                uow.relays.advance(claim, uow.outbox.feed(after=claim.cursor, limit=10).next_cursor, T0)

            committed(uow_factory, work)

        advance("nats")

        def position(name: str) -> str | None:
            def work(uow: UnitOfWork) -> str | None:
                claim = uow.relays.claim(name, T0)
                assert claim is not None
                return claim.cursor

            return committed(uow_factory, work)

        assert position("webhooks") is None
        assert position("nats") is not None


    def test_a_relay_moves_only_from_where_it_read_so_of_two_racing_relays_one_moves(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        written(uow_factory, "o1", "o2")
        start = committed(uow_factory, lambda uow: uow.relays.position("nats"))
        cursor = committed(uow_factory, lambda uow: uow.outbox.feed(after=start, limit=1).next_cursor)

        first = committed(uow_factory, lambda uow: uow.relays.advance_from("nats", start, cursor, T0))
        second = committed(uow_factory, lambda uow: uow.relays.advance_from("nats", start, "elsewhere", T0))

        assert start is None
        assert (first, second) == (True, False)
        after = committed(uow_factory, lambda uow: uow.relays.position("nats"))
        assert after == cursor
        assert subjects(committed(uow_factory, lambda uow: uow.outbox.feed(after=after, limit=10))) == ["o2"]


class TestOutboxOnFake(FakeBackend, OutboxContract):
    pass


class TestOutboxOnSql(SqlBackend, OutboxContract):
    pass
