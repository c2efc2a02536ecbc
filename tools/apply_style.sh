#!/usr/bin/env bash
# Apply the mechanical style fixes to bookkit/ and tests/: ruff's safe fixes, the few unsafe fixes that are
# mechanical here (PT006: parametrize names as a tuple; C408: dict() -> {}), then `ruff format`. Prints the
# files and lines each step changes and the violations left for hand fixing (ruff, per rule). With
# --notebooks it also formats the code cells of chapters/*/NN-topic.md with `ruff format` through jupytext
# (then every reference notebook must be regenerated: `make references`).
#
#   tools/apply_style.sh [--notebooks]            # edit the checkout (commit first: the diff is all style)
#   tools/apply_style.sh --dry-run [--notebooks]  # the same on a scratch copy: only the counts
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ruff=$repo/.venv/bin/ruff
paths=(bookkit tests)
dry_run=0 notebooks=0
for arg in "$@"; do
  case $arg in
    --dry-run) dry_run=1 ;;
    --notebooks) notebooks=1 ;;
    *) echo "usage: tools/apply_style.sh [--dry-run] [--notebooks]" >&2; exit 2 ;;
  esac
done
work=$repo
if [[ $dry_run == 1 ]]; then
  work=$(mktemp -d)
  cp -r "$repo/pyproject.toml" "$repo/bookkit" "$repo/tests" "$repo/chapters" "$work/"
  find "$work" -name __pycache__ -prune -exec rm -rf {} +
fi
cd "$work"
before=$(mktemp -d)
trap 'rm -rf "$before"; [[ $dry_run == 1 ]] && rm -rf "$work"' EXIT

step() {  # step NAME COMMAND...: run it and print how many files and lines it changed
  local name=$1; shift
  rm -rf "${before:?}"/* && cp -r "${paths[@]}" "$before/"
  "$@" >/dev/null 2>&1 || true
  local stat
  stat=$(for p in "${paths[@]}"; do git diff --no-index --numstat "$before/$p" "$p" || true; done |
         awk '{files++; added+=$1; removed+=$2} END {if (files) printf "%d files, +%d -%d lines", files, added, removed}')
  printf '%-34s %s\n' "$name:" "${stat:-no change}"
}

step "ruff check --fix (safe fixes)" "$ruff" check --no-cache --fix --exit-zero "${paths[@]}"
step "ruff check --fix PT006,C408" "$ruff" check --no-cache --fix --unsafe-fixes --exit-zero \
  --select PT006,C408 "${paths[@]}"
step "ruff format" "$ruff" format --no-cache "${paths[@]}"
if [[ $notebooks == 1 ]]; then
  paths=(chapters)
  format_cells() {
    local notebook
    for notebook in chapters/*/[0-9][0-9]-*.md; do
      "$repo/.venv/bin/jupytext" --quiet --pipe \
        "$ruff format --no-cache --config $work/pyproject.toml --stdin-filename cell.py -" "$notebook"
    done
  }
  step "ruff format (chapters' code)" format_cells
  paths=(bookkit tests)
fi
echo "left for hand fixing (ruff check --statistics):"
"$ruff" check --no-cache --statistics "${paths[@]}" || true
