#!/usr/bin/env bash
# Installs the Debian packages listed in $1 (one per line, '#' comments) when any is missing.
set -euo pipefail
list=$(grep -v '^\s*#' "$1" | xargs)
missing=()
for p in $list; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Never start a service while installing (chrony would reach public NTP pools, sshd would
# listen): a temporary policy-rc.d forbids it, unless the machine already has one.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# chrony and openssh-server are here for their checkers (chronyd -p, sshd -t): when this run
# installed them (never one the machine already had), their services stay off.
for pair in chrony:chrony openssh-server:ssh; do
  pkg=${pair%%:*} unit=${pair##*:}
  case " ${missing[*]} " in *" $pkg "*) ;; *) continue ;; esac
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
done
