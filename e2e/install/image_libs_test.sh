#!/usr/bin/env bash
# With no container engine here, the best check that an image's runtime stage
# can run its binary: every shared library `ldd` resolves for the binary
# built on this Debian 12 machine belongs (dpkg -S) to a package that the
# Dockerfile's last stage installs, or to one of their dependencies (apt-cache
# depends --recurse: what apt-get pulls in). And the other way round, every
# package installed there brings a library the binary links, except
# ca-certificates: the runtime stage stays minimal.
#
# Usage: image_libs_test.sh DOCKERFILE BINARY [DOCKERFILE BINARY ...]
set -euo pipefail
(($# >= 2 && $# % 2 == 0)) || { echo "usage: image_libs_test.sh DOCKERFILE BINARY [DOCKERFILE BINARY ...]" >&2; exit 2; }
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
require_tools ldd dpkg apt-cache awk
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# runtime_packages DOCKERFILE: the packages `apt-get install` names in the last stage.
runtime_packages() {
  awk '
    /^[[:space:]]*FROM[[:space:]]/ { stage = "" }          # a new stage: forget the previous one
    { line = $0; sub(/[[:space:]]*\\$/, "", line); stage = stage " " line; if ($0 !~ /\\$/) stage = stage "\n" }
    END { printf "%s", stage }' "$1" |
    grep -E 'apt-get[[:space:]]+install' |
    sed -E 's/.*apt-get[[:space:]]+install//; s/(&&|;|\|).*//' |
    tr ' ' '\n' | grep -Ev '^(-.*|)$' | sort -u
}
# owners FILE...: "FILE PACKAGE" for each FILE, from one dpkg -S call (they
# are slow); a file is looked up as given, resolved, and with /usr toggled
# (merged /usr: dpkg knows each under one of its names).
owners() {
  local f alt
  declare -A names=()
  for f in "$@"; do
    case $f in /usr/*) alt=${f#/usr} ;; *) alt=/usr$f ;; esac
    names[$f]=$f names[$(realpath "$f")]=$f names[$alt]=$f
  done
  # dpkg -S exits 1 when any one name is unknown (the other spellings are).
  { dpkg -S "${!names[@]}" 2>/dev/null || true; } | while IFS= read -r line; do
    f=${line##*: }
    if [ -n "${names[$f]:-}" ]; then echo "${names[$f]} ${line%%:*}"; fi
  done | sort -u -k1,1
}

while (($#)); do
  dockerfile=$1 binary=$2
  shift 2
  name=$(basename "$binary")
  [ -f "$dockerfile" ] || fail "$dockerfile does not exist"
  [ -x "$binary" ] || fail "$binary is not an executable"
  runtime_from=$(grep -E '^[[:space:]]*FROM[[:space:]]' "$dockerfile" | tail -n1 | awk '{print $2}')
  # The mapping below is this machine's Debian release; it says nothing about another one.
  [ "$runtime_from" = "debian:$codename-slim" ] ||
    fail "$dockerfile: runtime stage is FROM $runtime_from; this check maps libraries on Debian $codename, so it must be debian:$codename-slim"
  grep -Eq -- "--target[[:space:]]+$name([[:space:]]|$)" "$dockerfile" || fail "$dockerfile does not build the target $name"
  grep -Eq "^COPY --from=[a-z]+ .*/$name /usr/local/bin/$name$" "$dockerfile" || fail "$dockerfile does not copy $name from the build stage"
  mapfile -t installed < <(runtime_packages "$dockerfile")
  ((${#installed[@]} > 0)) || fail "$dockerfile: found no apt-get install in the runtime stage"
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${installed[@]}" | grep -v '^ ' | sort -u)

  ldd_out=$(ldd "$binary") || fail "ldd $binary failed"
  if grep -q 'not found' <<<"$ldd_out"; then fail "$binary has unresolved libraries: $(grep 'not found' <<<"$ldd_out" | xargs)"; fi
  declare -A lib_pkg=()
  missing=()
  mapfile -t sos < <(awk '$2 == "=>" { print $3; next } $1 ~ /^\// { print $1 }' <<<"$ldd_out")
  mapping=$(owners "${sos[@]}")
  for so in "${sos[@]}"; do
    pkg=$(awk -v f="$so" '$1 == f { print $2 }' <<<"$mapping")
    [ -n "$pkg" ] || fail "$so (needed by $name) belongs to no Debian package: the image could not install it"
    lib_pkg[$pkg]+=" $(basename "$so")"
  done
  libs=${#sos[@]}
  for pkg in "${!lib_pkg[@]}"; do
    grep -qx "$pkg" <<<"$closure" || missing+=("$pkg (${lib_pkg[$pkg]# })")
  done
  ((${#missing[@]} == 0)) ||
    fail "$dockerfile installs neither these packages nor anything that depends on them, but $name links their libraries: ${missing[*]}"
  # Nothing beyond what the binary links (ca-certificates: TLS trust, no library).
  for pkg in "${installed[@]}"; do
    [ "$pkg" = ca-certificates ] && continue
    [ -n "${lib_pkg[$pkg]:-}" ] || fail "$dockerfile installs $pkg, but $name links none of its libraries"
  done
  echo "PASS: $name: $libs libraries from ${#lib_pkg[@]} packages, all installed by $(basename "$(dirname "$dockerfile")")/Dockerfile's ${#installed[@]} packages (${installed[*]}) and their dependencies"
  unset lib_pkg
done
