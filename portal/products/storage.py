"""Storing and serving PDF attachments (DESIGN §3).

Files are checked by content (the `%PDF-` magic bytes), never by name or declared type, read with a hard size
cap (Content-Length is not trusted). Where the bytes go depends on the database:
- PostgreSQL (several app nodes may serve one database): in the database itself, as AttachmentChunk rows
  written in the same transaction as the Attachment row, so every node can serve every file, a backup of the
  database holds them, and a crash or rollback leaves neither row nor bytes behind. Downloads stream one
  chunk at a time.
- SQLite (one machine): under PORTAL_UPLOAD_DIR, outside the web root, with a server-chosen random name. A
  file written in a transaction that is then rolled back is deleted again, so a refused form leaves nothing.
"""

import hashlib
import io
import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.extensions import db
from portal.products.models import Attachment, AttachmentChunk

PDF_MAGIC = b"%PDF-"
CHUNK = 64 * 1024
MAX_KIND_LENGTH = 32
MAX_NAME_LENGTH = 255
_PENDING_KEY = "portal_new_files"
DB_CHUNK = 256 * 1024  # bytes per AttachmentChunk row: a 20 MB file is 80 rows


def in_database() -> bool:
    """Attachments live in the database on PostgreSQL, in the upload folder on SQLite."""
    return db.engine.dialect.name == "postgresql"


def upload_dir() -> Path:
    path = Path(current_app.config["PORTAL_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(attachment: Attachment) -> Path:
    # stored_name is always ours (token_hex + .pdf); the check guards against a tampered row.
    name = attachment.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"unsafe stored name {name!r}")
    return upload_dir() / name


def limit_label(max_bytes: int) -> str:
    """The configured limit as people say it: 20 MB, 512 KB."""
    if max_bytes >= 1024 * 1024 and max_bytes % (1024 * 1024) == 0:
        return f"{max_bytes // (1024 * 1024)} MB"
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes / (1024 * 1024):.1f} MB"
    if max_bytes >= 1024:
        return f"{max_bytes // 1024} KB"
    return f"{max_bytes} 字节"


def _clean_name(filename: str | None) -> str:
    """The original name, only for display and the download name: no path, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "附件.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    if len(name) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - 4] + ".pdf"
    return name


def store_pdf(actor, upload, kind: str, *, company=None, product=None, objection=None, field: str = "file"):
    """Check and store one uploaded PDF; returns the new Attachment (added to the session, flushed).

    Raises DomainError(field=`field`) for a missing, empty, non-PDF or oversized file. The caller commits.
    """
    kind = (kind or "").strip()
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise DomainError("请选择附件类型。", field="kind")
    if upload is None or not getattr(upload, "filename", None):
        raise DomainError("请选择要上传的 PDF 文件。", field=field)
    stored_name = secrets.token_hex(16) + ".pdf"
    if in_database():
        with tempfile.TemporaryFile() as spool:
            size, digest = _checked_copy(upload, spool, field)
            attachment = _new_attachment(actor, upload, kind, stored_name, size, digest, company, product, objection)
            spool.seek(0)
            _copy_into_database(spool, attachment.id)
    else:
        final = upload_dir() / stored_name
        partial = final.with_name(stored_name + ".part")
        try:
            with partial.open("xb") as out:
                size, digest = _checked_copy(upload, out, field)
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _remember_new_file(final)
        attachment = _new_attachment(actor, upload, kind, stored_name, size, digest, company, product, objection)
    if product is not None and attachment not in product.attachments:
        product.attachments.append(attachment)
    return attachment


def _checked_copy(upload, out, field: str) -> tuple[int, str]:
    """Copy the upload into `out`, refusing empty, non-PDF and oversized files; returns (size, sha256)."""
    max_bytes = current_app.config["PORTAL_UPLOAD_MAX_BYTES"]
    digest = hashlib.sha256()
    size = 0
    head = b""
    while True:
        # Read at most one byte past the limit: enough to know it is too big, never more.
        chunk = upload.stream.read(min(CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        if len(head) < len(PDF_MAGIC):
            head += chunk[: len(PDF_MAGIC) - len(head)]
        size += len(chunk)
        if size > max_bytes:
            raise DomainError(
                f"文件「{_clean_name(upload.filename)}」超过 {limit_label(max_bytes)} 上限，请压缩或拆分后重新上传。",
                field=field,
            )
        digest.update(chunk)
        out.write(chunk)
    if size == 0:
        raise DomainError(f"文件「{_clean_name(upload.filename)}」是空的，请重新选择。", field=field)
    if head != PDF_MAGIC:
        raise DomainError(
            f"文件「{_clean_name(upload.filename)}」不是 PDF 文件（按文件内容检查，而非扩展名），"
            "请上传 PDF 格式的文件。",
            field=field,
        )
    return size, digest.hexdigest()


def _copy_into_database(spool, attachment_id: int) -> None:
    # Core inserts, one chunk at a time: the bytes never sit in the session's identity map.
    seq = 0
    while chunk := spool.read(DB_CHUNK):
        db.session.execute(insert(AttachmentChunk), [{"attachment_id": attachment_id, "seq": seq, "data": chunk}])
        seq += 1


def _new_attachment(actor, upload, kind, stored_name, size, digest, company, product, objection) -> Attachment:
    attachment = Attachment(
        company_id=company.id if company is not None else (product.company_id if product is not None else None),
        product_id=product.id if product is not None else None,
        objection_id=objection.id if objection is not None else None,
        kind=kind,
        original_name=_clean_name(upload.filename),
        stored_name=stored_name,
        size=size,
        sha256=digest,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _bytes_in_database(attachment: Attachment) -> bool:
    # Files uploaded before the move to PostgreSQL may still be in the folder: served from there.
    return (
        in_database()
        and db.session.scalar(
            select(AttachmentChunk.seq).where(AttachmentChunk.attachment_id == attachment.id).limit(1)
        )
        is not None
    )


def is_stored(attachment: Attachment) -> bool:
    """Whether the attachment's bytes are there to serve (in the database, or else in the upload folder)."""
    return _bytes_in_database(attachment) or path_of(attachment).is_file()


class _DatabaseFile(io.RawIOBase):
    """An attachment's chunks read one at a time, each with a short-lived connection of its own, so a slow
    client holds neither a connection nor the whole file while the response streams."""

    def __init__(self, engine, attachment_id: int):
        self._engine, self._id, self._seq, self._buffer = engine, attachment_id, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        if not self._buffer:
            with self._engine.connect() as conn:
                query = select(AttachmentChunk.data).where(
                    AttachmentChunk.attachment_id == self._id, AttachmentChunk.seq == self._seq
                )
                self._buffer = bytes(conn.scalar(query) or b"")
            self._seq += 1
        n = min(len(target), len(self._buffer))
        target[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        return n


def send_attachment(attachment: Attachment, inline: bool = False):
    """The file as a download (or inline for viewing in the browser, sandboxed)."""
    stored_in_db = _bytes_in_database(attachment)
    response = send_file(
        _DatabaseFile(db.engine, attachment.id) if stored_in_db else path_of(attachment),
        mimetype="application/pdf",
        as_attachment=not inline,
        download_name=attachment.original_name,  # Werkzeug adds filename*=UTF-8''… for non-ASCII names
        conditional=True,
        etag=attachment.sha256,
        last_modified=attachment.created_at,
        max_age=0,
    )
    if stored_in_db:
        response.content_length = attachment.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        # A PDF shown in the browser must not run anything of its own with this site's origin.
        response.headers["Content-Security-Policy"] = "sandbox"
    return response


# Files written during a transaction are forgotten on commit and deleted on rollback -------------------------


def _remember_new_file(path: Path) -> None:
    db.session.info.setdefault(_PENDING_KEY, []).append(str(path))


@event.listens_for(Session, "after_commit")
def _forget_new_files(session):
    session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_new_files(session, previous_transaction):
    if previous_transaction.parent is not None:  # a savepoint: the outer transaction may still commit
        return
    for name in session.info.pop(_PENDING_KEY, []):
        Path(name).unlink(missing_ok=True)
