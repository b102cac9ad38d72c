#!/usr/bin/env bash
# Molecule scenarios on the lab image (podman systemd containers), one after the other: each
# scenario brings up its own lab (`beffroi lab up --name molecule`) and the labs of one site
# share the model's subnets, so they cannot run in parallel.
#
#   scripts/run-molecule.sh              every scenario (what `make test` runs)
#   scripts/run-molecule.sh quick        common, recorder, site — still every role (site converges
#                                        firewall, nvr and crisis_cell too), ~5 min instead of ~8
#   scripts/run-molecule.sh nvr site     those scenarios
#
# Measured on 2 cores (the first six: 7 min 43 s): common 64 s, firewall 38 s, nvr 76 s,
# recorder 63 s, crisis_cell 36 s, site 186 s (lab up, converge, idempotence, 10 isolation
# tests, lab down). Since 2026-12-01 site also converges the workstation and the monitoring
# host and runs their tests (kiosk at the console; Prometheus through the tunnel, RecorderDown
# fired by Alertmanager): as separate scenarios they cost 100 s and 309 s, each with its own lab
# up and site converge.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/lab/containers.conf}"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
# Lab only: Molecule's own ansible.cfg (molecule.yml) names the test vault password; Beffroi
# commands run by the scenarios get it explicitly too (no fallback outside the lab).
export BEFFROI_VAULT_PASSWORD_FILE="$PWD/lab/test-vault-password"

QUICK=(common recorder site)
ALL=(common firewall nvr recorder crisis_cell site)
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
