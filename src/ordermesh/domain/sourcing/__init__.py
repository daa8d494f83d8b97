"""Sourcing: which locations reserve which units of an order, and why."""

from ordermesh.domain.sourcing.model import (
    AllocationPlan,
    Candidate,
    LineDemand,
    SourcingPolicy,
    SourcingRequest,
)

__all__ = ["AllocationPlan", "Candidate", "LineDemand", "SourcingPolicy", "SourcingRequest"]
