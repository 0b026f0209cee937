"""Fake file uploads: files.getUploadURLExternal, the upload URL, files.completeUploadExternal.

The bytes POSTed to the upload URL are kept, so tests can check what was shared (a PNG,
a CSV) and where.
"""

from __future__ import annotations

import copy
import itertools
import json
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .api_chat import bot_message
from .apiargs import Handler, present, require
from .state import ApiError, Workspace

MAX_FILE_BYTES = 1_000_000_000  # Slack's limit is 1 GB


@dataclass
class FakeFile:
    """One file: announced, uploaded, then shared (completed) in a channel."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    completed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FileStore:
    """Files in flight and shared; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, FakeFile] = {}
        self._ids = itertools.count(1)

    def announce(self, filename: str, length: int) -> FakeFile:
        """Reserve an id for an upload."""
        with self._lock:
            file = FakeFile(id=f"F{next(self._ids):08d}", filename=filename, length=length)
            self._files[file.id] = file
            return file

    def receive(self, file_id: str, content: bytes) -> str | None:
        """Store uploaded bytes; returns a problem description, or None when fine."""
        with self._lock:
            file = self._files.get(file_id)
            if file is None:
                return f"upload to unknown file id {file_id!r}"
            if file.completed:
                return f"upload to {file_id} after files.completeUploadExternal"
            file.content = content
            if len(content) != file.length:
                return f"{file_id}: uploaded {len(content)} bytes, announced length {file.length}"
            return None

    def get(self, file_id: str) -> FakeFile | None:
        """A file by id."""
        with self._lock:
            return self._files.get(file_id)

    def shared(self) -> list[FakeFile]:
        """Completed files, in upload order."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._files.values() if f.completed]

    def clear(self) -> None:
        """Forget every file."""
        with self._lock:
            self._files.clear()


def _share(ws: Workspace, channel: str, args: dict[str, Any], files: list[Any]) -> None:
    """Post the file share Slack shows in the channel (a bot message with `files`)."""
    shares = []
    for file in files:
        kind = mimetypes.guess_type(file.filename)[0] or "application/octet-stream"
        shares.append(
            {
                "id": file.id,
                "name": file.filename,
                "title": file.title,
                "mimetype": kind,
                "filetype": file.filename.rsplit(".", 1)[-1].lower(),
                "size": file.length,
                "url_private": f"/files/{file.id}",
            }
        )
    message = bot_message(ws, ws.clock.next(), {"text": args.get("initial_comment") or ""})
    message.update(subtype="file_share", files=shares, upload=True)
    if present(args, "thread_ts"):
        message["thread_ts"] = ws.thread_root_ts(channel, str(args["thread_ts"]))
    ws.store_message(channel, message)


def file_methods(store: FileStore, base_url: Callable[[], str]) -> dict[str, Handler]:
    """The Web API methods backed by `store`; upload URLs point at `base_url()/upload/`."""

    def get_upload_url(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(require(args, "filename"))
        try:
            length = int(require(args, "length"))
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", "length must be an integer") from None
        if not 0 < length <= MAX_FILE_BYTES:
            raise ApiError("invalid_arguments", f"length out of range: {length}")
        file = store.announce(filename, length)
        return {"ok": True, "file_id": file.id, "upload_url": f"{base_url()}/upload/{file.id}"}

    def complete_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        raw = require(args, "files")
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise ApiError("invalid_arguments", "files is not JSON") from None
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments", "files must be a non-empty JSON array")
        channel = None
        if present(args, "channel_id"):
            channel = ws.resolve_channel(args["channel_id"])
            if channel is None:
                raise ApiError("channel_not_found")
        answered = []
        for entry in entries:
            file = store.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if file is None:
                raise ApiError("file_not_found", f"unknown file in files: {entry!r}")
            if file.content is None or len(file.content) != file.length:
                raise ApiError("file_upload_incomplete", f"{file.id} was not fully uploaded")
            file.title = entry.get("title") or file.filename
            file.channel = channel
            file.initial_comment = args.get("initial_comment") or None
            file.completed = True
            answered.append({"id": file.id, "name": file.filename, "title": file.title})
        if channel is not None:
            _share(ws, channel, args, [store.get(entry["id"]) for entry in answered])
        return {"ok": True, "files": answered}

    return {
        "files.getUploadURLExternal": get_upload_url,
        "files.completeUploadExternal": complete_upload,
    }
