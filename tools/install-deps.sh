#!/usr/bin/env bash
# Installs the Debian packages carewatch needs to build and test, and only
# those that are missing, so `make check` works on a fresh Debian 12 machine.
# Run as root (CI is root); as another user it only reports what is missing.
set -euo pipefail

need=(gcc make libpq-dev uuid-dev nettle-dev libreadline-dev libcmocka-dev libzip-dev libxml2-dev
      libcurl4-openssl-dev libjansson-dev
      postgresql-15 tmux libxml2-utils man-db)   # man-db: tests/test_install.c runs man
extra=("$@")   # callers may ask for more: clang libclang-rt-14-dev for fuzzing, pgbouncer for make bench

missing=()
for p in "${need[@]}" "${extra[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "carewatch: error: missing Debian packages: ${missing[*]}" >&2
  echo "hint: run 'sudo apt-get install ${missing[*]}' or run make check as root" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
