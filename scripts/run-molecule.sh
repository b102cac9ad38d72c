#!/usr/bin/env bash
# Molecule scenarios on the lab image (podman systemd containers), one after the other: each
# scenario brings up its own lab (`beffroi lab up --name molecule`) and the labs of one site
# share the model's subnets, so they cannot run in parallel.
#
#   scripts/run-molecule.sh              every scenario (what `make test` runs)
#   scripts/run-molecule.sh quick        common, recorder: the base role and the recorder, ~2 min
#   scripts/run-molecule.sh nvr firewall those scenarios
#
# One scenario a role. The whole commune (`beffroi deploy`'s four plays, its idempotence, and
# the isolation, monitoring and kiosk checks) is converged once, by the lab tests' e2e session
# (tests/e2e/: the demo's deploy, then tests/e2e/test_deployed_*.py on the same hosts): the
# former `site` scenario converged the very same plays a second time (~8.5 min of CI).
# Measured on 2 cores (CI run of 2026-12-01): common 40 s, firewall 29 s, nvr 64 s,
# recorder 59 s, crisis_cell 61 s.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/lab/containers.conf}"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
# Lab only: Molecule's own ansible.cfg (molecule.yml) names the test vault password; Beffroi
# commands run by the scenarios get it explicitly too (no fallback outside the lab).
export BEFFROI_VAULT_PASSWORD_FILE="$PWD/lab/test-vault-password"

QUICK=(common recorder)
ALL=(common firewall nvr recorder crisis_cell)
if [ $# -eq 0 ] || [ "$1" = all ]; then scenarios=("${ALL[@]}")
elif [ "$1" = quick ]; then scenarios=("${QUICK[@]}")
else scenarios=("$@"); fi

status=0
summary=()
for s in "${scenarios[@]}"; do
  echo "=== molecule test -s $s"
  start=$(date +%s)
  if molecule test -s "$s"; then result=passed; else result=FAILED; status=1; fi
  summary+=("$(printf '%-12s %-7s %4d s' "$s" "$result" $(( $(date +%s) - start )))")
done
echo "=== molecule summary"
printf '%s\n' "${summary[@]}"
exit $status
