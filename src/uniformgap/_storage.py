"""Run directories at a URI (``s3://bucket/prefix``, ``gs://bucket/prefix``) through pyarrow filesystems.

A :class:`RunStore` is a run directory on object storage: ``pyarrow.fs.FileSystem.from_uri`` gives
the filesystem and the root path; credentials, region and endpoint come from the URI's query
(``?endpoint_override=host:port&scheme=http``) or the usual environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``GOOGLE_APPLICATION_CREDENTIALS``, ...).

Readers work on a local copy: :func:`cache_dir` is the one local directory of a URI (under
``$UNIFORMGAP_CACHE``, default ``~/.cache/uniformgap``) and :meth:`RunStore.get` mirrors a part of
the run into it, each file written atomically. Writers upload files one by one
(:meth:`RunStore.put`); an object store makes each object visible only once it is complete, so a
reader never sees half a file, and the order of uploads (a trial's ``done.json`` last) decides what
a reader may take as finished. Local paths never come here (:func:`is_uri` is a string test).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from ._atomic import write_atomic
from ._errors import InputError

SCHEMES = ("s3", "gs", "gcs")
_PROGRESS_FILES = 50  # a download of this many files shows a progress bar (tens of ms per request)
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_uri(location: Any) -> bool:
    """Whether ``location`` is a URI (``scheme://...``) rather than a local path."""
    return isinstance(location, str) and _URI.match(location) is not None


def cache_dir(uri: str) -> Path:
    """The local copy of the run at ``uri``: ``$UNIFORMGAP_CACHE/runs/<readable>-<hash>``
    (default cache root ``$XDG_CACHE_HOME/uniformgap`` or ``~/.cache/uniformgap``)."""
    root = os.environ.get("UNIFORMGAP_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uniformgap"
    readable = re.sub(r"[^A-Za-z0-9=.,_-]+", "_", uri.split("?")[0])[-80:]
    return Path(root) / "runs" / f"{readable}-{hashlib.sha256(uri.encode()).hexdigest()[:10]}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class RunStore:
    """A run directory at ``uri``: ``fs`` (a pyarrow filesystem) and ``root`` (its path there)."""

    def __init__(self, uri: str, fs, root: str) -> None:
        self.uri, self.fs, self.root = uri, fs, root.rstrip("/")

    @classmethod
    def connect(cls, uri: str) -> "RunStore":
        """The store at ``uri`` without checks (a trial worker: the driver has checked it)."""
        from pyarrow import fs as pafs

        fs, root = pafs.FileSystem.from_uri(uri)
        return cls(uri, fs, root)

    @classmethod
    def open(cls, uri: str, *, argument: str) -> "RunStore":
        """The store at ``uri``, checked: a known scheme, a filesystem that opens, a bucket that
        exists and can be read. Each failure is one ``InputError`` line naming ``argument``."""
        scheme = _URI.match(uri).group(1).lower()
        example = f"(e.g. {argument} s3://my-bucket/runs/quick)"
        if scheme not in SCHEMES:
            allowed = ", ".join(f"{s}://" for s in SCHEMES)
            raise InputError(f"`{argument}` must be a local path or a URI with scheme {allowed}, got {uri!r} {example}")
        try:
            store = cls.connect(uri)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid/OSError/ValueError here
            raise InputError(f"`{argument}` {uri!r} cannot be opened: {_first_line(exc)} {example}") from None
        bucket = store.root.split("/")[0]
        if not bucket:
            raise InputError(f"`{argument}` must name a bucket, got {uri!r} {example}")
        try:
            info = store.fs.get_file_info(bucket)
        except OSError as exc:
            raise InputError(f"`{argument}` {uri!r}: {_access_error(exc)}") from None
        from pyarrow import fs as pafs

        if info.type == pafs.FileType.NotFound:
            raise InputError(f"`{argument}` bucket {bucket!r} does not exist, got {uri!r} "
                             f"(create it first, e.g. aws s3 mb {scheme}://{bucket})")
        try:
            store.list("")
        except OSError as exc:
            raise InputError(f"`{argument}` {uri!r}: {_access_error(exc)}") from None
        return store

    # -- paths -------------------------------------------------------------------------------
    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}".rstrip("/") if rel else self.root

    def list(self, rel: str) -> dict[str, Any]:
        """Files under ``rel`` (a folder): path relative to the run root -> FileInfo."""
        from pyarrow import fs as pafs

        base = self.path(rel)
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        return {i.path[len(self.root) + 1:]: i for i in infos if i.type == pafs.FileType.File}

    def exists(self, rel: str) -> bool:
        from pyarrow import fs as pafs

        return self.fs.get_file_info(self.path(rel)).type == pafs.FileType.File

    def is_empty(self) -> bool:
        return not self.list("")

    def read_bytes(self, rel: str) -> bytes | None:
        """The bytes of the file ``rel``, None when there is none."""
        try:
            with self.fs.open_input_stream(self.path(rel)) as stream:
                return stream.readall()
        except FileNotFoundError:
            return None

    # -- transfers ---------------------------------------------------------------------------
    def put(self, local_root: Path, rel: str) -> None:
        """Upload ``local_root/rel`` (a file, or a folder with everything below it) to ``root/rel``."""
        source = Path(local_root) / rel
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for path in files:
            self.put_file(path, path.relative_to(local_root).as_posix())

    def put_file(self, local: Path, rel: str) -> None:
        data = Path(local).read_bytes()
        with self.fs.open_output_stream(self.path(rel)) as out:
            out.write(data)

    def get(self, rel: str, local_root: Path, *, reuse: bool = False) -> int:
        """Mirror ``root/rel`` (a file or a folder) into ``local_root/rel``: every remote file is
        downloaded (atomically), local files the store does not hold are removed. ``reuse`` keeps a
        local file of the same size (for files written once: students, teachers). Returns the
        number of files downloaded."""
        from pyarrow import fs as pafs

        local_root = Path(local_root)
        remote = self.list(rel)  # a folder's files; none for a file or nothing
        if not remote and (info := self.fs.get_file_info(self.path(rel))).type == pafs.FileType.File:
            remote = {rel: info}
        target = local_root / rel
        if target.is_dir():
            for path in target.rglob("*"):
                if path.is_file() and path.relative_to(local_root).as_posix() not in remote:
                    path.unlink()
        elif target.is_file() and rel not in remote:
            target.unlink()
        todo = [name for name, info in remote.items()
                if not (reuse and (local_root / name).is_file() and (local_root / name).stat().st_size == info.size)]
        from tqdm.auto import tqdm

        n = 0
        for name in tqdm(todo, desc=f"download {rel}", unit="file", file=sys.stderr, leave=False,
                         disable=len(todo) < _PROGRESS_FILES):
            data = self.read_bytes(name)
            if data is None:  # removed since it was listed
                continue
            write_atomic(local_root / name, lambda tmp: Path(tmp).write_bytes(data))
            n += 1
        return n

    def delete(self, rel: str) -> None:
        """Remove ``root/rel`` (a file or a folder); nothing when it is absent."""
        from pyarrow import fs as pafs

        info = self.fs.get_file_info(self.path(rel))
        if info.type == pafs.FileType.File:
            self.fs.delete_file(self.path(rel))
        elif info.type == pafs.FileType.Directory:
            self.fs.delete_dir(self.path(rel))


def _access_error(exc: OSError) -> str:
    text = _first_line(exc)
    if any(k in text for k in ("ACCESS_DENIED", "AccessDenied", "403", "credential", "Credential", "401")):
        return ("access denied: missing or wrong credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or "
                f"AWS_PROFILE for s3://, GOOGLE_APPLICATION_CREDENTIALS for gs://) ({text})")
    return f"cannot be read ({text})"


def local_run(location: str | os.PathLike, *, argument: str) -> Path:
    """The local directory of a run: ``location`` itself, or for a URI its cache copy, mirrored
    from the store first (students and teachers of the same size are reused)."""
    if not is_uri(location):
        return Path(location)
    store = RunStore.open(str(location), argument=argument)
    local = cache_dir(store.uri)
    pull_run(store, local)
    return local


def pull_run(store: RunStore, local: Path, *, only: tuple[str, ...] | None = None) -> None:
    """Mirror the run at ``store`` into ``local`` (files written once are reused); ``only``: just
    these entries of the run's root (the rest of ``local`` is left alone)."""
    local.mkdir(parents=True, exist_ok=True)
    names = {name.split("/")[0] for name in store.list("")}
    if only is not None:
        names &= set(only)
    for entry in list(local.iterdir()):
        keep = entry.name in names or entry.name == "ray" or (only is not None and entry.name not in only)
        if not keep:  # gone from the store (Tune's own files, "ray", stay with the driver)
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for name in sorted(names):
        store.get(name, local, reuse=name in ("students", "teachers"))
