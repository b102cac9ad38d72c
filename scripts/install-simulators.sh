#!/usr/bin/env bash
# Test peers that are real third-party simulators (see ../shared/PEERS.md).
# fake-switches 1.5.0 pins Twisted<17, which does not build on Python 3.11: its runtime
# dependencies are installed from requirements/simulators.txt and the package with --no-deps.
set -euo pipefail
venv=${1:-.venv}
"$venv/bin/python" -m pip install -q -r requirements/simulators.txt
"$venv/bin/python" -m pip install -q --no-deps fake-switches==1.5.0
scripts/install-onvif-sim.sh "$(dirname "$venv")/.venv-onvif"   # ONVIF camera peer (ipycam + OpenCV), own venv
