"""Raise, update and resolve exceptions; list them for the people who act on them.

Raising happens inside the unit of work that found the problem, so an exception exists exactly when the
problem was recorded. The same problem raised again while open adds an occurrence (no second event); a cause
that goes away (a failed document applied when sent again) resolves its exception on its own.
"""

from __future__ import annotations

from dataclasses import replace

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import IllegalTransition, NotFound
from ordermesh.domain.events import Event
from ordermesh.domain.exception_queue import (
    SUMMARY_CHARS,
    ExceptionStatus,
    OpsException,
    RaisedException,
)
from ordermesh.services.context import AppContext
from ordermesh.services.ports import Page, UnitOfWork


def raise_exception(uow: UnitOfWork, ctx: AppContext, raised: RaisedException) -> OpsException:
    """Open an exception for a problem, or add an occurrence to the one open for it."""
    now = ctx.clock.now()
    summary = raised.summary[:SUMMARY_CHARS]
    existing = uow.exceptions.open_by_key(raised.key)
    if existing is not None:
        updated = replace(
            existing,
            summary=summary,
            evidence=dict(raised.evidence),
            occurrences=existing.occurrences + 1,
            updated_at=now,
        )
        uow.exceptions.save(updated)
        return updated
    opened = OpsException(
        ctx.ids("exc"),
        raised.kind,
        raised.subject[:200],
        summary,
        dict(raised.evidence),
        ExceptionStatus.OPEN,
        raised.key,
        1,
        now,
        now,
    )
    uow.exceptions.add(opened)
    uow.outbox.add([Event("ordermesh.exception.raised", opened.id, opened.picture())], now)
    return opened


def resolve_open(uow: UnitOfWork, ctx: AppContext, key: str, resolution: str, by: str) -> OpsException | None:
    """Resolve the exception open for a problem, if there is one (its cause went away)."""
    existing = uow.exceptions.open_by_key(key)
    if existing is None:
        return None
    return _resolved(uow, ctx, existing, resolution, by)


def resolve(ctx: AppContext, *, exception_id: str, resolution: str, actor: Principal) -> OpsException:
    """A person resolved an exception, saying how. Raises NotFound, IllegalTransition (resolved already)."""

    def work(uow: UnitOfWork) -> OpsException:
        existing = uow.exceptions.get(exception_id)
        if existing is None:
            raise NotFound("exception", exception_id)
        if existing.status != ExceptionStatus.OPEN:
            raise IllegalTransition("exception", exception_id, existing.status.value, "resolve it")
        done = _resolved(uow, ctx, existing, resolution, actor.name)
        uow.audit.record(
            actor=actor, action="exception.resolve", entity="exception", entity_id=exception_id,
            before=existing.picture(), after=done.picture(), at=done.updated_at,
        )  # fmt: skip
        return done

    return ctx.transaction(work)


def _resolved(uow: UnitOfWork, ctx: AppContext, existing: OpsException, resolution: str, by: str) -> OpsException:
    now = ctx.clock.now()
    done = replace(
        existing,
        status=ExceptionStatus.RESOLVED,
        resolved_at=now,
        resolved_by=by,
        resolution=resolution[:SUMMARY_CHARS],
        updated_at=now,
    )
    uow.exceptions.save(done)
    uow.outbox.add([Event("ordermesh.exception.resolved", done.id, done.picture())], now)
    return done


def get_exception(ctx: AppContext, exception_id: str) -> OpsException:
    found = ctx.read(lambda uow: uow.exceptions.get(exception_id))
    if found is None:
        raise NotFound("exception", exception_id)
    return found


def list_exceptions(ctx: AppContext, *, status: str | None, kind: str | None, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.exceptions.page(status=status, kind=kind, after=after, limit=limit))
