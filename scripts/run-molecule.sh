#!/usr/bin/env bash
# Molecule scenarios on the lab image (podman systemd containers), one after the other: each
# scenario brings up its own lab (`beffroi lab up --name molecule`) and the labs of one site
# share the model's subnets, so they cannot run in parallel.
#
#   scripts/run-molecule.sh              the CI subset (below)
#   scripts/run-molecule.sh all          every scenario
#   scripts/run-molecule.sh nvr site     those scenarios
#
# CI subset — covers every role within the CI budget (~10 min on 2 cores):
#   common    root and password logins refused for real (converges as an administrator)
#   recorder  the recorder alone + AUTH-1 refusal
#   site      firewall + nvr (+recorder) + crisis_cell + common of Évrange and the hub, and the
#             isolation claims (tunnel ping, live relay through the tunnel, SSH/API time out,
#             camera VLAN cut from the WAN)
# firewall, nvr and crisis_cell have their own scenarios (run with `all`); site converges them too.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/lab/containers.conf}"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

CI_SUBSET=(common recorder site)
ALL=(common firewall nvr recorder crisis_cell site)
if [ $# -eq 0 ]; then scenarios=("${CI_SUBSET[@]}")
elif [ "$1" = all ]; then scenarios=("${ALL[@]}")
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
