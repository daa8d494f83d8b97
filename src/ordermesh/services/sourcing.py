"""Sourcing rule sets: drafts validated on save, one active version, archived history, diff and roll back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import ConcurrentUpdate, IllegalTransition, InvalidInput, NotFound
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.rule_document import parse_rule_set
from ordermesh.domain.sourcing.rules import RuleSet
from ordermesh.services.caches import BUILT_IN, rule_set_ref
from ordermesh.services.carrier_costs import with_carrier_cards
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, Page, RuleSetActivation, RuleSetRecord, UnitOfWork

DRAFT, ACTIVE, ARCHIVED = "draft", "active", "archived"
CREATE_ATTEMPTS = 5
SWITCH_ATTEMPTS = 5


class _ActiveChanged(Exception):
    """Another transaction changed the active version while this one waited for its lock."""


# --- rule-set commands -----------------------------------------------------------------------------------


def validate_document(uow: UnitOfWork, document: Any) -> RuleSet:
    """Parse the document against the vocabulary and this network's locations; RuleSetInvalid names every problem."""
    known_locations = [location.code for location in uow.locations.all()]
    return parse_rule_set(with_carrier_cards(uow, document), known_locations=known_locations)


def create_rule_set(ctx: AppContext, actor: Principal, document: Any, note: str | None) -> RuleSetRecord:
    """Store a validated document as the next draft version of its rule set's name."""

    def work(uow: UnitOfWork) -> RuleSetRecord:
        parsed = validate_document(uow, document)
        now = ctx.clock.now()
        record = RuleSetRecord(
            id=ctx.ids("rs"),
            name=parsed.name,
            version=uow.rule_sets.last_version(parsed.name) + 1,
            status=DRAFT,
            document=document,
            created_at=now,
            created_by=actor.name,
            note=note,
        )
        uow.rule_sets.add(record)
        uow.audit.record(
            actor=actor,
            action="rule_set.created",
            entity="rule_set",
            entity_id=record.id,
            before=None,
            after=summary(record),
            at=now,
        )
        return record

    for _ in range(CREATE_ATTEMPTS):
        try:
            return ctx.transaction(work)
        except DuplicateKey:
            continue  # another draft of the same name took this version number first: take the next one
    raise ConcurrentUpdate(f"rule set '{_name(document)}' is being changed by others; try again")


def _name(document: Any) -> str:
    return str(document.get("name")) if isinstance(document, dict) else "?"


def update_draft(ctx: AppContext, actor: Principal, rule_set_id: str, document: Any, note: str | None) -> RuleSetRecord:
    """Replace a draft's document (active and archived versions never change)."""

    def work(uow: UnitOfWork) -> RuleSetRecord:
        record = _get(uow, rule_set_id, for_update=True)
        if record.status != DRAFT:
            raise IllegalTransition("rule set", rule_set_id, record.status, "edit (only drafts change)")
        parsed = validate_document(uow, document)
        if parsed.name != record.name:
            raise InvalidInput(
                f"a draft keeps its name '{record.name}'; create a new rule set for '{parsed.name}'", field=("name",)
            )
        changed = replace(record, document=document, note=note if note is not None else record.note)
        uow.rule_sets.save(changed)
        uow.audit.record(
            actor=actor,
            action="rule_set.updated",
            entity="rule_set",
            entity_id=record.id,
            before=summary(record),
            after=summary(changed),
            at=ctx.clock.now(),
        )
        return changed

    return ctx.transaction(work)


def activate(ctx: AppContext, actor: Principal, rule_set_id: str) -> RuleSetRecord:
    """Make a version the active one; the previously active version is archived. Audited.

    Raises NotFound, RuleSetInvalid (its locations changed since it was saved), and ConcurrentUpdate
    when other activations keep changing the active version under it.
    """

    def work(uow: UnitOfWork) -> RuleSetRecord:
        current, _ = _lock_active(uow)
        record = _get(uow, rule_set_id, for_update=True)
        if record.status == ACTIVE:
            return record
        validate_document(uow, record.document)  # locations may have changed since it was saved
        now = ctx.clock.now()
        uow.rule_sets.add_activation(record.id, now)
        return _switch(uow, actor, current, record, action="rule_set.activated", now=now)

    activated = _switching(ctx, work)
    ctx.sourcing_cache.drop_rules()
    return activated


def roll_back(ctx: AppContext, actor: Principal) -> RuleSetRecord:
    """Re-activate the version activated before the current one; rolling back again goes one further back.

    Raises IllegalTransition when nothing was ever activated or the active version is the first one.
    """

    def work(uow: UnitOfWork) -> RuleSetRecord:
        current, standing = _lock_active(uow)
        if current is None:
            raise IllegalTransition(
                "rule set",
                "history",
                "empty (no version was ever activated; sourcing uses the built-in default)",
                "roll back",
            )
        if len(standing) < 2:
            raise IllegalTransition("rule set", _label(current), "the first version ever activated", "roll back")
        newest, previous = standing
        record = _get(uow, previous.rule_set_id, for_update=True)
        now = ctx.clock.now()
        uow.rule_sets.roll_back_activation(newest.id, now)
        return _switch(uow, actor, current, record, action="rule_set.rolled_back", now=now)

    restored = _switching(ctx, work)
    ctx.sourcing_cache.drop_rules()
    return restored


def _lock_active(uow: UnitOfWork) -> tuple[RuleSetRecord | None, list[RuleSetActivation]]:
    """Lock the active version's row (always before the row of the version to activate, so that activations
    and roll backs queue in one order instead of deadlocking); return it with the two newest standing activations.
    """
    current = uow.rule_sets.active(for_update=True)
    standing = uow.rule_sets.standing_activations(limit=2)
    if current is None and standing:
        raise _ActiveChanged  # the row we waited for was archived by the transaction that held it
    return current, standing


def _switching(ctx: AppContext, work: Callable[[UnitOfWork], RuleSetRecord]) -> RuleSetRecord:
    """Run an activation or roll back; when another one changed the active version first, run it again."""
    for _ in range(SWITCH_ATTEMPTS):
        try:
            return ctx.transaction(work)
        except (DuplicateKey, _ActiveChanged):
            continue  # a second active version was refused by the one-active index, or our lock came too late
    raise ConcurrentUpdate("the active rule set is being changed by others; try again")


def _switch(
    uow: UnitOfWork,
    actor: Principal,
    current: RuleSetRecord | None,
    record: RuleSetRecord,
    *,
    action: str,
    now: datetime,
) -> RuleSetRecord:
    if current is not None:
        uow.rule_sets.save(replace(current, status=ARCHIVED, archived_at=now))
    activated = replace(record, status=ACTIVE, activated_at=now, archived_at=None)
    uow.rule_sets.save(activated)
    uow.audit.record(
        actor=actor,
        action=action,
        entity="rule_set",
        entity_id=record.id,
        before=summary(current) if current else None,
        after=summary(activated),
        at=now,
    )
    return activated


def _label(record: RuleSetRecord) -> str:
    return f"'{record.name}' v{record.version} ({record.id})"


def get_rule_set(ctx: AppContext, rule_set_id: str) -> RuleSetRecord:
    return ctx.read(lambda uow: _get(uow, rule_set_id))


def active_rule_set(ctx: AppContext) -> RuleSetRecord | None:
    return ctx.read(lambda uow: uow.rule_sets.active())


def list_rule_sets(ctx: AppContext, *, name: str | None, status: str | None, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.rule_sets.page(name=name, status=status, after=after, limit=limit))


def diff_rule_sets(ctx: AppContext, rule_set_id: str, against: str | None) -> dict[str, Any]:
    """What changes from `against` (default: the active version, or the built-in default) to this version."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        record = _get(uow, rule_set_id)
        if against is not None:
            base = _get(uow, against)
            base_ref, base_doc = rule_set_ref(base), base.document
        else:
            active = uow.rule_sets.active()
            base_ref, base_doc = (rule_set_ref(active), active.document) if active else (BUILT_IN, DEFAULT_RULE_SET)
        return {"from": base_ref, "to": rule_set_ref(record), "changes": diff_documents(base_doc, record.document)}

    return ctx.read(work)


def _get(uow: UnitOfWork, rule_set_id: str, *, for_update: bool = False) -> RuleSetRecord:
    record = uow.rule_sets.get(rule_set_id, for_update=for_update)
    if record is None:
        raise NotFound("rule set", rule_set_id)
    return record


def summary(record: RuleSetRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "version": record.version, "status": record.status}


def diff_documents(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Every changed leaf with its path (`rules[1].strategy.split`), in document order."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in list(before) + [k for k in after if k not in before]:
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                changes.append({"path": where, "change": "removed", "before": before[key]})
            elif key not in before:
                changes.append({"path": where, "change": "added", "after": after[key]})
            else:
                changes += diff_documents(before[key], after[key], where)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            where = f"{path}[{index}]"
            if index >= len(after):
                changes.append({"path": where, "change": "removed", "before": before[index]})
            elif index >= len(before):
                changes.append({"path": where, "change": "added", "after": after[index]})
            else:
                changes += diff_documents(before[index], after[index], where)
        return changes
    if before == after and type(before) is type(after):
        return []
    return [{"path": path, "change": "changed", "before": before, "after": after}]
