"""The WebhookSubscriptions and OutboundDeliveries contracts, on the fake and on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ordermesh.services.ports import StoredEvent, UnitOfWork, UnitOfWorkFactory
from ordermesh.services.webhook_ports import DeliveryAttempt, OutboundDelivery, Subscription
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import committed, every_page, minutes, read

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def subscription(sub_id: str = "whs_1", *, active: bool = True) -> Subscription:
    return Subscription(
        sub_id, "https://example.com/hooks", ("ordermesh.order.*",), SECRET, active, "billing", minutes(0), minutes(0)
    )


def event(n: int, subject: str = "ord_1", *, at: int = 0) -> StoredEvent:
    return StoredEvent(f"evt_{n:03}", f"c{n}", "ordermesh.order.created", "/test", subject, minutes(at), {"n": n})


def subscribed(factory: UnitOfWorkFactory, *records: Subscription) -> None:
    def work(uow: UnitOfWork) -> None:
        for record in records:
            uow.subscriptions.add(record)

    committed(factory, work)


def queued(factory: UnitOfWorkFactory, sub_id: str, *events: StoredEvent, at: int = 0) -> None:
    committed(factory, lambda uow: uow.deliveries.add(sub_id, list(events), minutes(at)))


def due(factory: UnitOfWorkFactory, at: int, limit: int = 100) -> list[OutboundDelivery]:
    return read(factory, lambda uow: uow.deliveries.due(minutes(at), limit=limit))


def log(factory: UnitOfWorkFactory, sub_id: str, status: str | None = None) -> list[OutboundDelivery]:
    return every_page(
        factory, lambda uow, after: uow.deliveries.page(sub_id, status=status, after=after, limit=2), limit=2
    )


class WebhookSubscriptionsContract:
    def test_a_subscription_is_found_by_id_and_saved_with_its_changes(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        changed = replace(
            subscription(),
            url="http://other.example/x",
            event_types=("*",),
            active=False,
            secret=SECRET.replace("M", "N"),
            updated_at=minutes(3),
        )

        committed(uow_factory, lambda uow: uow.subscriptions.save(changed))

        assert read(uow_factory, lambda uow: uow.subscriptions.get("whs_1")) == changed
        assert read(uow_factory, lambda uow: uow.subscriptions.get("whs_2")) is None

    def test_only_active_subscriptions_are_listed_as_active_and_all_page_by_page(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        subscribed(uow_factory, subscription("whs_3"), subscription("whs_1", active=False), subscription("whs_2"))

        active = read(uow_factory, lambda uow: uow.subscriptions.active())
        listed = every_page(uow_factory, lambda uow, after: uow.subscriptions.page(after=after, limit=2), limit=2)

        assert [s.id for s in active] == ["whs_2", "whs_3"]
        assert [s.id for s in listed] == ["whs_1", "whs_2", "whs_3"]

    def test_deleting_a_subscription_deletes_its_deliveries(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription("whs_1"), subscription("whs_2"))
        queued(uow_factory, "whs_1", event(1))
        queued(uow_factory, "whs_2", event(1))

        committed(uow_factory, lambda uow: uow.subscriptions.delete("whs_1"))

        assert read(uow_factory, lambda uow: uow.subscriptions.get("whs_1")) is None
        assert log(uow_factory, "whs_1") == []
        assert len(log(uow_factory, "whs_2")) == 1


class OutboundDeliveriesContract:
    def test_a_queued_delivery_keeps_the_event_as_it_was_and_is_due_at_once(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1), at=5)

        [delivery] = due(uow_factory, 5)

        assert delivery.event == event(1)
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, minutes(5))
        assert delivery.log == ()
        assert due(uow_factory, 4) == []

    def test_only_the_first_waiting_delivery_of_a_subject_is_due(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1, "ord_1"), event(2, "ord_2"), event(3, "ord_1"))

        first = due(uow_factory, 0)
        settled = replace(first[0], status="delivered", attempts=1, delivered_at=minutes(0))
        committed(uow_factory, lambda uow: uow.deliveries.save(settled))

        assert [d.event.id for d in first] == ["evt_001", "evt_002"]
        assert [d.event.id for d in due(uow_factory, 0)] == ["evt_002", "evt_003"]

    def test_a_dead_delivery_no_longer_holds_up_its_subject(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1), event(2))
        [head] = due(uow_factory, 0)

        committed(uow_factory, lambda uow: uow.deliveries.save(replace(head, status="dead", attempts=12)))

        assert [d.event.id for d in due(uow_factory, 0)] == ["evt_002"]

    def test_a_failed_delivery_is_due_again_at_its_next_attempt_and_holds_up_its_subject_till_then(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1), event(2))
        [head] = due(uow_factory, 0)
        attempt = DeliveryAttempt(minutes(0), 503, None, 12)
        failed = replace(
            head,
            status="failed",
            attempts=1,
            next_attempt_at=minutes(2),
            last_attempt_at=minutes(0),
            last_status_code=503,
            last_error="HTTP 503",
            log=(attempt,),
        )

        committed(uow_factory, lambda uow: uow.deliveries.save(failed))

        assert due(uow_factory, 1) == []
        assert due(uow_factory, 2) == [failed]

    def test_a_leased_delivery_is_not_due_until_the_lease_runs_out(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1), event(2, "ord_2"))

        committed(uow_factory, lambda uow: uow.deliveries.lease([due(uow_factory, 0)[0].id], minutes(1)))

        assert [d.event.id for d in due(uow_factory, 0)] == ["evt_002"]
        assert [d.event.id for d in due(uow_factory, 1)] == ["evt_001", "evt_002"]

    def test_deliveries_of_excluded_subscriptions_are_not_due(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription("whs_1"), subscription("whs_2"), subscription("whs_3"))
        for sub_id in ("whs_1", "whs_2", "whs_3"):
            queued(uow_factory, sub_id, event(1))

        found = read(uow_factory, lambda uow: uow.deliveries.due(minutes(0), limit=10, exclude=["whs_1", "whs_3"]))

        assert [d.subscription_id for d in found] == ["whs_2"]

    def test_deliveries_of_a_paused_subscription_are_not_due(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription("whs_1", active=False))
        queued(uow_factory, "whs_1", event(1))

        assert due(uow_factory, 0) == []

    def test_the_log_lists_deliveries_newest_first_and_filters_by_status(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1), event(2, "ord_2"), event(3, "ord_3"))
        [_, second, _] = due(uow_factory, 0)
        committed(uow_factory, lambda uow: uow.deliveries.save(replace(second, status="delivered")))

        assert [d.event.id for d in log(uow_factory, "whs_1")] == ["evt_003", "evt_002", "evt_001"]
        assert [d.event.id for d in log(uow_factory, "whs_1", "delivered")] == ["evt_002"]
        assert log(uow_factory, "whs_2") == []

    def test_events_sent_before_are_found_once_each_by_id_or_time(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1, at=0), event(2, at=10), event(3, at=20))
        queued(uow_factory, "whs_1", event(2, at=10))  # replayed once already

        def find(**how: Any) -> list[str]:
            return [
                e.id
                for e in read(
                    uow_factory,
                    lambda uow: uow.deliveries.events(
                        "whs_1",
                        event_id=how.get("event_id"),
                        start=how.get("start"),
                        end=how.get("end"),
                        limit=100,
                    ),
                )
            ]

        assert find(event_id="evt_002") == ["evt_002"]
        assert find(start=minutes(5), end=minutes(20)) == ["evt_002"]
        assert find(start=minutes(0)) == ["evt_001", "evt_002", "evt_003"]
        assert find(event_id="evt_404") == []
        assert read(
            uow_factory, lambda uow: uow.deliveries.events("whs_1", event_id=None, start=None, end=None, limit=2)
        ) == [event(1, at=0), event(2, at=10)]

    def test_a_saved_outcome_is_read_back_with_its_attempt_log(self, uow_factory: UnitOfWorkFactory) -> None:
        subscribed(uow_factory, subscription())
        queued(uow_factory, "whs_1", event(1))
        [head] = due(uow_factory, 0)
        attempts = (DeliveryAttempt(minutes(0), None, "timed out", 10000), DeliveryAttempt(minutes(1), 200, None, 7))
        done = replace(
            head,
            status="delivered",
            attempts=2,
            delivered_at=minutes(1),
            last_attempt_at=minutes(1),
            last_status_code=200,
            log=attempts,
            leased_until=None,
        )

        committed(uow_factory, lambda uow: uow.deliveries.save(done))

        assert read(uow_factory, lambda uow: uow.deliveries.get(head.id)) == done
        assert due(uow_factory, 60 * 24) == []


class TestWebhookSubscriptionsOnFake(FakeBackend, WebhookSubscriptionsContract):
    pass


class TestWebhookSubscriptionsOnSql(SqlBackend, WebhookSubscriptionsContract):
    pass


class TestOutboundDeliveriesOnFake(FakeBackend, OutboundDeliveriesContract):
    pass


class TestOutboundDeliveriesOnSql(SqlBackend, OutboundDeliveriesContract):
    pass
