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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
