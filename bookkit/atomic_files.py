"""Write-then-rename: a file is either its old version or its complete new one, never half written.

Every file the book writes that another process may read at any moment (metrics while a notebook runs, run
records, cached models, generated pages) goes through :func:`replacing`: the new content is written to a
temporary file in the same folder, then renamed over the target (``os.replace`` is atomic on one file
system). When writing fails (a full disk, a read-only folder) the temporary file is removed and the old
version is left as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on a clean exit it is renamed over ``path``, else removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | Path, text: str) -> None:
    with replacing(path) as temporary:
        temporary.write_text(text)


def write_bytes_atomically(path: str | Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_json_atomically(path: str | Path, payload: Mapping[str, Any]) -> None:
    """JSON with one-space indent and a final newline, written atomically."""
    write_text_atomically(path, json.dumps(payload, indent=1, sort_keys=False) + "\n")
