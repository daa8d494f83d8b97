"""The directory transport: outbound documents are written into the partner's outbound directory, inbound ones
read from its inbound directory (a mounted share, or the folders an SFTP or AS2 gateway keeps in sync).

Writes are atomic (a temporary name, then a rename), so the partner never picks up half a file. An inbound file
is moved to `processed/` once its interchange went through the pipeline (applied, or logged as not applied) and
left in place when the pipeline itself failed (the database was down): the next round takes it again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ordermesh.services.edi_inbound import DocumentNotApplied
from ordermesh.services.erp_handoff import erp_file_name
from ordermesh.services.partner_ports import EdiDocument, PartnerRecord

log = logging.getLogger(__name__)
PROCESSED = "processed"
SUFFIXES = (".x12", ".edi", ".txt", ".dat")  # inbound X12 files (JSON partners post to the API)


def file_name(record: PartnerRecord, document: EdiDocument) -> str:
    """The name a document is delivered under, by every transport: an ERP document's number in the partner's
    format (`INV-shp_01J....json`); else its type, control number and id (`940_17-0001_edi_01J....x12`)."""
    erp = erp_file_name(record, document)
    if erp is not None:
        return erp
    suffix = ".json" if document.type.startswith("json:") else ".x12"
    return f"{document.type}_{document.control_number or document.id}_{document.id}{suffix}".replace(":", "-")


class DirectoryTransport:
    def deliver(self, record: PartnerRecord, document: EdiDocument) -> str | None:
        outbound = record.partner.transport.outbound
        if not outbound:
            return "the partner's transport has no outbound directory"
        folder = Path(outbound)
        name = file_name(record, document)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{name}.part"
            partial.write_text(document.raw, encoding="latin-1", errors="replace")
            os.replace(partial, folder / name)
        except OSError as exc:
            return f"cannot write {folder / name}: {exc}"
        return None

    def poll(self, record: PartnerRecord, receive: Callable[[str], object]) -> int:
        """Run every file waiting in the inbound directory through `receive`, oldest first; return how many."""
        inbound = record.partner.transport.inbound
        if not inbound or not Path(inbound).is_dir():
            return 0
        folder = Path(inbound)
        files = sorted(
            (
                p
                for p in folder.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUFFIXES
            ),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        done = 0
        for path in files:
            text = path.read_bytes().decode("latin-1")
            try:
                receive(text)
            except DocumentNotApplied:
                pass  # logged by the pipeline with its errors: the file is done
            except Exception:
                log.exception("inbound file %s not processed; it is tried again", path)
                continue
            (folder / PROCESSED).mkdir(exist_ok=True)
            os.replace(path, folder / PROCESSED / path.name)
            done += 1
        return done
