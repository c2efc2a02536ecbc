#!/usr/bin/env bash
# Record the GPU benchmark table and the full-scale runs on a lent GPU machine within a fixed time budget.
#
# Meant for a machine that has python3 with torch (CUDA) but no network: the Jupyter packages travel as
# wheels in .whl/ (see README, "Recording on a lent GPU"). Every stage is independent, so one failure does
# not lose the others' results. Results go to $OUT:
#   bench-cuda.json   the benchmark table (`python -m bookkit bench --full --device cuda`)
#   runs-full.json    every notebook at full scale: finished, failed, or stopped at the budget with the claims
#                     it had recorded (`python -m bookkit collect`)
#   *.log, nvidia-smi.txt, generated.tgz (executed notebooks, finished and partial)
# Knobs: BENCH_BUDGET (s, default 150), RUN_BUDGET (s, default 330), JOBS (default 24), CHAPTERS (default all).
set -u
OUT=${OUT:?set OUT to the folder for the results}
BENCH_BUDGET=${BENCH_BUDGET:-150}
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
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
python3 -c "import torch, papermill, jupytext, ipywidgets, bookkit; print('torch', torch.__version__, torch.cuda.get_device_name())" \
  || exit 1
stamp "set up"

timeout -k 10 "$BENCH_BUDGET" python3 -m bookkit bench --full --device cuda >"$OUT/bench.log" 2>&1
stamp "bench exited with $?"
cp book/_generated/benchmarks.json "$OUT/bench-cuda.json" 2>/dev/null

# shellcheck disable=SC2086 # CHAPTERS is a list of slugs
timeout -k 10 "$RUN_BUDGET" python3 -m bookkit run ${CHAPTERS:-} --scale full --device cuda --jobs "$JOBS" --force \
  --no-pages >"$OUT/run.log" 2>&1
stamp "full-scale run exited with $?"
python3 -m bookkit collect --scale full --budget "$RUN_BUDGET" --out "$OUT/runs-full.json" \
  --note "all notebooks at once on one GPU, $JOBS jobs, stopped after $RUN_BUDGET s" >"$OUT/collect.log" 2>&1
stamp "collect exited with $?"
tar czf "$OUT/generated.tgz" --exclude='book/_generated/artifacts' book/_generated 2>/dev/null
stamp "done"
