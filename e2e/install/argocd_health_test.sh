#!/usr/bin/env bash
# The Argo CD health checks (manifests/argocd/health/*.lua) on status objects
# herald-operator really wrote, on the local stack's API server and Kafka,
# run with Debian's Lua the way Argo CD runs them (argocd_health.lua: global
# `obj`, no string library, a table with a valid status back), under lua5.4
# and lua5.1 (Argo CD's gopher-lua is a Lua 5.1).
#
#  1. The argocd-cm that manifests/argocd/health generates holds both scripts
#     verbatim under the keys Argo CD reads; the Applications point at paths
#     that exist; sample Templates sync before the channels, both after the
#     CRDs and the operator.
#  2. Every condition reason in operator/core/conditions.h is classified here;
#     a synthetic Ready=False for each maps as the table below says (a new
#     reason fails this test until someone decides what it means to Argo CD).
#  3. The operator (as the ServiceAccount of manifests/rbac) reports on a
#     valid and an invalid Template and on channels that are Ready, suspended,
#     missing their Template and using the invalid one: Healthy, Suspended,
#     Degraded as expected. While a fresh channel converges, every status the
#     operator writes on the way reads Progressing or Healthy, never Degraded.
#  4. With the operator stopped: an edited channel and Template (generation
#     ahead of status.observedGeneration) and a channel with no status yet
#     read Progressing.
#
# Usage: argocd_health_test.sh PATH/TO/herald-operator   (after `. .stack/env`)
#   KEEP_LOGS=1 keeps the operator's log and the captured objects on failure.
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
op_bin=${1:?usage: argocd_health_test.sh PATH/TO/herald-operator}
require_env KUBECONFIG HERALD_KAFKA_BOOTSTRAP
root="$(cd "$here/../.." && pwd)"
require_tools kubectl jq curl python3 lua5.4 lua5.1
for l in lua5.4 lua5.1; do
  "$l" -e 'require("cjson")' 2>/dev/null || fail "$l cannot load cjson (Debian package lua-cjson; scripts/install-deps)"
done
require_executable "$op_bin"

health_dir="$root/manifests/argocd/health"
channel_lua="$health_dir/notificationchannel.lua"
template_lua="$health_dir/template.lua"
ns="herald-argocd-e2e-$(date +%s)-$RANDOM"
stack_ca=${HERALD_STACK_CA:-${HERALD_STACK_DIR:-$root/.stack}/pki/ca.crt}
work=$(mktemp -d)
op_pid=""

on_fail() { show_log operator "$work/operator.log"; }
# Run by wait_for: the operator was refused nothing (manifests/rbac is
# enough) and, while it should run, still runs.
on_wait() {
  check_operator_log operator "$work/operator.log"
  if [ -n "$op_pid" ]; then check_running operator "$op_pid"; fi
}

# health SCRIPT JSON_FILE: "<status>\t<message>" from both Lua versions, which must agree.
health() {
  local out54 out51
  out54=$(lua5.4 "$here/argocd_health.lua" "$1" "$2") || fail "lua5.4: $(basename "$1") on $(basename "$2") failed"
  out51=$(lua5.1 "$here/argocd_health.lua" "$1" "$2") || fail "lua5.1: $(basename "$1") on $(basename "$2") failed"
  [ "$out54" = "$out51" ] || fail "lua5.4 and lua5.1 disagree on $(basename "$2"): '$out54' vs '$out51'"
  printf '%s\n' "$out54"
}
# capture RESOURCE FILE: the stored object, nulls removed as Argo CD's decoder drops them.
capture() {
  kubectl get -n "$ns" "$1" -o json | jq 'del(.metadata.managedFields) | walk(if type == "object" then with_entries(select(.value != null)) else . end)' >"$2"
}
# expect_health SCRIPT RESOURCE WANT_STATUS [WANT_REASON]: captures RESOURCE and checks its health.
checked=0
expect_health() {
  local script=$1 res=$2 want=$3 file got reason
  file="$work/$(tr '/' '_' <<<"$res")-$want.json"
  capture "$res" "$file"
  got=$(health "$script" "$file")
  reason=$(jq -r '[.status.conditions[]? | select(.type == "Ready")][0] | "\(.status // "-")/\(.reason // "-")"' "$file")
  [ "${got%%$'\t'*}" = "$want" ] || fail "$res (Ready $reason, generation $(jq .metadata.generation "$file"), observed $(jq '.status.observedGeneration // "none"' "$file")): health is '${got%%$'\t'*}', want '$want' (message: ${got#*$'\t'})"
  if [ -n "${4:-}" ]; then [ "${reason#*/}" = "$4" ] || fail "$res: Ready reason is '$reason', want reason '$4' (the operator changed?)"; fi
  checked=$((checked + 1))
  log "  $res: Ready $reason -> $want (${got#*$'\t'})"
}

cleanup() {
  local rc=$?
  set +e
  # Channels go first, while an operator runs (started again if the test
  # stopped there), so their topics go too.
  if [ -n "$(kubectl get nc -n "$ns" -o name 2>/dev/null)" ] && [ -f "$work/operator.kubeconfig" ]; then
    if [ -z "$op_pid" ] || ! kill -0 "$op_pid" 2>/dev/null; then
      launch_operator "$work/operator.log"
      op_pid=$launched_pid
    fi
    kubectl delete nc -n "$ns" --all --timeout=30s >/dev/null 2>&1
  fi
  stop_process "$op_pid"
  end_test "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. static

step "1. argocd-cm, Applications, sync waves"
kubectl kustomize "$health_dir" >"$work/argocd-cm.yaml" || fail "kubectl kustomize manifests/argocd/health failed"
cm=$(kubectl create --dry-run=client -o json -f "$work/argocd-cm.yaml")
[ "$(jq -r '"\(.kind) \(.metadata.namespace)/\(.metadata.name)"' <<<"$cm")" = "ConfigMap argocd/argocd-cm" ] ||
  fail "manifests/argocd/health does not generate ConfigMap argocd/argocd-cm"
for pair in "NotificationChannel:$channel_lua" "Template:$template_lua"; do
  key="resource.customizations.health.herald.dev_${pair%%:*}"
  # Verbatim, byte for byte (jq -j adds no newline).
  cmp -s <(jq -j --arg k "$key" '.data[$k] // ""' <<<"$cm") "${pair#*:}" ||
    fail "argocd-cm key $key is not $(basename "${pair#*:}") verbatim"
done
[ "$(jq '.data | length' <<<"$cm")" = 2 ] || fail "argocd-cm carries other keys than the two health checks: $(jq -c '.data | keys' <<<"$cm")"
# No Argo CD CRDs on the stack: read the YAML as YAML.
apps=$(python3 -c 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))' \
  <"$root/manifests/argocd/application.yaml") || fail "manifests/argocd/application.yaml does not parse"
[ "$(jq -r '[.[] | "\(.apiVersion) \(.kind)"] | unique | join(",")' <<<"$apps")" = "argoproj.io/v1alpha1 Application" ] ||
  fail "manifests/argocd/application.yaml holds other things than Argo CD Applications"
for path in $(jq -r '.[].spec.source.path' <<<"$apps"); do
  [ -d "$root/$path" ] || fail "an Application points at $path, which is not a folder of this repository"
done
[ -f "$root/$(jq -r '.[] | select(.metadata.name == "herald") | .spec.source.path' <<<"$apps")/kustomization.yaml" ] ||
  fail "the herald Application's path is not the install kustomization"
waves=$(kubectl create --dry-run=client -o json -f "$root/manifests/samples/templates.yaml" -f "$root/manifests/samples/channels.yaml" |
  jq -rs '[.[] | if .kind == "List" then .items[] else . end | "\(.kind)=\(.metadata.annotations["argocd.argoproj.io/sync-wave"] // "0")"] | unique | join(",")')
[ "$waves" = "NotificationChannel=2,Template=1" ] || fail "sample sync waves are $waves, want Templates 1 and channels 2 (after the CRDs at -1 and the operator at 0)"
pass "argocd-cm holds both scripts verbatim; Application paths exist; samples in waves 1 (Templates) and 2 (channels)"

# ---------------------------------------------------------------- 2. every reason

step "2. every reason the operator writes is classified"
# Ready=False on a channel carries the reason of its first failing part (or
# InvalidSpec); the True-side reasons never come with Ready=False.
settling="TopicPending TemplatePending PartitionsPending DeploymentNotFound Progressing Unavailable ScalingDown"
broken="InvalidSpec TemplateNotFound TemplateNotReady TemplateUnsupported NotSupported ResourceConflict KafkaError"
true_side="Ready Suspended Valid Invalid TopicsReady WorkersAvailable TemplateReady ReplicasExceedPartitions"
reasons=$(sed -n 's/^inline constexpr std::string_view kReason[A-Za-z]* = "\([A-Za-z]*\)";.*/\1/p' "$root/operator/core/conditions.h")
[ "$(wc -w <<<"$reasons")" -ge 10 ] || fail "found only $(wc -w <<<"$reasons") reasons in operator/core/conditions.h: has its layout changed?"
for r in $reasons; do
  case " $settling $broken $true_side " in
    *" $r "*) ;;
    *) fail "reason $r (operator/core/conditions.h) is not classified for Argo CD: add it to notificationchannel.lua's settling list (Progressing) or leave it Degraded, and to this test" ;;
  esac
done
synthetic() { # STATUS REASON [SUSPEND]
  jq -n --arg s "$1" --arg r "$2" '{apiVersion: "herald.dev/v1alpha1", kind: "NotificationChannel",
    metadata: {name: "x", namespace: "y", generation: 3},
    status: {observedGeneration: 3, conditions: [{type: "Ready", status: $s, reason: $r, message: "m", observedGeneration: 3}]}}'
}
n=0
for r in $settling $broken; do
  synthetic False "$r" >"$work/synthetic.json"
  want=Degraded
  case " $settling " in *" $r "*) want=Progressing ;; esac
  got=$(health "$channel_lua" "$work/synthetic.json")
  [ "${got%%$'\t'*}" = "$want" ] || fail "Ready=False/$r reads '${got%%$'\t'*}', want $want"
  n=$((n + 1))
done
synthetic Unknown Reconciling >"$work/synthetic.json"
[ "$(health "$channel_lua" "$work/synthetic.json" | cut -f1)" = Progressing ] || fail "Ready=Unknown does not read Progressing"
[ "$(health "$template_lua" "$work/synthetic.json" | cut -f1)" = Progressing ] || fail "Template Ready=Unknown does not read Progressing"
pass "$(wc -w <<<"$reasons") reasons in conditions.h; $n Ready=False reasons map as classified; Unknown -> Progressing"

# ---------------------------------------------------------------- 3. live

step "3. the operator's own status objects"
require_apiserver
# Another operator that watches every namespace of this stack would write
# these objects' status too. Those limited to a namespace (always another
# one: this one is new) or talking to another stack's Kafka do not matter.
require_no_other_operators this-stack
kubectl apply --server-side --force-conflicts -k "$root/crds" >/dev/null || fail "applying crds/ failed"
kubectl wait --for=condition=Established --timeout=60s crd/notificationchannels.herald.dev crd/templates.herald.dev >/dev/null
kubectl apply --server-side --force-conflicts -k "$root/manifests/rbac" >/dev/null || fail "applying manifests/rbac failed"
kubectl create namespace "$ns" >/dev/null
token=$(kubectl create token herald-operator -n herald-system --duration 1h) || fail "no token for herald-system/herald-operator"
operator_kubeconfig "$work/operator.kubeconfig" herald-system token "$token"
start_operator() {
  launch_operator "$work/operator.log"
  op_pid=$launched_pid
  wait_for "the operator's /readyz" 60 curl -sf "http://127.0.0.1:$launched_probe/readyz"
}
stop_operator() {
  kill -TERM "$op_pid"
  wait "$op_pid" || fail "the operator did not exit cleanly on SIGTERM"
  op_pid=""
}
start_operator

kubectl create secret generic hook -n "$ns" --from-literal=url=http://127.0.0.1:9/hook >/dev/null
kubectl apply --server-side -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: herald.dev/v1alpha1
kind: Template
metadata: {name: good}
spec:
  contentVersion: 1
  webhook: {body: '{"project":"{{content.project}}","used":{{content.used}}}'}
  sample: {globalId: 00000000-0000-4000-8000-000000000000, from: docs, createdAt: "2026-01-01T00:00:00Z",
           content: {version: "1.0", project: demo, used: 11, limit: 10}}
---
# Accepted by the API server, refused by the operator: renders {"project":demo}.
apiVersion: herald.dev/v1alpha1
kind: Template
metadata: {name: broken}
spec:
  contentVersion: 1
  webhook: {body: '{"project":{{content.project}}}'}
  sample: {globalId: 00000000-0000-4000-8000-000000000000, from: docs, createdAt: "2026-01-01T00:00:00Z",
           content: {version: "1.0", project: demo, used: 11, limit: 10}}
YAML
channel() { # NAME TEMPLATE [SUSPEND]
  cat <<YAML
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: $1}
spec:
  type: webhook
  templateRef: {name: $2}
  webhook: {urlSecretRef: {name: hook, key: url}}
  kafka: {partitions: 1}
  workers: {replicas: 1}
  suspend: ${3:-false}
  deletionPolicy: Delete
YAML
}
# While the first channel converges, every state the operator writes on the
# way (a watch sees each write) is fed to the script: none may read Degraded.
kubectl get nc -n "$ns" --watch -o json >"$work/watch.json" 2>"$work/watch.err" &
watch_pid=$!
wait_for "the watch to start" 10 bash -c "kubectl get nc -n '$ns' >/dev/null"
channel fresh good | kubectl apply --server-side -n "$ns" -f - >/dev/null
ready_is() { [ "$(kubectl get -n "$ns" "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}')" = "$2" ]; }
wait_for "nc/fresh Ready" 120 ready_is nc/fresh True/Ready
# The watch has delivered the Ready write once its stream holds it.
wait_for "the watch to see nc/fresh Ready" 10 bash -c \
  "jq -e -s 'any(.[]; any(.status.conditions[]?; .type == \"Ready\" and .status == \"True\"))' '$work/watch.json'"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
seen=""
writes=0
while read -r object; do
  writes=$((writes + 1))
  printf '%s\n' "$object" >"$work/converging-$writes.json"
  state=$(jq -r '[.status.observedGeneration // "-"] + [[.status.conditions[]? | select(.type == "Ready")][0] | .status // "-", .reason // "-"] | join("/")' <<<"$object")
  got=$(health "$channel_lua" "$work/converging-$writes.json" | cut -f1)
  case $got in Progressing | Healthy) ;; *) fail "while converging, nc/fresh ($state, version $writes) read $got" ;; esac
  case " $seen " in *" $state->$got "*) ;; *) seen="$seen $state->$got" ;; esac
done < <(jq -c 'del(.metadata.managedFields) | walk(if type == "object" then with_entries(select(.value != null)) else . end)' "$work/watch.json")
((writes >= 2)) || fail "the watch saw $writes versions of nc/fresh; want at least the new one and the Ready one"
log "  converging nc/fresh, $writes versions (observedGeneration/Ready/reason -> health):$seen"
{ channel suspended good true; echo ---; channel missing nope; echo ---; channel badtpl broken; } |
  kubectl apply --server-side -n "$ns" -f - >/dev/null
wait_for "ntpl/good Ready" 60 ready_is ntpl/good True/Valid
wait_for "ntpl/broken Invalid" 60 ready_is ntpl/broken False/Invalid
wait_for "nc/suspended Ready/Suspended" 120 ready_is nc/suspended True/Suspended
wait_for "nc/missing TemplateNotFound" 60 ready_is nc/missing False/TemplateNotFound
wait_for "nc/badtpl TemplateNotReady" 60 ready_is nc/badtpl False/TemplateNotReady
expect_health "$template_lua" ntpl/good Healthy Valid
expect_health "$template_lua" ntpl/broken Degraded Invalid
expect_health "$channel_lua" nc/fresh Healthy Ready
expect_health "$channel_lua" nc/suspended Suspended Suspended
expect_health "$channel_lua" nc/missing Degraded TemplateNotFound
expect_health "$channel_lua" nc/badtpl Degraded TemplateNotReady
pass "operator-written objects: $checked checked, and $writes versions of a converging channel"

# ---------------------------------------------------------------- 4. ahead of the operator

step "4. specs the operator has not seen yet"
checked=0
stop_operator
kubectl patch -n "$ns" nc/fresh --type merge -p '{"spec":{"delivery":{"maxAttempts":7}}}' >/dev/null
kubectl patch -n "$ns" ntpl/good --type merge -p '{"spec":{"subject":"edited"}}' >/dev/null
channel unseen good | kubectl apply --server-side -n "$ns" -f - >/dev/null
expect_health "$channel_lua" nc/fresh Progressing Ready
expect_health "$template_lua" ntpl/good Progressing Valid
expect_health "$channel_lua" nc/unseen Progressing
# Back up, so the cleanup deletes the channels' topics through it.
start_operator
pass "$checked objects ahead of their status read Progressing"

echo
log "argocd_health: all passed in $((SECONDS - started))s"
