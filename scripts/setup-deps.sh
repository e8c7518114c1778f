#!/usr/bin/env bash
# The one list of Debian packages casesim needs, and how they get installed.
# Called by `make demo` and `make test`. Does nothing when every package is
# installed. Otherwise installs what is missing when run as root (or with
# passwordless sudo), or prints the exact apt-get line and fails, so that
# nothing half-configured follows.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libgsl-dev libhdf5-dev hdf5-tools libyaml-dev check
  libpcg-cpp-dev
  libopenmpi-dev openmpi-bin
  python3-h5py python3-numpy python3-matplotlib python3-pandas
  python3-xarray python3-h5netcdf python3-pytest python3-yaml
  python3-pip python3-setuptools python3-wheel
  r-base-core r-cran-hdf5r
  valgrind clang libclang-rt-14-dev libomp-dev time
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: nothing to check with; CMake reports whatever is missing.
  echo "casesim: dpkg-query not found; cannot check packages: ${PACKAGES[*]}" >&2
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # Captured rather than piped into grep -q: under pipefail, grep exiting
  # early could kill dpkg-query with SIGPIPE and call an installed package
  # missing.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

install_args=(install -y --no-install-recommends "${missing[@]}")
echo "casesim: missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "casesim: cannot install packages without root. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get ${install_args[*]}" >&2
  exit 1
fi
echo "casesim: installing them with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" apt-get -qq "${install_args[@]}" >&2
