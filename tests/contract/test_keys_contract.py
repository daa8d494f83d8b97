"""The IdempotencyKeys and ApiKeys contracts: a key is taken once, and found again by its hash."""

from __future__ import annotations

import pytest

from ordermesh.domain.access import Role
from ordermesh.services.ports import ApiKeyRecord, DuplicateKey, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, minutes, read


def claim(
    factory: UnitOfWorkFactory, key: str, resource_id: str, *, scope: str = "orders", fingerprint: str = "f1"
) -> None:
    """Commit a claim of the key for the resource."""

    def work(uow: UnitOfWork) -> None:
        uow.idempotency.claim(key=key, scope=scope, fingerprint=fingerprint, resource_id=resource_id, now=T0)

    committed(factory, work)


def keys_added(factory: UnitOfWorkFactory, *records: ApiKeyRecord) -> None:
    def work(uow: UnitOfWork) -> None:
        for record in records:
            uow.api_keys.add(record)

    committed(factory, work)


def api_key(key_id: str, key_hash: str, *, role: Role = Role.OPERATOR, revoked: bool = False) -> ApiKeyRecord:
    return ApiKeyRecord(key_id, f"key {key_id}", role, key_hash, T0, minutes(5) if revoked else None)


class IdempotencyContract:
    def test_a_claimed_key_gives_back_its_fingerprint_and_resource(self, uow_factory: UnitOfWorkFactory) -> None:
        claim(uow_factory, "k1", "ord_1", fingerprint="abc")

        assert read(uow_factory, lambda uow: uow.idempotency.get(key="k1", scope="orders")) == ("abc", "ord_1")
        assert read(uow_factory, lambda uow: uow.idempotency.get(key="k2", scope="orders")) is None

    def test_a_key_claimed_again_is_refused_and_keeps_its_first_resource(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        claim(uow_factory, "k1", "ord_1")

        with pytest.raises(DuplicateKey):
            claim(uow_factory, "k1", "ord_2", fingerprint="other")

        assert read(uow_factory, lambda uow: uow.idempotency.get(key="k1", scope="orders")) == ("f1", "ord_1")

    def test_the_same_key_in_another_scope_is_another_key(self, uow_factory: UnitOfWorkFactory) -> None:
        claim(uow_factory, "k1", "ord_1")

        claim(uow_factory, "k1", "snap_1", scope="snapshots")

        assert read(uow_factory, lambda uow: uow.idempotency.get(key="k1", scope="snapshots")) == ("f1", "snap_1")

    def test_a_claim_that_was_not_committed_leaves_the_key_free(self, uow_factory: UnitOfWorkFactory) -> None:
        with uow_factory() as uow:
            uow.idempotency.claim(key="k1", scope="orders", fingerprint="f1", resource_id="ord_1", now=T0)

        claim(uow_factory, "k1", "ord_2")

        assert read(uow_factory, lambda uow: uow.idempotency.get(key="k1", scope="orders")) == ("f1", "ord_2")


class ApiKeysContract:
    def test_a_key_is_found_by_its_hash(self, uow_factory: UnitOfWorkFactory) -> None:
        admin = api_key("key_1", "h1", role=Role.ADMIN)
        revoked = api_key("key_2", "h2", revoked=True)
        keys_added(uow_factory, admin, revoked)

        assert read(uow_factory, lambda uow: uow.api_keys.by_hash("h1")) == admin
        assert read(uow_factory, lambda uow: uow.api_keys.by_hash("h2")) == revoked
        assert read(uow_factory, lambda uow: uow.api_keys.by_hash("h3")) is None

    def test_count_tells_how_many_keys_exist(self, uow_factory: UnitOfWorkFactory) -> None:
        assert read(uow_factory, lambda uow: uow.api_keys.count()) == 0

        keys_added(uow_factory, api_key("key_1", "h1"), api_key("key_2", "h2"))

        assert read(uow_factory, lambda uow: uow.api_keys.count()) == 2

    def test_a_second_key_with_the_same_id_or_hash_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        keys_added(uow_factory, api_key("key_1", "h1"))

        with pytest.raises(DuplicateKey):
            keys_added(uow_factory, api_key("key_1", "h2"))
        with pytest.raises(DuplicateKey):
            keys_added(uow_factory, api_key("key_2", "h1"))

        assert read(uow_factory, lambda uow: uow.api_keys.count()) == 1


class TestIdempotencyOnFake(FakeBackend, IdempotencyContract):
    pass


class TestIdempotencyOnSql(SqlBackend, IdempotencyContract):
    pass


class TestApiKeysOnFake(FakeBackend, ApiKeysContract):
    pass


class TestApiKeysOnSql(SqlBackend, ApiKeysContract):
    pass
