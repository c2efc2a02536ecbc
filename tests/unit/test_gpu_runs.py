"""Per notebook, the newest recorded GPU run and whether it ever completed on a GPU (bookkit.gpu_runs)."""

from bookkit.gpu_runs import (
    book_gpu_runs,
    front_page_sentence,
    full_scale_sections,
    full_scale_table,
    gpu_runs,
    never_completed,
)


def claim(id, passed, kind="claim"):
    return {"id": id, "measured": 1.5, "op": "<", "threshold": 1.0, "passed": passed, "kind": kind}


def entry(notebook, state, device="cuda:0 (NVIDIA H200)", error=None, claims=(), wall=10.0):
    return {
        "notebook": notebook,
        "state": state,
        "device_name": device,
        "error": error,
        "claims": list(claims),
        "wall_s": wall,
    }


RECORDS = [
    {
        "file": "runs-full-old.json",
        "scale": "full",
        "notebooks": [
            entry("a", "finished", claims=[claim("a.x", True)]),
            entry(
                "b",
                "failed",
                error="ClaimsFailed: 1",
                claims=[claim("b.x", False), claim("b.c", True, "check")],
            ),
            entry("c", "failed", device=None, error="ModuleNotFoundError: myst_nb"),
            entry("d", "finished", device="cpu (x86_64, 1 thread)"),
        ],
    },
    {
        "file": "runs-gpu-new.json",
        "scale": "gpu",
        "notebooks": [
            entry("a", "stopped", claims=[claim("a.x", None)], wall=None),
            entry("b", "not run"),
            entry("e", "failed", error="RuntimeError: CUDA out of memory"),
        ],
    },
]


def test_newest_gpu_run_and_its_verdicts_per_notebook():
    runs = {run.notebook: run for run in gpu_runs(["a", "b", "c", "d", "e", "f"], RECORDS)}
    assert (runs["a"].file, runs["a"].scale, runs["a"].state, runs["a"].reported) == (
        "runs-gpu-new.json",
        "gpu",
        "stopped",
        1,
    )
    assert runs["a"].completed_in == "runs-full-old.json"  # completed before, stopped in the newest run
    assert (runs["b"].file, runs["b"].failed, runs["b"].passed) == (
        "runs-full-old.json",
        1,
        0,
    )  # check left out
    assert runs["b"].failed_claims == ("b.x (1.5 vs < 1)",) and runs["b"].completed_in == "runs-full-old.json"
    assert runs["c"].file is None  # failed before choosing a device: not a GPU run
    assert runs["d"].file is None  # ran on a CPU
    assert runs["e"].state == "failed" and runs["e"].completed_in is None  # an error is not completion


def test_never_completed_and_the_page_texts_name_them():
    runs = gpu_runs(["a", "b", "c", "e"], RECORDS)
    assert never_completed(runs) == ["c", "e"]
    sentence = front_page_sentence(runs)
    assert sentence.startswith("On a GPU, 2 of 4 notebooks have completed") and "`c`, `e`" in sentence
    table = full_scale_table(runs)
    assert "| c | none | | | | | | | **never** |" in table
    assert "| a | runs-gpu-new | gpu | stopped |  | 0 | 0 | 1 | runs-full-old |" in table


def test_the_books_records_give_every_notebook_a_line():
    runs = book_gpu_runs()
    assert len(runs) >= 24
    completed = {run.notebook for run in runs if run.completed_in}
    assert "ebm-backprop/02-early-inference-is-backprop" in completed  # finished in the first H200 lease
    assert "prednet/05-car-camera" in never_completed(runs)


def test_the_full_scale_page_opens_with_every_notebook_and_the_predicted_plan():
    page = "\n".join(full_scale_sections())
    assert page.startswith("## Each notebook on a GPU") and "Never completed on a GPU:" in page
    assert "## Predicted wall times at the `gpu` scale" in page and "Longest first on 16 jobs" in page
    assert page.count("| prednet/05-car-camera |") == 2  # once per table
