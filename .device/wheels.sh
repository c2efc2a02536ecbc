#!/usr/bin/env bash
# Fill .whl/ with what the lent GPU machine lacks to run the book (run here, where PyPI is reachable; the
# machine has none): the Jupyter packages at the versions requirements.txt pins, built for its Python (3.12,
# manylinux x86_64; Sphinx is named so the resolver picks the versions the book renders with), less the
# packages its image already holds, plus PyAV for the video clips.
#
# What is left out, and why: the machine's image has numpy, torch, matplotlib, scipy, scikit-learn, tqdm,
# PyYAML, requests, Jinja2, Pygments and the rest of SKIP below. Sphinx and its helpers (Babel alone is 11 MB),
# jupyter-cache and SQLAlchemy are needed only to render the book, which the machine does not do; debugpy
# and jedi are optional for a kernel. docutils stays: `myst_nb.glue` imports it in every notebook.
# The set was proven on 2026-12-04: an H200 ran all 27 notebooks with it, and a CPU dry run with these
# packages uninstalled from a copy of .venv found docutils missing before any GPU time was spent.
# The wheels (about 44 MB with PyAV) and data/archives (14 MB) must stay under the 64 MiB a device call
# carries, with the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
pin() { grep -E "^$1==" requirements.txt | head -1 | cut -d' ' -f1; }
PACKAGES="$(pin papermill) $(pin jupytext) $(pin ipykernel) $(pin ipywidgets) $(pin myst-nb) $(pin nbclient) \
$(pin nbformat) $(pin av) $(pin Sphinx)"
SKIP="attrs certifi charset_normalizer click idna jinja2 markupsafe packaging psutil pygments python_dateutil
pyyaml requests tabulate tqdm typing_extensions urllib3 zipp babel sphinx sphinxcontrib_applehelp
sphinxcontrib_devhelp sphinxcontrib_htmlhelp sphinxcontrib_jsmath sphinxcontrib_qthelp
sphinxcontrib_serializinghtml sqlalchemy jupyter_cache alabaster snowballstemmer imagesize debugpy jedi parso"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck disable=SC2086 # a list of requirements
"$PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
  -d "$scratch" $PACKAGES
rm -rf .whl && mkdir .whl
for wheel in "$scratch"/*.whl; do
  name=$(basename "$wheel" | cut -d- -f1 | tr 'A-Z-' 'a-z_')
  case " $(echo $SKIP) " in *" $name "*) continue ;; esac
  cp "$wheel" .whl/
done
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
echo "$(ls .whl | wc -l) wheels, $(du -sh .whl | cut -f1) in .whl/"
