"""Sourcing rule sets and sourcing decisions on the wire.

A rule-set document is free data (YAML or JSON), validated by the domain vocabulary rather than by a
pydantic model: `load_document` only turns the bytes into JSON data that the database can store,
naming the line and column of a syntax error and the path of a value JSON cannot hold.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ordermesh.domain.sourcing.rules import RuleSet, RuleSetInvalid
from ordermesh.entrypoints.api.schemas.common import Input
from ordermesh.entrypoints.api.schemas.orders import OrderIn
from ordermesh.services.ports import Decision, RuleSetRecord, SimulationRun
from ordermesh.services.simulation import SimulationSpec

DocumentFormat = Literal["json", "yaml"]
JSON_MEDIA_TYPES = frozenset({"application/json"})
YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})

# Deeper documents cannot be stored (the JSON encoder stops at 255 levels); no rule set needs a tenth of this.
MAX_DEPTH = 64
_INT64 = 2**63


class MalformedDocument(Exception):
    """The bytes are not a JSON or YAML document; line and column are 1-based when known."""

    def __init__(self, kind: DocumentFormat, problem: str, line: int | None = None, column: int | None = None) -> None:
        where = f" at line {line}, column {column}" if line is not None and column is not None else ""
        super().__init__(f"the body is not valid {kind.upper()}: {problem}{where}")
        self.kind = kind
        self.problem = problem
        self.line = line
        self.column = column


def media_format(content_type: str | None) -> DocumentFormat | None:
    """The document format a Content-Type names (parameters such as charset ignored), or None."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in JSON_MEDIA_TYPES or media.endswith("+json"):
        return "json"
    if media in YAML_MEDIA_TYPES:
        return "yaml"
    return None


def load_document(data: bytes | str, kind: DocumentFormat) -> Any:
    """Parse a rule-set document into JSON data.

    Raises MalformedDocument for a syntax error, RuleSetInvalid (with paths) for values JSON cannot hold.
    """
    try:
        value = _load_json(data) if kind == "json" else _load_yaml(data)
    except RecursionError:
        raise MalformedDocument(kind, "nested too deeply") from None
    return as_json_data(value)


def _load_json(data: bytes | str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(data, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise MalformedDocument("json", exc.msg, exc.lineno, exc.colno) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedDocument("json", str(exc)) from None


# The C loader when PyYAML has it: the same safe constructors as yaml.safe_load, an order of magnitude faster.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(data: bytes | str) -> Any:
    try:
        return yaml.load(data, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if mark is None:
            raise MalformedDocument("yaml", problem) from None
        raise MalformedDocument("yaml", problem, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise MalformedDocument("yaml", str(exc).splitlines()[0] if str(exc) else "unreadable") from None


def as_json_data(value: Any) -> Any:
    """The value as JSON data (YAML dates become ISO strings); RuleSetInvalid names what cannot be stored."""
    problems: list[tuple[str, str]] = []
    converted = _json_value(value, "", 0, problems)
    if problems:
        raise RuleSetInvalid(problems)
    return converted


def _json_value(value: Any, path: str, depth: int, problems: list[tuple[str, str]]) -> Any:
    if depth > MAX_DEPTH:
        problems.append((path, f"nested more than {MAX_DEPTH} levels deep"))
        return None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            problems.append((path, "integer out of range"))
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append((path, f"must be a finite number, got {value}"))
        return value
    if isinstance(value, str):
        if "\x00" in value:
            problems.append((path, "must not contain NUL characters"))
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(entry, f"{path}[{index}]", depth + 1, problems) for index, entry in enumerate(value)]
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, entry in value.items():
            if not isinstance(key, str):
                problems.append((path, f"keys must be strings, got {key!r} (quote it)"))
                continue
            result[key] = _json_value(entry, f"{path}.{key}" if path else key, depth + 1, problems)
        return result
    problems.append((path, f"{type(value).__name__} values are not JSON data"))
    return None


def problem_location(path: str) -> list[str | int]:
    """`rules[2].when.channel` as a problem+json loc: ["body", "rules", 2, "when", "channel"]."""
    loc: list[str | int] = ["body"]
    for part in path.split(".") if path else ():
        name, _, indexes = part.partition("[")
        if name:
            loc.append(name)
        for index in indexes.rstrip("]").split("][") if indexes else ():
            loc.append(int(index) if index.isdigit() else index)
    return loc


# --- responses ------------------------------------------------------------------------------------------


class RuleSetRef(BaseModel):
    """Which rule set decided: a stored version, or the built-in default (id null, built_in true)."""

    id: str | None = None
    name: str | None = None
    version: int | None = None
    built_in: bool = False


class RuleSetOut(BaseModel):
    id: str | None = Field(description="null for the built-in default")
    name: str
    version: int = Field(description="1, 2, ... per name; 0 for the built-in default")
    status: Literal["draft", "active", "archived"]
    built_in: bool = False
    description: str | None = None
    note: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    activated_at: datetime | None = None
    archived_at: datetime | None = None

    @classmethod
    def of(cls, record: RuleSetRecord) -> RuleSetOut:
        return cls(**_record_fields(record))


class RuleSetDetailOut(RuleSetOut):
    document: dict[str, Any]

    @classmethod
    def of(cls, record: RuleSetRecord) -> RuleSetDetailOut:
        return cls(**_record_fields(record), document=record.document)

    @classmethod
    def built_in_default(cls, document: dict[str, Any]) -> RuleSetDetailOut:
        description = document.get("description")
        return cls(
            id=None,
            name=str(document.get("name", "default")),
            version=0,
            status="active",
            built_in=True,
            description=description if isinstance(description, str) else None,
            note="built in: in force until a rule set is activated",
            document=document,
        )


def _record_fields(record: RuleSetRecord) -> dict[str, Any]:
    description = record.document.get("description")
    return {
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "status": record.status,
        "description": description if isinstance(description, str) else None,
        "note": record.note,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "activated_at": record.activated_at,
        "archived_at": record.archived_at,
    }


class RuleSetSummary(BaseModel):
    name: str
    currency: str
    rules: int
    rule_names: list[str]
    order_rules: list[str]
    line_rules: list[str]
    service_levels: list[str] = Field(description="Service levels with a rate card ('*' covers the rest)")

    @classmethod
    def of(cls, rule_set: RuleSet) -> RuleSetSummary:
        return cls(
            name=rule_set.name,
            currency=rule_set.costs.currency,
            rules=len(rule_set.rules),
            rule_names=[rule.name for rule in rule_set.rules],
            order_rules=[rule.name for rule in rule_set.rules if not rule.is_line_rule],
            line_rules=[rule.name for rule in rule_set.rules if rule.is_line_rule],
            service_levels=[card.service_level for card in rule_set.costs.rate_cards],
        )


class ValidationOut(BaseModel):
    valid: Literal[True] = True
    summary: RuleSetSummary


class ChangeOut(BaseModel):
    path: str = Field(examples=["rules[1].strategy.split"])
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class DiffOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: RuleSetRef = Field(alias="from")
    to: RuleSetRef
    changes: list[ChangeOut]


class DecisionOut(BaseModel):
    trigger: str = Field(examples=["capture", "backorder", "rejection", "release"])
    decided_at: datetime
    rule_set: RuleSetRef | None
    explanation: dict[str, Any] = Field(
        description="matched_rule, line_rules, strategy, candidates (nearest first; beyond 50, the nearest 50 and "
        "those of the chosen plan and the runner-up, the rest counted in candidates_not_shown), eliminated "
        "(location, rule, reason), chosen plan with its cost breakdown, runner_up, unfilled and a one-line summary"
    )

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        ref = decision.explanation.get("rule_set")
        if isinstance(ref, dict):
            rule_set = RuleSetRef.model_validate(ref)
        elif decision.rule_set_id is not None:
            rule_set = RuleSetRef(id=decision.rule_set_id)
        else:
            rule_set = None
        return cls(
            trigger=decision.trigger,
            decided_at=decision.decided_at,
            rule_set=rule_set,
            explanation=decision.explanation,
        )


class OrderSourcingOut(BaseModel):
    order_id: str
    decisions: list[DecisionOut] = Field(description="Newest first")


# --- the sandbox ----------------------------------------------------------------------------------------


class PlacedRange(Input):
    """Orders placed from `from` (inclusive) to `to` (exclusive); a date `to` includes that whole day (UTC)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: AwareDatetime | date = Field(alias="from", examples=["2026-11-01"])
    to: AwareDatetime | date = Field(examples=["2026-11-27"])

    def bounds(self) -> tuple[datetime, datetime]:
        start = self.from_ if isinstance(self.from_, datetime) else datetime.combine(self.from_, time(), UTC)
        if isinstance(self.to, datetime):
            return start, self.to
        return start, datetime.combine(self.to + timedelta(days=1), time(), UTC)


class SimulationIn(Input):
    """Replay past orders (a `range` of placed_at, or uploaded `orders`) under a draft rule set and the active one."""

    rule_set_id: str | None = Field(default=None, max_length=40, description="A stored rule set (any status)")
    rule_set: dict[str, Any] | None = Field(default=None, description="Or an inline rule-set document")
    range: PlacedRange | None = None
    orders: list[OrderIn] | None = Field(
        default=None, min_length=1, description="Or orders in the capture API's shape, each with its placed_at"
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> SimulationIn:
        if (self.rule_set_id is None) == (self.rule_set is None):
            raise ValueError("give exactly one of rule_set_id and rule_set")
        if (self.range is None) == (self.orders is None):
            raise ValueError("give exactly one of range and orders")
        return self

    def spec(self) -> SimulationSpec:
        start, end = self.range.bounds() if self.range else (None, None)
        orders = tuple(order.command() for order in self.orders) if self.orders is not None else None
        return SimulationSpec(start, end, orders, self.rule_set_id, self.rule_set)


class SimulationProgress(BaseModel):
    plans_made: int
    plans_to_make: int


class SimulationOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    parameters: dict[str, Any] = Field(description="orders (range or uploaded count), draft and active rule sets")
    result: dict[str, Any] | None = Field(
        description="When done: orders_replayed, draft and active KPIs side by side, difference (draft - active), "
        "elapsed_seconds"
    )
    created_at: datetime
    created_by: str
    started_at: datetime | None = Field(description="When its process began to run it (it was queued until then)")
    finished_at: datetime | None
    error: str | None = Field(
        description="When failed: what went wrong; `abandoned: ...` when the process running it stopped"
    )
    progress: SimulationProgress | None = Field(
        description="Plans made of plans to make (each order once per rule set), once the orders are loaded"
    )
    runner: str | None = Field(description="The process holding the run: role@host:pid/tag")
    heartbeat_at: datetime | None = Field(
        description="When that process last said it still holds the run (queued or running)"
    )
    retry_of: str | None = Field(description="The failed run this one retries")

    @classmethod
    def of(cls, run: SimulationRun) -> SimulationOut:
        progress = None
        if run.plans_made is not None and run.plans_to_make is not None:
            progress = SimulationProgress(plans_made=run.plans_made, plans_to_make=run.plans_to_make)
        return cls.model_validate({**vars(run), "progress": progress})
