#!/usr/bin/env bash
# CRD validation test against the local stack's real kube-apiserver.
#
# 1. Applies crds/ with server-side apply and waits until both CRDs are
#    Established (the API server refuses a CRD whose CEL rules exceed the cost
#    budget, so this step also proves the cost estimates pass).
# 2. Every fixture in e2e/crds/valid/ is accepted (server-side dry-run, with no
#    warnings); a few are created for real and the defaulted fields are read
#    back.
# 3. Every fixture in e2e/crds/invalid/ is rejected, and the API server's error
#    contains the substring on the fixture's first line, "# expect: ...".
# 4. Transition rules on update: partitions may grow but not shrink,
#    replicationFactor and the topic override are immutable.
# 5. Status subresource and printer columns (kubectl get nc / ntpl / herald).
#
# Usage: KUBECONFIG=... e2e/crds/crd_validation_test.sh   (or `. .stack/env` first)
# Uses its own namespace, deleted at the end; the CRDs are left installed.
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
require_env KUBECONFIG
require_tools kubectl

root="$(cd "$here/../.." && pwd)"
ns="herald-crd-test-$(date +%s)-$RANDOM"
fm=herald-crd-test
failures=()
passed=0
valid_count=0
invalid_count=0
update_count=0

cleanup() {
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# fail (e2e/lib.sh) ends the test at once; bad records a failed check and goes on.
ok() { passed=$((passed + 1)); }
bad() { failures+=("$*"); echo "FAIL: $*" >&2; }

# apply FILE [extra kubectl args...]: server-side apply into the test namespace.
apply() {
  local file=$1
  shift
  kubectl apply --server-side --field-manager="$fm" -n "$ns" -f "$file" "$@"
}

# expect_field RESOURCE JSONPATH WANT: the stored object has WANT at JSONPATH.
expect_field() {
  local res=$1 path=$2 want=$3 got
  got=$(kubectl get -n "$ns" "$res" -o jsonpath="{$path}" 2>&1) || got="<error: $got>"
  if [ "$got" = "$want" ]; then ok; else bad "$res: $path is '$got', want '$want'"; fi
}

# expect_rejected WHAT WANT CMD...: CMD fails and its output contains WANT.
expect_rejected() {
  local what=$1 want=$2 out
  shift 2
  if out=$("$@" 2>&1); then
    bad "$what was accepted, want a rejection containing: $want"
    return
  fi
  if grep -qF -- "$want" <<<"$out"; then ok; else bad "$what was rejected, but the error does not contain '$want': $out"; fi
}

# expect_accepted WHAT CMD...: CMD succeeds and prints no warning.
expect_accepted() {
  local what=$1 out
  shift
  if ! out=$("$@" 2>&1); then
    bad "$what was rejected: $out"
  elif grep -q '^Warning' <<<"$out"; then
    bad "$what was accepted with a warning: $out"
  else
    ok
  fi
}

require_apiserver

echo "--- installing CRDs"
out=$(kubectl apply --server-side --force-conflicts --field-manager="$fm" -k "$root/crds" 2>&1) ||
  fail "the API server refused the CRDs (schema error or CEL cost budget exceeded?): $out"
kubectl wait --for=condition=Established --timeout=60s \
  crd/notificationchannels.herald.dev crd/templates.herald.dev >/dev/null ||
  fail "the CRDs did not become Established: $(kubectl get crd notificationchannels.herald.dev templates.herald.dev -o yaml 2>&1 | tail -40)"
for crd in notificationchannels.herald.dev templates.herald.dev; do
  # A CRD can be Established and still report NonStructuralSchema or other problems.
  problems=$(kubectl get crd "$crd" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
  case " $problems " in
    *NonStructuralSchema*) fail "$crd: schema is not structural: $(kubectl get crd "$crd" -o jsonpath='{.status.conditions}')" ;;
  esac
done

kubectl create namespace "$ns" >/dev/null
# The CRDs may be Established a moment before discovery serves them to this client.
wait_for "nc / ntpl to be available through discovery" 60 kubectl get nc,ntpl -n "$ns"

echo "--- names"
expect_field_cluster() {
  local res=$1 path=$2 want=$3 got
  got=$(kubectl get "$res" -o jsonpath="{$path}" 2>&1) || got="<error: $got>"
  if [ "$got" = "$want" ]; then ok; else bad "$res: $path is '$got', want '$want'"; fi
}
expect_field_cluster crd/notificationchannels.herald.dev .spec.names.shortNames '["nc"]'
expect_field_cluster crd/templates.herald.dev .spec.names.shortNames '["ntpl"]'
expect_field_cluster crd/notificationchannels.herald.dev .spec.names.categories '["herald"]'
expect_field_cluster crd/templates.herald.dev .spec.names.categories '["herald"]'
expect_field_cluster crd/notificationchannels.herald.dev .spec.scope Namespaced
expect_field_cluster crd/templates.herald.dev .spec.scope Namespaced

echo "--- valid fixtures (server-side dry-run)"
shopt -s nullglob
valid=("$here"/valid/*.yaml)
invalid=("$here"/invalid/*.yaml)
((${#valid[@]} > 0)) || fail "no fixtures in $here/valid"
((${#invalid[@]} > 0)) || fail "no fixtures in $here/invalid"
for f in "${valid[@]}"; do
  valid_count=$((valid_count + 1))
  expect_accepted "valid/$(basename "$f")" apply "$f" --dry-run=server
done

echo "--- real creates and defaults"
for f in template-quota-exceeded template-minimal channel-slack channel-slack-minimal \
  channel-email-defaults channel-autoscaling-defaults channel-topic-override; do
  expect_accepted "creating valid/$f.yaml" apply "$here/valid/$f.yaml"
done
expect_field ntpl/minimal .spec.contentVersion 1
expect_field ntpl/quota-exceeded .spec.sample.content.project demo
nc=nc/slack-minimal
expect_field $nc .spec.kafka.partitions 6
expect_field $nc .spec.kafka.replicationFactor 1
expect_field $nc .spec.kafka.retention 168h
expect_field $nc .spec.kafka.topic ''
expect_field $nc .spec.delivery.maxAttempts 5
expect_field $nc .spec.delivery.backoff.initial 500ms
expect_field $nc .spec.delivery.backoff.max 30s
expect_field $nc .spec.delivery.backoff.multiplier 2
expect_field $nc .spec.delivery.timeout 10s
expect_field $nc .spec.delivery.concurrency 64
expect_field $nc .spec.delivery.deadLetter.enabled true
expect_field $nc .spec.delivery.rateLimit ''
expect_field $nc .spec.workers.replicas 2
expect_field $nc .spec.workers.terminationGracePeriodSeconds 30
expect_field $nc .spec.workers.drainTimeout 20s
expect_field $nc .spec.workers.autoscaling ''
expect_field $nc .spec.suspend false
expect_field $nc .spec.deletionPolicy Retain
expect_field nc/mail-defaults .spec.email.smtp.port 587
expect_field nc/mail-defaults .spec.email.smtp.tls starttls
expect_field nc/autoscaling-defaults .spec.workers.autoscaling.minReplicas 1
expect_field nc/autoscaling-defaults .spec.workers.autoscaling.maxReplicas 6
expect_field nc/autoscaling-defaults .spec.workers.autoscaling.targetCPUUtilization 70
expect_field nc/autoscaling-defaults .spec.workers.autoscaling.scaleDown Disabled

echo "--- invalid fixtures"
for f in "${invalid[@]}"; do
  invalid_count=$((invalid_count + 1))
  want=$(sed -n '1s/^# expect: //p' "$f")
  if [ -z "$want" ]; then
    bad "invalid/$(basename "$f") does not start with '# expect: <substring of the error>'"
    continue
  fi
  expect_rejected "invalid/$(basename "$f")" "$want" apply "$f" --dry-run=server
done

echo "--- updates (transition rules)"
kpatch() { kubectl patch -n "$ns" "$1" --type=merge -p "$2"; }
update_case() { update_count=$((update_count + 1)); }
update_case
expect_rejected "lowering spec.kafka.partitions from 6 to 3" \
  "spec.kafka.partitions cannot decrease" kpatch nc/ops-alerts '{"spec":{"kafka":{"partitions":3}}}'
expect_field nc/ops-alerts .spec.kafka.partitions 6
update_case
expect_rejected "lowering spec.kafka.partitions by server-side apply" \
  "spec.kafka.partitions cannot decrease" \
  kubectl apply --server-side --field-manager="$fm" -n "$ns" -f - <<<"$(sed 's/partitions: 6/partitions: 1/' "$here/valid/channel-slack.yaml")"
update_case
expect_accepted "raising spec.kafka.partitions from 6 to 12" kpatch nc/ops-alerts '{"spec":{"kafka":{"partitions":12}}}'
expect_field nc/ops-alerts .spec.kafka.partitions 12
update_case
expect_rejected "lowering spec.kafka.partitions from 12 to 6 after raising it" \
  "spec.kafka.partitions cannot decrease" kpatch nc/ops-alerts '{"spec":{"kafka":{"partitions":6}}}'
update_case
expect_rejected "changing spec.kafka.replicationFactor" \
  "spec.kafka.replicationFactor is immutable" kpatch nc/ops-alerts '{"spec":{"kafka":{"replicationFactor":3}}}'
expect_field nc/ops-alerts .spec.kafka.replicationFactor 1
update_case
expect_rejected "adding spec.kafka.topic after creation" \
  "spec.kafka.topic cannot be added, changed or removed after the channel is created" \
  kpatch nc/ops-alerts '{"spec":{"kafka":{"topic":"ops.alerts"}}}'
update_case
expect_rejected "changing spec.kafka.topic" \
  "spec.kafka.topic cannot be added, changed or removed after the channel is created" \
  kpatch nc/legacy-topic '{"spec":{"kafka":{"topic":"other"}}}'
update_case
expect_rejected "removing spec.kafka.topic" \
  "spec.kafka.topic cannot be added, changed or removed after the channel is created" \
  kpatch nc/legacy-topic '{"spec":{"kafka":{"topic":null}}}'
update_case
expect_accepted "suspending a channel and changing its delivery settings" \
  kpatch nc/ops-alerts '{"spec":{"suspend":true,"delivery":{"maxAttempts":8},"workers":{"replicas":3}}}'
expect_field nc/ops-alerts .spec.suspend true
update_case
expect_rejected "switching spec.type without switching the section" \
  "spec.teams: Required value" kpatch nc/ops-alerts '{"spec":{"type":"teams"}}'
update_case
expect_accepted "switching spec.type together with the section" \
  kpatch nc/slack-minimal '{"spec":{"type":"teams","slack":null,"teams":{"webhookURLSecretRef":{"name":"teams-ops","key":"url"}}}}'

echo "--- status subresource and printer columns"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
topic="herald.$ns.ops-alerts"
status=$(
  cat <<JSON
{"status":{"observedGeneration":1,"topic":"$topic","deadLetterTopic":"$topic.dlq","replicas":2,"readyReplicas":2,
 "conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"all good","lastTransitionTime":"$now","observedGeneration":1},
               {"type":"TopicReady","status":"True","reason":"TopicReady","message":"6 partitions","lastTransitionTime":"$now"}]}}
JSON
)
expect_accepted "writing a channel's status" kubectl patch -n "$ns" nc/ops-alerts --subresource=status --type=merge -p "$status"
expect_field nc/ops-alerts .status.deadLetterTopic "$topic.dlq"
expect_rejected "a condition with status Maybe" 'status.conditions[0].status: Unsupported value: "Maybe"' \
  kubectl patch -n "$ns" nc/ops-alerts --subresource=status --type=merge \
  -p "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Maybe\",\"reason\":\"X\",\"message\":\"\",\"lastTransitionTime\":\"$now\"}]}}"
expect_accepted "writing a template's status" kubectl patch -n "$ns" ntpl/quota-exceeded --subresource=status --type=merge \
  -p "{\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"RenderFailed\",\"message\":\"html: line 1\",\"lastTransitionTime\":\"$now\"}]}}"

# columns LINE: the line's whitespace-separated fields, one space apart.
columns() { tr -s ' ' <<<"$1"; }
out=$(kubectl get nc -n "$ns" ops-alerts 2>&1) || bad "kubectl get nc failed: $out"
header=$(columns "$(sed -n 1p <<<"$out")")
row=$(columns "$(sed -n 2p <<<"$out")")
if [ "$header" = "NAME TYPE TOPIC READY REPLICAS AGE" ]; then ok; else bad "kubectl get nc columns are '$header', want 'NAME TYPE TOPIC READY REPLICAS AGE'"; fi
case "$row" in
  "ops-alerts slack $topic True 2 "*) ok ;;
  *) bad "kubectl get nc row is '$row', want 'ops-alerts slack $topic True 2 <age>'" ;;
esac
out=$(kubectl get nc -n "$ns" ops-alerts -o wide 2>&1) || bad "kubectl get nc -o wide failed: $out"
header=$(columns "$(sed -n 1p <<<"$out")")
if [ "$header" = "NAME TYPE TOPIC READY REPLICAS TEMPLATE SUSPENDED REASON AGE" ]; then ok; else bad "kubectl get nc -o wide columns are '$header'"; fi
out=$(kubectl get ntpl -n "$ns" quota-exceeded 2>&1) || bad "kubectl get ntpl failed: $out"
header=$(columns "$(sed -n 1p <<<"$out")")
row=$(columns "$(sed -n 2p <<<"$out")")
if [ "$header" = "NAME READY AGE" ]; then ok; else bad "kubectl get ntpl columns are '$header', want 'NAME READY AGE'"; fi
case "$row" in
  "quota-exceeded False "*) ok ;;
  *) bad "kubectl get ntpl row is '$row', want 'quota-exceeded False <age>'" ;;
esac
# A channel without status shows empty cells, not an error.
out=$(kubectl get nc -n "$ns" mail-defaults --no-headers 2>&1) || bad "kubectl get nc mail-defaults failed: $out"
case "$(columns "$out")" in
  "mail-defaults email "[0-9]*[smhd]) ok ;;
  *) bad "kubectl get nc row for a channel without status is '$(columns "$out")'" ;;
esac
out=$(kubectl get herald -n "$ns" -o name 2>&1) || bad "kubectl get herald failed: $out"
if grep -q '^notificationchannel.herald.dev/ops-alerts$' <<<"$out" && grep -q '^template.herald.dev/quota-exceeded$' <<<"$out"; then
  ok
else
  bad "kubectl get herald (category) does not list both kinds: $out"
fi

echo
echo "crd validation: $valid_count valid fixtures, $invalid_count invalid fixtures, $update_count update cases; $passed checks passed, ${#failures[@]} failed"
if ((${#failures[@]} > 0)); then
  printf 'FAIL: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "PASS"
