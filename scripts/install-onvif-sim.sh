#!/usr/bin/env bash
# The ONVIF camera test peer (../shared/PEERS.md "ONVIF cameras"): PyPI ipycam in its own venv,
# because it pulls OpenCV (~330 MB) that nothing else needs. Idempotent: reruns are no-ops.
# Tests start it as a separate process patched to loopback (tests/network/onvif_camera_server.py).
set -euo pipefail
venv=${1:-.venv-onvif}
stamp="$venv/.beffroi-onvif-sim"
want="ipycam==1.3.0 numpy==2.2.6 opencv-python==5.0.0.93"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
test -x "$venv/bin/python" || /usr/bin/python3 -m venv "$venv"
# shellcheck disable=SC2086  # $want is a list of pinned requirements
"$venv/bin/python" -m pip install -q $want
echo "$want" > "$stamp"
