#!/usr/bin/env bash
# The one list of Debian packages casesim needs, and how they get installed.
# Called by `make demo` and `make test`. Installs what is missing when run as
# root (or with passwordless sudo); otherwise prints the exact apt-get line and
# fails, so that nothing half-configured follows.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libgsl-dev libhdf5-dev hdf5-tools libyaml-dev check
  libpcg-cpp-dev
  libopenmpi-dev openmpi-bin
  python3-h5py python3-numpy python3-matplotlib python3-pandas
  valgrind clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "casesim: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "casesim: cannot install packages without root. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
