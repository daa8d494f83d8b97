"""Activating and rolling back rule sets concurrently: one version stays active, and no request fails."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.errors import ConcurrentUpdate, IllegalTransition
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.services import sourcing
from ordermesh.services.context import AppContext
from ordermesh.services.ports import RuleSetRecord
from tests.integration.pausing import PausingUnitOfWorks


def draft(ctx: AppContext, split_penalty: float) -> RuleSetRecord:
    document: dict[str, Any] = copy.deepcopy(DEFAULT_RULE_SET)
    document["name"] = "ops"
    document["costs"]["split_penalty"] = split_penalty
    return sourcing.create_rule_set(ctx, SYSTEM, document, None)


def active_ids(ctx: AppContext) -> list[str]:
    page = ctx.read(lambda uow: uow.rule_sets.page(name=None, status="active", after=None, limit=10))
    return [record.id for record in page.rows]


def racing(ctx: AppContext) -> AppContext:
    """The context with units of work that pause after reading the active version (both threads read it)."""
    return replace(ctx, uow=PausingUnitOfWorks(ctx.uow, "rule_sets", "active"))


@pytest.mark.parametrize("first_ever", [True, False], ids=["nothing-active", "one-active"])
def test_two_drafts_activated_at_once_leave_exactly_one_active_and_neither_call_fails(
    runtime: Runtime, first_ever: bool
) -> None:
    ctx = runtime.context
    if not first_ever:
        sourcing.activate(ctx, SYSTEM, draft(ctx, 1.0).id)
    a, b = draft(ctx, 2.0), draft(ctx, 3.0)
    slow = racing(ctx)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(sourcing.activate, slow, SYSTEM, record.id) for record in (a, b)]
        outcomes = [future.exception() or future.result() for future in futures]

    # A lost race may end as a 409 ConcurrentUpdate, never as an unexpected database error (a 500).
    assert all(isinstance(o, (RuleSetRecord, ConcurrentUpdate)) for o in outcomes), outcomes
    assert any(isinstance(o, RuleSetRecord) for o in outcomes)
    (active,) = active_ids(ctx)
    assert active in {a.id, b.id}


def test_two_roll_backs_at_once_go_back_two_versions_or_refuse_with_a_conflict(runtime: Runtime) -> None:
    ctx = runtime.context
    versions = [draft(ctx, float(penalty)) for penalty in (1, 2, 3)]
    for record in versions:
        sourcing.activate(ctx, SYSTEM, record.id)
    slow = racing(ctx)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(sourcing.roll_back, slow, SYSTEM) for _ in range(2)]
        outcomes = [future.exception() or future.result() for future in futures]

    assert all(isinstance(o, (RuleSetRecord, ConcurrentUpdate)) for o in outcomes), outcomes
    restored = {o.id for o in outcomes if isinstance(o, RuleSetRecord)}
    # Each roll back that went through took one more step back: v2, then v1.
    steps = len(restored)
    assert steps >= 1
    assert restored == {record.id for record in versions[2 - steps : 2]}
    assert active_ids(ctx) == [versions[2 - steps].id]


def test_rolling_back_walks_back_through_the_activations(runtime: Runtime) -> None:
    ctx = runtime.context
    v1, v2, v3, v4 = (draft(ctx, float(penalty)) for penalty in (1, 2, 3, 4))
    for record in (v1, v2, v3):
        sourcing.activate(ctx, SYSTEM, record.id)

    back_once = sourcing.roll_back(ctx, SYSTEM)
    back_twice = sourcing.roll_back(ctx, SYSTEM)
    with pytest.raises(IllegalTransition, match="first version ever activated"):
        sourcing.roll_back(ctx, SYSTEM)
    sourcing.activate(ctx, SYSTEM, v4.id)
    after_v4 = sourcing.roll_back(ctx, SYSTEM)

    assert (back_once.id, back_twice.id, after_v4.id) == (v2.id, v1.id, v1.id)
    assert active_ids(ctx) == [v1.id]
    assert ctx.read(lambda uow: uow.rule_sets.get(v3.id)).status == "archived"  # type: ignore[union-attr]
