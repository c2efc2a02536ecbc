"""Execute one chapter notebook with papermill, in its own process (the runner starts one per notebook).

``python -m bookkit.execution REQUEST.json`` reads the request the runner wrote in the attempt's scratch
folder (:class:`bookkit.layout.Scratch`), converts the MyST source with jupytext, executes it with papermill
in the chapter folder with the parameters injected, and writes a result JSON (status, error, wall time, the
kernel's peak memory). The kernel inherits this process's environment, which the runner sets (headless, one
thread, metrics path).

This process never outlives its runner: on Linux it asks the kernel (``prctl(PR_SET_PDEATHSIG)``) for a
``SIGTERM`` when the runner dies, even by ``SIGKILL``; on ``SIGTERM``, ``SIGINT`` or ``SIGHUP`` it kills its
notebook kernel (and the kernel's own children) and exits at once, writing no result. A kernel whose worker
is gone also exits by itself within a second (ipykernel polls its parent).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bookkit.atomic_files import write_json_atomically

PR_SET_PDEATHSIG = 1


def claim_failures(metrics_path: Path) -> str | None:
    """Why the metrics show a failed notebook (no finish(), a failed required claim), or None."""
    if not metrics_path.exists():
        return "the notebook never called bookkit.start_notebook(), so it recorded no metrics"
    metrics = json.loads(metrics_path.read_text())
    failed = [c["id"] for c in metrics.get("claims", []) if c.get("passed") is False and c.get("required")]
    if failed:
        return f"required claim(s) failed: {', '.join(failed)}"
    if not metrics.get("finished"):
        return "the notebook never called nb.finish() (its last cell must)"
    return None


KERNEL_START_ATTEMPTS = 3
"""Kernels started at the same moment can race for a port and die before answering; nothing ran yet, so the
notebook is simply started again."""


def kernel_never_started(exception: Exception) -> bool:
    """True for jupyter_client's failure to start a kernel (before any cell ran)."""
    return isinstance(exception, RuntimeError) and "Kernel died before replying to kernel_info" in str(
        exception
    )


def execute(request: dict[str, Any]) -> dict[str, Any]:
    import jupytext
    import nbformat
    import papermill

    source = Path(request["source"])
    executable = Path(request["input_notebook"])
    output = Path(request["output_notebook"])
    notebook = jupytext.read(source)
    notebook.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    nbformat.write(notebook, executable)
    start = time.perf_counter()
    status, error = "ok", None
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(
                str(executable),
                str(output),
                parameters=request["parameters"],
                cwd=str(source.parent),
                kernel_name="python3",
                execution_timeout=request.get("cell_timeout"),
                progress_bar=False,
                log_output=False,
                report_mode=False,
            )
        except Exception as exception:
            if kernel_never_started(exception) and attempt < KERNEL_START_ATTEMPTS:
                print(
                    f"the kernel did not start ({exception}); attempt {attempt + 1}",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            status = "failed"
            name = getattr(exception, "ename", type(exception).__name__)
            value = getattr(exception, "evalue", str(exception))
            error = f"{name}: {value}".strip()[:2000]
        break
    wall = time.perf_counter() - start
    if status == "ok":
        reason = claim_failures(Path(request["metrics"]))
        if reason:
            status, error = "failed", reason
    kernel = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel is this process's (waited-for) child
    return {
        "status": status,
        "error": error,
        "wall_s": round(wall, 2),
        "cpu_s": round(kernel.ru_utime + kernel.ru_stime, 1),
        "peak_rss_mb": round(kernel.ru_maxrss / 1024, 1),
        "output_exists": output.exists(),
    }


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (read from ``/proc``; empty where there is none)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                children.append(int(stat.parent.name))
    return children


def stop_kernels_and_exit(signum: int, _frame: FrameType | None = None) -> None:
    """Kill every child (the kernel leads its own process group, so its children go with it) and exit."""
    for pid in child_pids(os.getpid()):
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)
    os._exit(128 + signum)


def die_with_runner(runner_pid: int | None) -> None:
    """Get ``SIGTERM`` when the runner dies (Linux), and stop now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if runner_pid is not None and os.getppid() != runner_pid:
        stop_kernels_and_exit(signal.SIGTERM)


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[0]).read_text())
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop_kernels_and_exit)
    die_with_runner(request.get("runner_pid"))
    result = execute(request)
    write_json_atomically(Path(request["result"]), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
