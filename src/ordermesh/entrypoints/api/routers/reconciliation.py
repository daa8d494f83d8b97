"""/v1/reconciliation/runs: compare partners' figures with Ordermesh's now, and read the reports (JSON or CSV)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from ordermesh.domain.reconciliation import Check, ReconciliationRun, Tolerances, csv_report
from ordermesh.entrypoints.api.schemas.common import Input, PageOut
from ordermesh.entrypoints.api.security import Ctx, InventoryManager, Reader
from ordermesh.services import reconciliation

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])
CSV = "text/csv"


class TolerancesIn(Input):
    units: int = Field(default=0, ge=0, le=1_000_000, description="Stock differences up to this many units are fine")
    percent: float = Field(default=0.0, ge=0, le=100, description="... or up to this share of Ordermesh's count")
    money: Decimal = Field(default=Decimal("0.00"), ge=0, description="Invoice differences up to this amount are fine")
    invoice_grace_days: int = Field(
        default=3, ge=0, le=365, description="Days a vendor has to invoice a shipment, and an ERP to acknowledge one"
    )
    erp_window_days: int = Field(default=30, ge=1, le=366, description="How far back shipments are checked (erp)")


class RunIn(Input):
    checks: list[Check] = Field(default_factory=lambda: list(Check), min_length=1)
    tolerances: TolerancesIn = Field(default_factory=TolerancesIn)


class RunOut(BaseModel):
    id: str
    status: str
    checks: list[str]
    tolerances: dict[str, Any]
    summary: dict[str, Any]
    discrepancies: list[dict[str, Any]] = Field(
        description="check, subject, detail, expected, actual, difference, evidence"
    )
    error: str | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, run: ReconciliationRun) -> RunOut:
        return cls(
            id=run.id,
            status=run.status.value,
            checks=[c.value for c in run.checks],
            tolerances=run.tolerances.data(),
            summary=dict(run.summary),
            discrepancies=[d.data() for d in run.discrepancies],
            error=run.error,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


@router.post("/runs", status_code=201)
def start(body: RunIn, ctx: Ctx, actor: InventoryManager, response: Response) -> RunOut:
    """Reconcile now: every discrepancy beyond the tolerances, with its evidence."""
    t = body.tolerances
    tolerances = Tolerances(t.units, t.percent, t.money, t.invoice_grace_days, t.erp_window_days)
    run = reconciliation.run_reconciliation(ctx, checks=body.checks, tolerances=tolerances, actor=actor)
    response.headers["Location"] = f"/v1/reconciliation/runs/{run.id}"
    return RunOut.of(run)


@router.get("/runs")
def runs(
    ctx: Ctx, _: Reader, after: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> PageOut[RunOut]:
    page = reconciliation.list_runs(ctx, after=after, limit=limit)
    return PageOut[RunOut](data=[RunOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/runs/{run_id}", response_model=RunOut, responses={200: {"content": {CSV: {}}}})
def run(run_id: str, request: Request, ctx: Ctx, _: Reader, format: str | None = None) -> Any:
    """A run's report; as CSV (a row per discrepancy) with `?format=csv` or `Accept: text/csv`."""
    found = reconciliation.get_run(ctx, run_id)
    if format == "csv" or CSV in request.headers.get("accept", ""):
        headers = {"Content-Disposition": f'attachment; filename="{run_id}.csv"'}
        return Response(csv_report(found), media_type=CSV, headers=headers)
    return RunOut.of(found)
