#!/usr/bin/env bash
# Prints the Debian packages that own the shared libraries BINARY... link against, one a line.
# The image's build stage runs it so that the runtime stage installs exactly those packages:
# a new library dependency of the C++ tree needs no edit of the Dockerfile.
#
# Usage: runtime-packages.sh BINARY...
set -euo pipefail

owner() {  # owner PATH: the package that installed PATH (usrmerge: /lib and /usr/lib are one)
  local real alt
  real="$(readlink -f "$1")"
  for alt in "$1" "$real" "${real/#\/usr\/lib\//\/lib\/}" "${real/#\/lib\//\/usr\/lib\/}"; do
    if out="$(dpkg-query -S "$alt" 2>/dev/null)"; then
      echo "${out%%:*}"
      return 0
    fi
  done
  echo "runtime-packages.sh: no package owns $1" >&2
  return 1
}

missing="$(ldd "$@" | grep 'not found' || true)"
if [[ -n "$missing" ]]; then
  echo "runtime-packages.sh: unresolved libraries:" >&2
  echo "$missing" >&2
  exit 1
fi
ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
  owner "$lib"
done | sort -u
