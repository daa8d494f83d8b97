"""Outbound webhooks, pure parts: signatures per Standard Webhooks, the retry schedule, event-type patterns."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from ordermesh.adapters.messaging.webhook_signing import signature, signed_headers
from ordermesh.domain.outbound_webhooks import RetryPolicy, event_type_problem, matches, new_secret, secret_problem
from tests.standard_webhooks import verify

# The example of the Standard Webhooks reference libraries; re-computed with `openssl dgst -sha256 -mac HMAC`.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specifications_example() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_receiver_verifies_the_headers_and_rejects_a_changed_body() -> None:
    headers = signed_headers([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)

    assert headers == {"webhook-id": SPEC_ID, "webhook-timestamp": "1614265330", "webhook-signature": SPEC_SIGNATURE}
    assert verify(SPEC_SECRET, headers, SPEC_BODY)
    assert not verify(SPEC_SECRET, headers, b'{"test": 2432232315}')


def test_while_a_secret_is_rotated_either_secret_verifies() -> None:
    other = new_secret(bytes(range(32)))

    headers = signed_headers([other, SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(other, headers, SPEC_BODY)
    assert verify(SPEC_SECRET, headers, SPEC_BODY)


def test_a_generated_secret_is_whsec_and_base64_of_its_key_bytes() -> None:
    secret = new_secret(b"k" * 24)

    assert secret == "whsec_" + base64.b64encode(b"k" * 24).decode()
    assert secret_problem(secret) is None
    assert secret_problem("s3cret") == "must start with 'whsec_'"
    assert secret_problem("whsec_c2hvcnQ=") == "must hold 24 to 64 key bytes"


def test_the_wait_doubles_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=12, base=timedelta(seconds=1), cap=timedelta(seconds=60))

    waits = [policy.delay(attempts, jitter=1.0).total_seconds() for attempts in range(1, 10)]

    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


@pytest.mark.parametrize("attempts", [1, 3, 8, 40, 5000])
def test_jitter_keeps_the_wait_between_half_and_one_and_a_half_times_the_step(attempts: int) -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(hours=1))
    step = min(3600.0, 2.0 * 2 ** min(attempts - 1, 100))

    assert policy.delay(attempts, jitter=0.5).total_seconds() == pytest.approx(step * 0.5)
    assert policy.delay(attempts, jitter=1.5).total_seconds() == pytest.approx(step * 1.5)
    with pytest.raises(ValueError, match="jitter"):
        policy.delay(attempts, jitter=1.6)


def test_a_delivery_is_dead_after_the_last_allowed_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)

    assert [policy.is_dead(n) for n in (1, 2, 3)] == [False, False, True]


def test_patterns_match_exact_types_a_prefix_or_everything() -> None:
    assert matches(["ordermesh.order.created"], "ordermesh.order.created")
    assert not matches(["ordermesh.order.created"], "ordermesh.order.cancelled")
    assert matches(["ordermesh.order.*"], "ordermesh.order.cancelled")
    assert not matches(["ordermesh.order.*"], "ordermesh.fulfillment_order.shipped")
    assert matches(["ordermesh.*"], "ordermesh.inventory.changed")
    assert matches(["*"], "ordermesh.item.created")
    assert not matches([], "ordermesh.item.created")


def test_only_known_types_and_patterns_that_cover_one_are_accepted() -> None:
    assert event_type_problem("ordermesh.order.created") is None
    assert event_type_problem("ordermesh.fulfillment_order.*") is None
    assert event_type_problem("*") is None
    assert event_type_problem("ordermesh.order.creatd") is not None
    assert event_type_problem("ordermesh.invoice.*") == "'ordermesh.invoice.*' matches no event type"
    assert event_type_problem("ordermesh.*.created") is not None
