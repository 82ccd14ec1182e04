"""Uploaded import files kept on the server between the preview and the confirmation, keyed by a random token.

Nothing reaches the database before the confirmation: the file and its options wait here (outside the web root,
under the upload folder), readable only by the user who uploaded them, for at most a day.
"""

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from portal.core import timeutil
from portal.core.errors import DomainError, NotFound

SUFFIXES = (".xlsx", ".csv")
MAX_AGE = timedelta(days=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass
class Staged:
    token: str
    kind: str
    user_id: int
    filename: str  # as uploaded, for the audit log and the pages
    suffix: str
    params: dict
    created_at: str  # ISO, UTC

    @property
    def path(self) -> Path:
        return _folder() / f"{self.token}{self.suffix}"


def _folder() -> Path:
    folder = Path(current_app.config["PORTAL_UPLOAD_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_json(path: Path, data: dict) -> None:
    """Write then rename, so a reader never sees half a file."""
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def _sweep(folder: Path) -> None:
    """Forget uploads nobody confirmed within MAX_AGE."""
    oldest = time.time() - MAX_AGE.total_seconds()
    for path in folder.iterdir():
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def stage(actor, kind: str, upload, params: dict) -> Staged:
    _sweep(_folder())
    filename = Path(upload.filename or "").name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise DomainError("只能导入 .xlsx 或 .csv 文件（Excel 或 WPS 中“另存为”即可）。", field="file")
    staged = Staged(
        token=secrets.token_urlsafe(24),
        kind=kind,
        user_id=actor.id,
        filename=filename,
        suffix=suffix,
        params=params,
        created_at=timeutil.utcnow().isoformat(),
    )
    upload.save(staged.path)
    _write_json(_folder() / f"{staged.token}.json", asdict(staged))
    return staged


def load(actor, token: str) -> Staged:
    """The staged upload of `actor`; anyone else's, an expired one or a garbled token is not found."""
    meta = _folder() / f"{token}.json" if TOKEN.fullmatch(token or "") else None
    if meta is None or not meta.is_file():
        raise NotFound("导入文件不存在或已过期，请重新上传。")
    staged = Staged(**json.loads(meta.read_text(encoding="utf-8")))
    age = timeutil.utcnow() - datetime.fromisoformat(staged.created_at)
    if staged.user_id != actor.id or age > MAX_AGE or not staged.path.is_file():
        raise NotFound("导入文件不存在或已过期，请重新上传。")
    return staged


def set_progress(staged: Staged, done: int, total: int) -> None:
    _write_json(_folder() / f"{staged.token}.progress", {"done": done, "total": total})


def progress(staged: Staged) -> dict:
    path = _folder() / f"{staged.token}.progress"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"done": 0, "total": 0}


def discard(staged: Staged) -> None:
    for suffix in (staged.suffix, ".json", ".progress"):
        (_folder() / f"{staged.token}{suffix}").unlink(missing_ok=True)
