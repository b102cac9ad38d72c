#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it (after lint).
#   1. everything that does not need the lab, two workers; then the browser tests, apart;
#   2. the lab tests (podman systemd containers), one at a time;
#   3. the Molecule scenarios (scripts/run-molecule.sh), when present.
# pytest's exit 5 ("no tests collected") is a failure here: a suite that ran nothing is not green.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export BEFFROI_TODAY=${BEFFROI_TODAY:-2026-11-28}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/lab/containers.conf}
# The lab configuration and the published test vault password, named explicitly: production
# (./ansible.cfg) has neither, and Beffroi never falls back to the test password.
export ANSIBLE_CONFIG=$PWD/lab/ansible.cfg
export BEFFROI_VAULT_PASSWORD_FILE=$PWD/lab/test-vault-password

run_pytest() {
  local label=$1; shift
  echo "=== pytest: $label"
  "$PY" -m pytest "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then
    echo "pytest collected no tests for '$label': failing (exit 5 must not pass silently)" >&2
    return 1
  fi
  return $rc
}

status=0
run_pytest "unit, validation, recorder, network, dossiers" -n 2 -m "not lab and not browser" -q \
  -p no:cacheprovider --timeout 600 || status=1
# Playwright's sync API keeps an event loop running in its worker's main thread: the tests that
# call asyncio.run() (ONVIF, events) must not share a process with it, so the browser runs apart.
run_pytest "browser (Playwright on Debian's chromium)" -n 2 -m "browser and not lab" -q \
  -p no:cacheprovider --timeout 600 || status=1
# The lab stage is the longest (~15 min on 2 cores): its slowest tests are listed at the end.
run_pytest "lab" -m lab -q -p no:cacheprovider --timeout 900 --durations 15 || status=1
if [ -x scripts/run-molecule.sh ]; then
  # Molecule's labs use the model's real subnets: the demo's lab (`make demo`) must make room.
  if .venv/bin/beffroi lab status --json 2>/dev/null | grep -q '"container"'; then
    echo "=== removing the demo lab ('beffroi lab down'): Molecule needs its subnets"
    .venv/bin/beffroi lab down || true
  fi
  echo "=== molecule"
  scripts/run-molecule.sh || status=1
fi
exit $status
