#!/usr/bin/env bash
# Runs `scripts/demo up` against the running local stack in a throwaway
# namespace and checks that every sample notification arrived: the Slack- and
# Teams-style ones at the webhook sink (status 2xx, the rendered text in the
# body), the emails in Mailpit (with their subjects). Along the way this
# proves that the operator's Deployments, ConfigMaps and Secrets are what the
# sidecar runs (scripts/workers), including SMTP with STARTTLS, AUTH and a
# private CA (caSecretRef).
#
# A demo operator or webhook sink that already runs is reused and left
# running; what the test starts, it stops. The namespace is deleted (with the
# channels' topics: deletionPolicy Delete) while the operator still runs, so
# its finalizers are removed.
#
# Usage: e2e/demo/demo_smoke.sh [BIN_DIR]   (after `. .stack/env`)
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=SCRIPTDIR/../../scripts/stack/common.sh
. "$root/scripts/stack/common.sh"
# After common.sh: its log (the stack scripts') gives way to the tests' one.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
require_env KUBECONFIG
export HERALD_BIN_DIR=${1:-${HERALD_BIN_DIR:-$root/build/bin}}
HERALD_DEMO_NAMESPACE="herald-demo-smoke-$(date +%s)-$RANDOM"
export HERALD_DEMO_NAMESPACE
export HERALD_DEMO_TIMEOUT=${HERALD_DEMO_TIMEOUT:-120}
ns=$HERALD_DEMO_NAMESPACE
hook=${ns#herald-}
sink="http://127.0.0.1:${HERALD_DEMO_SINK_PORT:-$((21090 + ${HERALD_STACK_PORT_OFFSET:-0}))}"

keep=()
pid_alive demo-operator && keep+=(--keep-operator)
pid_alive demo-sink && keep+=(--keep-sink)

cleanup() {
  local rc=$?
  "$root/scripts/workers" down -n "$ns" || true
  if kubectl get namespace "$ns" >/dev/null 2>&1; then
    local nc
    for nc in $(kubectl get nc -n "$ns" -o name 2>/dev/null); do
      kubectl patch "$nc" -n "$ns" --type merge -p '{"spec":{"deletionPolicy":"Delete"}}' >/dev/null ||
        echo "warning: could not set deletionPolicy Delete on $nc" >&2
    done
    kubectl delete nc --all -n "$ns" --timeout=90s >/dev/null 2>&1 ||
      echo "warning: the channels in $ns were not deleted within 90s" >&2
    kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  fi
  "$root/scripts/demo" down --keep-stack "${keep[@]}" || true
  exit "$rc"
}
trap cleanup EXIT

echo "--- scripts/demo up in namespace $ns"
if ! out=$("$root/scripts/demo" up 2>&1); then
  echo "$out" >&2
  fail "scripts/demo up failed"
fi
echo "$out"

echo "--- checks"
grep -q "All 4 sample notifications were delivered" <<<"$out" || fail "the demo did not report 4 deliveries"
mapfile -t lines < <(grep -E '^  [0-9a-f-]{36}  ops-' <<<"$out")
[ "${#lines[@]}" -eq 4 ] || fail "want 4 delivery lines, got ${#lines[@]}"
checks=0
for line in "${lines[@]}"; do
  read -r id channel _ <<<"$line"
  case $channel in
    ops-slack | ops-teams)
      path="/${channel#ops-}/$hook"
      rec=$(curl -sf -G "$sink/_control/requests" --data-urlencode "path=$path" |
        jq -c --arg id "$id" 'first(.requests[] | select(.headers["x-herald-global-id"] == $id)) // empty')
      [ -n "$rec" ] || fail "$id: no request at $sink$path"
      status=$(jq -r .status <<<"$rec")
      [[ "$status" == 2?? ]] || fail "$id: $path answered $status"
      want=$([ "$channel" = ops-slack ] && echo "checkout" || echo "checkout v1.42.0 is live")
      jq -r .body <<<"$rec" | grep -qF "$want" || fail "$id: the body at $path lacks '$want': $(jq -r .body <<<"$rec")"
      ;;
    ops-email)
      msg=$(curl -sf -G "$HERALD_SMTP_API/search" --data-urlencode "query=message-id:\"$id@demo.herald.dev\"" |
        jq -r 'first(.messages[]) // empty | @json')
      [ -n "$msg" ] || fail "$id: no message in Mailpit"
      subject=$(jq -r .Subject <<<"$msg")
      [[ "$subject" == "Quota exceeded for "* ]] || fail "$id: unexpected subject '$subject'"
      grep -qF "$(jq -r .ID <<<"$msg")" <<<"$line" || fail "$id: the demo printed another Mailpit message"
      ;;
    *) fail "unexpected channel in: $line" ;;
  esac
  checks=$((checks + 1))
done
echo "demo smoke: $checks notifications checked at their destinations"
echo PASS
