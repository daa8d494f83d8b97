"""Settings, read from the environment (prefix ORDERMESH_) or a .env file; no I/O at import."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERMESH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///ordermesh.db", description="SQLAlchemy URL: sqlite:///file.db or postgresql://user@host/db"
    )
    bootstrap_admin_key: str | None = Field(
        default=None, description="Create an admin API key with this value if none exists"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="API processes for `ordermesh serve`")
    embedded_worker: bool = Field(default=True, description="Run the background worker inside the API process")
    db_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="Database connections per process; also how many requests a process works on at once",
    )
    gil_switch_seconds: float = Field(
        default=0.0005, gt=0, le=0.1, description="Python's thread switch interval in API processes"
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body accepted")
    source: str = Field(default="/ordermesh", description="CloudEvents `source` of every event")
    log_level: str = "info"
    log_events: bool = Field(default=False, description="Relay every event to the log (debugging)")
    nats_url: str | None = Field(
        default=None, description="Relay every event to NATS JetStream at this URL (nats://host:4222); unset: off"
    )
    nats_stream: str = Field(
        default="ORDERMESH", pattern=r"^[A-Za-z0-9_-]+$", description="JetStream stream for the ordermesh.> subjects"
    )
    nats_duplicate_window_seconds: float = Field(
        default=120, gt=0, description="How long JetStream drops a re-published event (same Nats-Msg-Id)"
    )
    nats_publish_timeout_seconds: float = Field(
        default=5, gt=0, le=300, description="How long the relay waits for NATS to connect or acknowledge a batch"
    )
    release_delay_seconds: float = Field(
        default=900, ge=0, description="How long new fulfilment work stays open to re-optimisation before release"
    )
    reoptimise_every_seconds: float = Field(
        default=300, ge=0, description="How often the worker re-optimises unreleased work (0: never)"
    )
    reoptimise_min_saving: float = Field(
        default=0.50, ge=0, description="Least saving (rule-set currency) for which re-optimisation moves an order"
    )
    simulation_stale_seconds: float = Field(
        default=120,
        ge=10,  # heartbeats carry each host's clock: a margin over the skew NTP leaves, and over a slow database
        le=86400,
        description="A sandbox run whose process has not sent a heartbeat for this long is failed as abandoned",
    )
    outbound_allow_private: bool = Field(
        default=False,
        description="Let webhooks and channel pushes reach addresses inside the network (private, loopback, ...)",
    )
    edi_every_seconds: float = Field(
        default=30, ge=0, description="How often the worker exchanges documents with trading partners (0: never)"
    )
    partner_https_timeout_seconds: float = Field(
        default=30, gt=0, le=300, description="How long a partner's HTTPS endpoint may take to take a document"
    )
    reconcile_every_seconds: float = Field(
        default=86400, ge=0, description="How often the worker reconciles partners' figures with Ordermesh's (0: never)"
    )
    channel_push_max_attempts: int = Field(
        default=12, ge=1, le=100, description="Attempts of a status push to a channel before it is dead-lettered"
    )
    channel_push_timeout_seconds: float = Field(
        default=15, gt=0, le=120, description="How long one call to a channel's API may take before the try fails"
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, le=100, description="Attempts of a webhook delivery before it is dead-lettered"
    )
    webhook_backoff_base_seconds: float = Field(
        default=1, gt=0, description="Wait after a webhook's first failed attempt; doubles each time (with jitter)"
    )
    webhook_backoff_cap_seconds: float = Field(
        default=3600, gt=0, description="Longest wait between two attempts of a webhook delivery"
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, le=60, description="How long a webhook receiver may take to answer before the try fails"
    )
    webhook_concurrency: int = Field(default=4, ge=1, le=64, description="Webhook deliveries sent at once per worker")
    company_name: str | None = Field(
        default=None, max_length=200, description="Exporter on commercial invoices (unset: the location's name)"
    )
    company_tax_ids: str = Field(
        default="", description="Registrations on commercial invoices: SCHEME=VALUE, comma-separated (EORI=GB1...)"
    )
    company_phone: str | None = Field(default=None, max_length=40, description="Exporter's phone on invoices")
    company_email: str | None = Field(default=None, max_length=200, description="Exporter's email on invoices")
    company_signatory: str | None = Field(
        default=None, max_length=100, description="Who signs commercial invoices (unset: a line to sign by hand)"
    )
    customs_incoterm: Literal["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"] = Field(
        default="DAP", description="Incoterm of commercial invoices unless a destination or channel is sold DDP"
    )
    customs_ddp_countries: str = Field(
        default="", description="Destinations shipped delivered duty paid (DDP): ISO country codes, comma-separated"
    )
    customs_ddp_channels: str = Field(
        default="", description="Channels whose orders are sold delivered duty paid (DDP), comma-separated"
    )
    customs_package_weight_grams: int = Field(
        default=0, ge=0, le=1_000_000, description="Packaging per package, added to the net weight for the gross weight"
    )

    @field_validator("company_tax_ids")
    @classmethod
    def _tax_ids(cls, value: str) -> str:
        for entry in comma_list(value):
            scheme, _, number = entry.partition("=")
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9 ._-]{0,19}", scheme.strip()) or not number.strip():
                raise ValueError(f"'{entry}' is not SCHEME=VALUE, e.g. EORI=GB123456789000")
        return value

    @field_validator("customs_ddp_countries")
    @classmethod
    def _countries(cls, value: str) -> str:
        for code in comma_list(value):
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 code such as GB")
        return value

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("must be at least 16 characters: it is an admin credential")
        return value


def comma_list(value: str) -> list[str]:
    """The non-blank entries of a comma-separated setting, stripped."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]
