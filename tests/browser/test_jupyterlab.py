"""A chapter run in JupyterLab, driven in headless Chromium the way the README tells a reader to: JupyterLab
starts with the settings the project installs into the virtual environment (``make lab``), a double-click on
the chapter's ``.md`` opens it as a notebook (jupytext), the parameters cell is switched to ``smoke``, every
cell runs without an error, one ``explore`` control redraws its figure, and saving writes back to the ``.md``
with nothing changed but the edited line. The server runs on a temporary copy of the chapter (the repository
is never touched), on a free local port with a token, and is shut down with its kernel at the end.

The page's state is read from JupyterLab's own objects (``window.jupyterapp``, exposed by the test's server
only): Run All Cells must wait until the notebook's session holds a connected, idle kernel. Before that,
JupyterLab runs each cell by starting a kernel of its own and, when none is attached yet, clears the cell and
skips it without a message; the toolbar's execution indicator reads "idle" from the moment the notebook
opens, before any kernel exists, so it cannot tell."""

import difflib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext
import psutil
import pytest
from conftest import REPO_ROOT, SCREENSHOTS
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The cheapest chapter at smoke scale with an explore(...) panel, and the dropdown of that panel to change.
CHAPTER = Path("chapters/ebm-backprop/01-energy-and-relaxation.md")
CONTROL_VALUE = "smooth"  # draw_state_traces(kind=...) draws "naive_hard" first
SHIPPED_SETTINGS = REPO_ROOT / ".jupyter" / "overrides.json"
INSTALLED_SETTINGS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
KERNEL_SPEC = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"

# Bounded but generous: two shared cores; the chapter runs in about 40 s at smoke when the machine is loaded.
SERVER_START_S = 120
RUN_ALL_S = 420
STEP_MS = 120_000
RUN_START_MS = 30_000

# JavaScript run in the page, each given the chapter's path: the notebook panel open on it, its session's
# kernel, and its code cells' execution state as the notebook model holds it.
PANEL_JS = """path => [...(window.jupyterapp ? window.jupyterapp.shell.widgets('main') : [])]
    .find(widget => widget.context && widget.context.path === path && widget.sessionContext)"""
KERNEL_READY_JS = f"""path => {{
    const panel = ({PANEL_JS})(path);
    const context = panel && panel.sessionContext;
    const kernel = context && context.session && context.session.kernel;
    return Boolean(context && context.isReady && !context.hasNoKernel && kernel
        && kernel.connectionStatus === 'connected' && kernel.status === 'idle') && kernel.id;
}}"""
RUN_STATE_JS = f"""path => {{
    const panel = ({PANEL_JS})(path);
    const cells = panel ? panel.content.widgets.map(cell => cell.model).filter(model => model.type === 'code')
        : [];
    const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return {{
        kernel: kernel ? `${{kernel.connectionStatus}}/${{kernel.status}}` : 'none',
        cells: cells.length,
        running: cells.filter(model => model.executionState === 'running').length,
        executed: cells.filter(model => model.executionCount !== null).length,
        errors: cells.filter(model => model.outputs.toJSON().some(o => o.output_type === 'error')).length,
    }};
}}"""
RUN_STARTED_JS = f"path => {{ const s = ({RUN_STATE_JS})(path); return s.running + s.executed > 0; }}"
RUN_FINISHED_JS = f"""path => {{
    const s = ({RUN_STATE_JS})(path);
    return s.running === 0 && (s.errors > 0 || s.executed === s.cells);
}}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api(url: str, token: str, path: str, method: str = "GET"):
    headers = {"Authorization": f"token {token}"}
    request = urllib.request.Request(f"{url}{path}", method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def setting(url: str, token: str, plugin: str, key: str):
    """The value JupyterLab uses: the user's, else the default with the installed overrides applied."""
    answer = api(url, token, f"/lab/api/settings/{plugin}")
    return answer["settings"].get(key, answer["schema"]["properties"][key]["default"])


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a temporary copy of the chapter, as ``make lab`` starts it; yields (url, token, root,
    server process) and always stops the server's process group at the end."""
    if not INSTALLED_SETTINGS.exists() or INSTALLED_SETTINGS.read_bytes() != SHIPPED_SETTINGS.read_bytes():
        pytest.fail(f"{INSTALLED_SETTINGS} differs from {SHIPPED_SETTINGS}: `make setup` installs it")
    root = tmp_path / "repository"
    (root / CHAPTER).parent.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / CHAPTER, root / CHAPTER)
    home = tmp_path / "jupyter"  # config, data, runtime and workspaces: nothing from or to the user's home
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKKIT_") or k == "BOOKKIT_DATA_DIR"}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
        BOOKKIT_GENERATED=str(tmp_path / "generated"),
        BOOKKIT_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for the test to read the page's state
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def interrupt(signum, frame):  # `timeout` and CI send SIGTERM: stop the server before exiting
        raise KeyboardInterrupt(f"signal {signum}")

    previous_handler = signal.signal(signal.SIGTERM, interrupt)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                log_text = (tmp_path / "server.log").read_text()
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_text}")
            try:
                api(url, token, "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s")
                time.sleep(0.5)
        yield url, token, root, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        signal.signal(signal.SIGTERM, previous_handler)


def open_by_double_click(page, path: Path):
    listing = page.locator(".jp-DirListing-content .jp-DirListing-itemText")
    for part in path.parts:
        listing.get_by_text(part, exact=True).dblclick()


def wait_or_fail(page, condition: str, timeout_ms: float, message: str, arg=None) -> None:
    """Wait for a JavaScript condition (``timeout_ms`` > 0: Playwright waits forever on 0); on a timeout, fail
    with the notebook's run state, the cells' prompts and a screenshot."""
    assert timeout_ms > 0
    try:
        page.wait_for_function(condition, arg=arg, timeout=timeout_ms, polling=500)
    except PlaywrightTimeout:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        screenshot = SCREENSHOTS / "jupyterlab-failure.png"
        page.screenshot(path=str(screenshot))
        state = page.evaluate(RUN_STATE_JS, CHAPTER.as_posix())
        pytest.fail(f"{message}; run state {state}; prompts {prompts(page)}; screenshot {screenshot}")


def prompts(page) -> list[str]:
    return page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_text_contents()


def test_chapter_runs_in_jupyterlab_with_live_widgets_and_saves_back_to_markdown(browser, lab):
    url, token, root, server = lab
    assert (
        setting(url, token, "@jupyterlab/docmanager-extension:plugin", "defaultViewers")["markdown"]
        == "Jupytext Notebook"
    )
    assert setting(url, token, "@jupyterlab/apputils-extension:notification", "fetchNews") == "false"

    original = (root / CHAPTER).read_text()
    old_line = next(line for line in original.splitlines() if line.startswith('SCALE = "ci"'))
    new_line = old_line.replace('"ci"', '"smoke"', 1)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(STEP_MS)
    page.goto(f"{url}/lab?token={token}")
    open_by_double_click(page, CHAPTER)
    page.locator(".jp-NotebookPanel, .jp-FileEditor").first.wait_for()
    assert page.locator(".jp-FileEditor").count() == 0, "the chapter opened as text, not as a notebook"
    notebook = page.locator(".jp-NotebookPanel")
    path = CHAPTER.as_posix()
    wait_or_fail(
        page, KERNEL_READY_JS, STEP_MS, "the notebook's kernel did not come up connected and idle", path
    )
    kernel_id = page.evaluate(KERNEL_READY_JS, path)
    sessions = api(url, token, "/api/sessions")
    assert [(s["path"], s["kernel"]["id"]) for s in sessions] == [(path, kernel_id)], sessions

    parameters = notebook.locator(".jp-CodeCell", has_text="SCALE = ").first
    parameters.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+End")
    page.keyboard.insert_text(new_line)
    page.keyboard.press("Escape")
    assert parameters.locator(".cm-line").first.inner_text() == new_line

    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    run_all = page.locator(
        ".lm-Menu-content .lm-Menu-item", has=page.get_by_text("Run All Cells", exact=True)
    )
    assert "lm-mod-disabled" not in (run_all.get_attribute("class") or ""), "Run All Cells is disabled"
    run_all.click()
    wait_or_fail(page, RUN_STARTED_JS, RUN_START_MS, "Run All Cells did not start the first code cell", path)
    wait_or_fail(
        page, RUN_FINISHED_JS, RUN_ALL_S * 1000, f"the cells did not finish within {RUN_ALL_S} s", path
    )
    tracebacks = [
        text
        for text in notebook.locator(".jp-OutputArea-output").all_text_contents()
        if "Traceback (most recent call last)" in text
    ]
    assert not tracebacks, "a cell failed:\n" + "\n\n".join(tracebacks)
    unexecuted = [p for p in prompts(page) if not any(c.isdigit() for c in p)]
    assert not unexecuted, f"{len(unexecuted)} code cells did not run: {prompts(page)}"

    explore = notebook.locator(".jp-CodeCell", has_text="bookkit.explore(")
    figure = explore.locator(".jp-OutputArea img")
    figure.wait_for()
    before = figure.get_attribute("src")
    explore.locator(".widget-dropdown select").select_option(CONTROL_VALUE)
    page.wait_for_function(
        "([cell, before]) => { const img = cell.querySelector('.jp-OutputArea img');"
        " return img && img.complete && img.naturalWidth > 0 && img.getAttribute('src') !== before; }",
        arg=[explore.element_handle(), before],
        timeout=STEP_MS,
    )

    page.keyboard.press("Control+s")
    deadline = time.monotonic() + STEP_MS / 1000
    while new_line not in (root / CHAPTER).read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    saved = (root / CHAPTER).read_text()
    expected = original.replace(old_line, new_line, 1)
    assert saved == expected, "the saved .md differs from the chapter beyond the edited line:\n" + "".join(
        difflib.unified_diff(expected.splitlines(True), saved.splitlines(True), "expected", "saved")
    )
    assert page.locator(".Toastify__toast", has_text="news").count() == 0, "JupyterLab asked about news"
    page.close()

    kernels = api(url, token, "/api/kernels")
    assert len(kernels) == 1, f"expected the chapter's kernel, found {kernels}"
    children = psutil.Process(server.pid).children(recursive=True)
    assert children, "the kernel is not a child process of the server"
    api(url, token, "/api/shutdown", method="POST")
    server.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, f"processes left after the server stopped: {[p.pid for p in alive]}"


def test_chapter_headers_hold_the_kernelspec_jupyterlab_saves():
    """On save JupyterLab keeps the header's kernelspec as it is (key order included) when it names the
    installed kernel with that kernel's display_name and language, and rewrites it otherwise; a chapter whose
    kernelspec differs would change on disk when a reader saves it."""
    spec = json.loads(KERNEL_SPEC.read_text())
    expected = {"name": "python3", "display_name": spec["display_name"], "language": spec["language"]}
    chapters = sorted((REPO_ROOT / "chapters").glob("*/[0-9][0-9]-*.md"))
    differing = {
        str(path.relative_to(REPO_ROOT)): kernelspec
        for path in chapters
        if (kernelspec := jupytext.read(path).metadata.get("kernelspec")) != expected
    }
    assert chapters and not differing, (
        f"these chapters' kernelspecs change when saved from JupyterLab (expected {expected}): {differing}"
    )
