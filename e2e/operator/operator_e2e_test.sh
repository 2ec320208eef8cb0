#!/usr/bin/env bash
# herald-operator end to end, against the local stack's real kube-apiserver
# (+ controller-manager, scheduler, kwok) and the real Kafka broker.
#
# The operator runs as a local process under the ServiceAccount
# herald-system/herald-operator, bound by the RBAC it ships with
# (manifests/rbac): a token from the TokenRequest API in its own kubeconfig.
# Any "forbidden" in its log, or its exit, fails the test with the log tail.
#
#  0. Preconditions: the stack answers; the fake node keeps a heartbeat Lease
#     (else worker pods go unready for good); no other herald-operator process
#     runs (it would reconcile these objects too).
#  1. CRDs and RBAC applied; the ServiceAccount may do what the operator needs
#     and nothing it should not (auth can-i with the token).
#  2. /healthz, /readyz, /metrics (controller_runtime_reconcile_total).
#  3. Template + webhook, slack (autoscaling) and email channels become Ready
#     (kubectl wait); topics and dead-letter topics on the broker (kcat
#     metadata: partitions, replication; topic configs when the Kafka jars are
#     found); every child that matters (Deployment, ConfigMap, Service, PDB,
#     HPA, the Kafka properties Secret of --kafka-properties-file) with its
#     fields, owner references, labels, config hash and Events.
#  4. Invalid resources are refused by the API server, naming the field.
#  5. Drift repair: a deleted Deployment, a hand-edited ConfigMap and
#     Deployment, a deleted Service and PDB come back.
#  6. A Template edit rolls the config hash on every channel that uses it.
#  7. Partition increase reaches the broker; a decrease is refused (CEL); a
#     retention change reaches the topic config.
#  8. A channel claiming another channel's topic gets ResourceConflict, runs no
#     workers, and its deletion (policy Delete) leaves the owner's topics alone.
#  9. suspend: workers to 0, HPA and PDB gone, topics kept, Ready/Suspended;
#     resume brings them back.
# 10. Deletion: Retain keeps both topics (a re-created channel adopts them,
#     data included), Delete removes both; the finalizer goes, the channel goes.
# 11. SIGTERM: graceful exit with code 0.
# 12. Two replicas with --leader-elect: exactly one leads and reconciles
#     (herald_operator_leader, controller_runtime_reconcile_total); kill -9 of
#     the leader hands over within 25 s and a new channel becomes Ready; SIGTERM
#     releases the Lease. A channel whose name is too long for a label value
#     has its drift repaired through the watch (resync 5 m there).
#
# Usage: operator_e2e_test.sh PATH/TO/herald-operator   (after `. .stack/env`)
#   KEEP_LOGS=1 keeps the operators' logs when it fails.
# Everything lives in a fresh namespace, deleted at the end with the test's
# topics; the CRDs and manifests/rbac (+ kafka-properties) stay installed.
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
op_bin=${1:?usage: operator_e2e_test.sh PATH/TO/herald-operator}
require_env KUBECONFIG HERALD_KAFKA_BOOTSTRAP
require_tools kubectl kcat jq curl sha256sum base64 python3
require_executable "$op_bin"

root="$(cd "$here/../.." && pwd)"
ns="herald-op-e2e-$(date +%s)-$RANDOM"
# The default image, passed explicitly (the flag is exercised, the checks know it).
image="herald-sidecar:$("$op_bin" --version | awk '{print $2}')"
bootstrap=$HERALD_KAFKA_BOOTSTRAP
stack_ca=${HERALD_STACK_CA:-${HERALD_STACK_DIR:-$root/.stack}/pki/ca.crt}
work=$(mktemp -d)
declare -A op_pid=() op_metrics=() op_probe=() op_stopped=()

# ---------------------------------------------------------------- helpers

dump_operators() {
  local name
  for name in "${!op_pid[@]}"; do
    show_log "operator '$name' (pid ${op_pid[$name]})" "$work/$name.log"
  done
}

on_fail() {
  dump_operators
  if kubectl get namespace "$ns" >/dev/null 2>&1; then
    echo "----- objects in $ns:"
    kubectl get nc,ntpl,deploy,cm,svc,pdb,hpa -n "$ns" 2>&1 || true
    kubectl get nc -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}:{"\n"}{range .status.conditions[*]}  {.type}={.status} {.reason}: {.message}{"\n"}{end}{end}' 2>&1 || true
  fi
}

# Run by wait_for on every round: fails when an operator that should be
# running has exited, or when one was refused anything by the API server: the
# shipped RBAC must be enough.
on_wait() {
  local name
  for name in "${!op_pid[@]}"; do
    check_operator_log "$name" "$work/$name.log"
    [ -n "${op_stopped[$name]:-}" ] || check_running "$name" "${op_pid[$name]}"
  done
}

# expect WHAT GOT WANT
expect() {
  [ "$2" = "$3" ] || fail "$1 is '$2', want '$3'"
}
expect_contains() {
  grep -qF -- "$3" <<<"$2" || fail "$1 does not contain '$3': $2"
}
absent() { ! kubectl -n "$ns" get "$1" >/dev/null 2>&1; }
# condition CHANNEL TYPE: "status/reason" of one condition.
condition() {
  jp "nc/$1" ".status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason"
}
condition_is() { [ "$(condition "$1" "$2")" = "$3" ]; }
# For wait_for, which must re-read on every round (never pass it "$(...)").
field_is() { [ "$(jp "$1" "$2")" = "$3" ]; }
field_is_not() { [ "$(jp "$1" "$2")" != "$3" ]; }
# config_sha CONFIGMAP [PROPERTIES_FILE]: the config hash the operator puts on
# the pod template: SHA-256 of sidecar.yaml, byte for byte (a $(...) would
# drop its final newline), followed by NUL and the Kafka properties if any.
config_sha() {
  {
    kubectl -n "$ns" get configmap "$1" -o jsonpath='{.data.sidecar\.yaml}'
    if [ -n "${2:-}" ]; then printf '\0' && cat "$2"; fi
  } | sha256sum | cut -d' ' -f1
}

# Kafka, through the broker's metadata (kcat) and, for configs, Kafka's own
# ConfigCommand from the stack's jars when they are there.
partitions() {
  kcat -L -b "$bootstrap" -J -m 10 2>/dev/null |
    jq -r --arg t "$1" '[.topics[] | select(.topic == $t and (.error == null))][0] | if . == null then "absent" else (.partitions | length) end'
}
partitions_are() { [ "$(partitions "$1")" = "$2" ]; }
replication() {
  kcat -L -b "$bootstrap" -J -m 10 2>/dev/null |
    jq -r --arg t "$1" '[.topics[] | select(.topic == $t)][0].partitions | map(.replicas | length) | unique | join(",")'
}
kafka_libs=$(find "${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}" -mindepth 2 -maxdepth 2 -type d -path '*/kafka-*/libs' 2>/dev/null | sort | head -n1 || true)
topic_config() { # TOPIC KEY
  java -cp "$kafka_libs/*" kafka.admin.ConfigCommand --bootstrap-server "$bootstrap" --describe \
    --entity-type topics --entity-name "$1" 2>/dev/null | sed -n "s/^  $2=\([^ ]*\) .*/\1/p"
}
topic_config_is() { [ "$(topic_config "$1" "$2")" = "$3" ]; }
have_kafka_tools() { [ -n "$kafka_libs" ] && command -v java >/dev/null; }

# start_operator NAME [FLAGS...]: runs the operator in the background as the
# ServiceAccount, on free loopback ports, watching only the test namespace.
start_operator() {
  local name=$1
  shift
  launch_operator "$work/$name.log" --sidecar-image "$image" --resync-period 15s "$@"
  op_pid[$name]=$launched_pid
  op_metrics[$name]=$launched_metrics
  op_probe[$name]=$launched_probe
  wait_for "operator '$name' to answer /healthz" 30 http_ok "http://127.0.0.1:${op_probe[$name]}/healthz"
}

# stop_operator NAME SIGNAL: sends SIGNAL and reaps the process; its exit
# code lands in $stopped_rc (not printed: a $(...) subshell cannot reap it).
stopped_rc=0
stop_operator() {
  local name=$1 sig=$2
  op_stopped[$name]=1
  kill "-$sig" "${op_pid[$name]}" 2>/dev/null || true
  stopped_rc=0
  wait "${op_pid[$name]}" || stopped_rc=$?
}

cleanup() {
  local rc=$? name c
  set +e
  # Channels first, while an operator still runs, so Delete-policy topics go
  # too; then the operators; then the namespace.
  if kubectl get ns "$ns" >/dev/null 2>&1; then
    local live=""
    for name in "${!op_pid[@]}"; do kill -0 "${op_pid[$name]}" 2>/dev/null && live=1; done
    if [ -n "$live" ] && [ -n "$(kubectl get nc -n "$ns" -o name 2>/dev/null)" ]; then
      for c in $(kubectl get nc -n "$ns" -o name 2>/dev/null); do
        kubectl patch -n "$ns" "$c" --type merge -p '{"spec":{"deletionPolicy":"Delete"}}' >/dev/null 2>&1
      done
      kubectl delete nc -n "$ns" --all --timeout=30s >/dev/null 2>&1
    fi
  fi
  for name in "${!op_pid[@]}"; do stop_process "${op_pid[$name]}"; done
  end_test "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 0. the stack

step "0. preconditions"
require_apiserver
require_kafka
[ -f "$stack_ca" ] || fail "the stack's CA certificate $stack_ca is missing"
# Workers only stay Ready when the fake node stays Ready: its kubelet
# heartbeat is a Lease, without which the node controller marks it NotReady
# every ~50 s and its pods unready for good.
renew=$(kubectl get lease -n kube-node-lease kwok-node-0 -o jsonpath='{.spec.renewTime}' 2>/dev/null || true)
if [ -z "$renew" ] || (($(date +%s) - $(date -d "$renew" +%s) > 60)); then
  fail "the kwok node has no fresh heartbeat Lease (kube-node-lease/kwok-node-0, renewTime '$renew'): the node flaps NotReady and every worker pod turns unready for good; the stack must start kwok with --node-lease-duration-seconds=40"
fi
# Another operator on this stack (e.g. the demo's, which watches every
# namespace) would reconcile this test's objects too, with other flags: the two
# fight over the children, and nothing here would show what this one did.
require_no_other_operators all
pass "stack reachable"

# ---------------------------------------------------------------- 1. CRDs, RBAC, identity

step "1. CRDs, RBAC and the operator's identity"
kubectl apply --server-side --force-conflicts -k "$root/crds" >/dev/null || fail "applying crds/ failed"
kubectl wait --for=condition=Established --timeout=60s crd/notificationchannels.herald.dev crd/templates.herald.dev >/dev/null ||
  fail "the CRDs did not become Established"
kubectl apply --server-side --force-conflicts -k "$root/manifests/rbac" >/dev/null || fail "applying manifests/rbac failed"
# The operator below runs with --kafka-properties-file, which needs the optional Secret rule.
kubectl apply --server-side --force-conflicts -k "$root/manifests/rbac/kafka-properties" >/dev/null ||
  fail "applying manifests/rbac/kafka-properties failed"
kubectl create namespace "$ns" >/dev/null
wait_for "the CRDs to be served" 30 kubectl get nc,ntpl -n "$ns"
# The Lease Role of manifests/rbac, in the test namespace (so leader election
# here cannot collide with an operator running in herald-system).
for f in leader_election_role.yaml leader_election_role_binding.yaml; do
  kubectl create --dry-run=client -o json -f "$root/manifests/rbac/$f" |
    jq --arg ns "$ns" '.metadata.namespace = $ns' | kubectl apply --server-side -f - >/dev/null
done

# A kubeconfig with a ServiceAccount token: the real ServiceAccount binding.
token=$(kubectl create token herald-operator -n herald-system --duration 1h) || fail "no token for herald-system/herald-operator"
operator_kubeconfig "$work/operator.kubeconfig" herald-system token "$token"
as_op() { kubectl --kubeconfig "$work/operator.kubeconfig" "$@"; }
expect "token identity" "$(as_op auth whoami -o jsonpath='{.status.userInfo.username}')" \
  "system:serviceaccount:herald-system:herald-operator"
can() { [ "$(as_op auth can-i "$@" 2>/dev/null)" = yes ]; }
for q in "list notificationchannels.herald.dev -A" "watch templates.herald.dev -A" \
  "patch notificationchannels.herald.dev --subresource=status -n $ns" \
  "patch templates.herald.dev --subresource=status -n $ns" \
  "update notificationchannels.herald.dev --subresource=finalizers -n $ns" "create deployments.apps -n $ns" \
  "patch configmaps -n $ns" "watch deployments.apps -A" "delete horizontalpodautoscalers.autoscaling -n $ns" \
  "delete poddisruptionbudgets.policy -n $ns" "create events -n $ns" "create leases.coordination.k8s.io -n herald-system" \
  "create secrets -n $ns" "patch secrets -n $ns" \
  "update leases.coordination.k8s.io/herald-operator-leader -n herald-system"; do
  # shellcheck disable=SC2086
  can $q || fail "the ServiceAccount may not '$q', which the operator needs"
done
for q in "get secrets -n $ns" "list secrets -A" "watch secrets -n $ns" "delete secrets -n $ns" \
  "delete deployments.apps -n $ns" "create pods -n $ns" \
  "delete notificationchannels.herald.dev -n $ns" "update leases.coordination.k8s.io/kube-scheduler -n herald-system" \
  "patch templates.herald.dev -n $ns" "update notificationchannels.herald.dev -n $ns" \
  "create clusterroles.rbac.authorization.k8s.io"; do
  # shellcheck disable=SC2086
  can $q && fail "the ServiceAccount may '$q': more than least privilege"
done
pass "CRDs established, RBAC applied, token for system:serviceaccount:herald-system:herald-operator, can-i as expected"

# ---------------------------------------------------------------- 2. the operator

step "2. operator up as the ServiceAccount; probes and metrics"
# Kafka client settings for the admin client and the workers (what TLS / SASL
# credentials would be); harmless on the stack's PLAINTEXT listener.
props="$work/client.properties"
printf '# e2e\nsocket.keepalive.enable=true\nclient.rack=e2e\n' >"$props"
start_operator main --kafka-properties-file "$props"
probe=${op_probe[main]}
metrics=${op_metrics[main]}
wait_for "/readyz to answer 200" 30 http_ok "http://127.0.0.1:$probe/readyz"
expect "/healthz" "$(http_code "http://127.0.0.1:$probe/healthz")" 200
expect "herald_operator_leader (no election)" "$(metric herald_operator_leader "$metrics")" 1
wait_for "the workers' lifecycle events topic herald.events" 30 bash -c "[ \"\$(kcat -L -b '$bootstrap' -t herald.events -J -m 10 | jq -r '.topics[0].error // \"ok\"')\" = ok ]"
pass "/healthz and /readyz 200 on 127.0.0.1:$probe; metrics on 127.0.0.1:$metrics"

# ---------------------------------------------------------------- 3. to Ready

step "3. Template and three channels to Ready"
k create secret generic hook --from-literal=url=http://127.0.0.1:9/hook \
  --from-literal=secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw >/dev/null
k create secret generic slack-ops --from-literal=url=http://127.0.0.1:9/slack >/dev/null
k create secret generic smtp-creds --from-literal=username=herald --from-literal=password=secret >/dev/null
k apply --server-side -f - >/dev/null <<EOF
apiVersion: herald.dev/v1alpha1
kind: Template
metadata: {name: quota-exceeded}
spec:
  contentVersion: 1
  subject: "Quota exceeded for {{content.project}}"
  text: "{{content.used}} of {{content.limit}} requests used."
  html: "<p><b>{{content.project}}</b>: {{content.used}} / {{content.limit}}</p>"
  slack:
    text: "Quota exceeded for {{content.project}}"
    blocks: '[{"type":"section","text":{"type":"mrkdwn","text":"*{{content.project}}* is over quota"}}]'
  webhook:
    body: '{"project":"{{content.project}}","used":{{content.used}}}'
  sample: {globalId: 00000000-0000-4000-8000-000000000000, from: docs, createdAt: "2026-01-01T00:00:00Z",
           content: {version: "1.0", project: demo, used: 11, limit: 10}}
---
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: hooks}
spec:
  type: webhook
  templateRef: {name: quota-exceeded}
  webhook: {urlSecretRef: {name: hook, key: url}, signingSecretRef: {name: hook, key: secret}, headers: {X-Team: a}}
  kafka: {partitions: 3}
  workers: {replicas: 2}
  deletionPolicy: Delete
---
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: ops-alerts}
spec:
  type: slack
  templateRef: {name: quota-exceeded}
  slack: {webhookURLSecretRef: {name: slack-ops, key: url}}
  kafka: {partitions: 6, replicationFactor: 1, retention: 168h}
  delivery:
    maxAttempts: 5
    backoff: {initial: 500ms, max: 30s, multiplier: 2}
    timeout: 10s
    rateLimit: {perSecond: 50, burst: 100}
    concurrency: 64
    deadLetter: {enabled: true}
  workers:
    replicas: 2
    autoscaling: {minReplicas: 2, maxReplicas: 8, targetCPUUtilization: 70, scaleDown: Disabled}
    terminationGracePeriodSeconds: 30
    drainTimeout: 20s
  suspend: false
  deletionPolicy: Retain
---
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: mail}
spec:
  type: email
  templateRef: {name: quota-exceeded}
  email:
    smtp: {host: ${HERALD_SMTP_HOST:-127.0.0.1}, port: ${HERALD_SMTP_PORT:-1025}, tls: none, credentialsSecretRef: {name: smtp-creds}}
    from: "Herald <herald@example.com>"
    to: ["ops@example.com"]
  kafka: {partitions: 2}
  workers: {replicas: 1}
  deletionPolicy: Delete
EOF
wait_for "Template quota-exceeded to be Ready" 60 k wait --for=condition=Ready --timeout=2s ntpl/quota-exceeded
wait_for "channels hooks, ops-alerts and mail to be Ready" 120 \
  k wait --for=condition=Ready --timeout=2s nc/hooks nc/ops-alerts nc/mail
for c in hooks ops-alerts mail; do
  expect "nc/$c status.observedGeneration" "$(jp "nc/$c" .status.observedGeneration)" "$(jp "nc/$c" .metadata.generation)"
  for t in Ready TopicReady WorkersReady TemplateReady; do
    expect "nc/$c condition $t" "$(jp "nc/$c" ".status.conditions[?(@.type==\"$t\")].status")" True
  done
  expect "nc/$c finalizers" "$(jp "nc/$c" .metadata.finalizers)" '["herald.dev/finalizer"]'
  expect "nc/$c status.topic" "$(jp "nc/$c" .status.topic)" "herald.$ns.$c"
  expect "nc/$c status.deadLetterTopic" "$(jp "nc/$c" .status.deadLetterTopic)" "herald.$ns.$c.dlq"
done
expect "ntpl/quota-exceeded observedGeneration" "$(jp ntpl/quota-exceeded .status.observedGeneration)" 1
pass "all Ready, with observedGeneration, finalizer, topic and dead-letter topic in status"

step "3a. topics on the broker"
for c in hooks:3 ops-alerts:6 mail:2; do
  name=${c%%:*} want=${c##*:}
  for t in "herald.$ns.$name" "herald.$ns.$name.dlq"; do
    expect "partitions of $t" "$(partitions "$t")" "$want"
    expect "replication factor of $t" "$(replication "$t")" 1
  done
done
if have_kafka_tools; then
  expect "retention.ms of herald.$ns.ops-alerts" "$(topic_config "herald.$ns.ops-alerts" retention.ms)" 604800000
  expect "cleanup.policy of herald.$ns.ops-alerts" "$(topic_config "herald.$ns.ops-alerts" cleanup.policy)" delete
  expect "retention.ms of herald.$ns.ops-alerts.dlq (at least 14 days)" \
    "$(topic_config "herald.$ns.ops-alerts.dlq" retention.ms)" 1209600000
  pass "topics and dead-letter topics with their partitions, replication factor and configs"
else
  pass "topics and dead-letter topics with their partitions and replication factor (configs not checked: no Kafka jars or java)"
fi

step "3b. the children"
uid=$(jp nc/hooks .metadata.uid)
dep=$(k get deployment herald-hooks -o json --show-managed-fields)
cm=$(jp cm/herald-hooks '.data.sidecar\.yaml')
expect_jq "Deployment herald-hooks" "$dep" '.spec.replicas' 2
expect_jq "Deployment herald-hooks" "$dep" '.metadata.ownerReferences | map(select(.kind == "NotificationChannel" and .controller == true and .blockOwnerDeletion == true) | .uid) | join(",")' "$uid"
expect_jq "Deployment herald-hooks" "$dep" '.metadata.labels | [."app.kubernetes.io/managed-by", ."app.kubernetes.io/part-of", ."herald.dev/channel"] | join(",")' "herald-operator,herald,hooks"
expect_jq "Deployment herald-hooks" "$dep" '.metadata.managedFields | map(select(.operation == "Apply") | .manager) | unique | join(",")' "herald-operator"
expect_jq "Deployment herald-hooks" "$dep" '.spec.strategy.rollingUpdate | "\(.maxSurge)/\(.maxUnavailable)"' "1/0"
pod='.spec.template.spec'
ctr='.spec.template.spec.containers[0]'
expect_jq "Deployment herald-hooks" "$dep" "$ctr.image" "$image"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.args | join(\" \")" "--config /etc/herald/sidecar.yaml"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.readinessProbe.httpGet | \"\(.path) \(.port)\"" "/readyz probes"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.livenessProbe.httpGet | \"\(.path) \(.port)\"" "/healthz probes"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.ports | map(\"\(.name)=\(.containerPort)\") | join(\",\")" "metrics=8080,probes=8081"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.lifecycle.preStop.sleep.seconds > 0" true
expect_jq "Deployment herald-hooks" "$dep" "$ctr.resources | (.requests.cpu != null and .requests.memory != null and .limits.memory != null)" true
expect_jq "Deployment herald-hooks" "$dep" "$ctr.securityContext | [.runAsNonRoot, .readOnlyRootFilesystem, .allowPrivilegeEscalation, (.capabilities.drop | join(\",\")), .seccompProfile.type] | map(tostring) | join(\" \")" "true true false ALL RuntimeDefault"
expect_jq "Deployment herald-hooks" "$dep" "$pod.securityContext | [.runAsNonRoot, .seccompProfile.type] | map(tostring) | join(\" \")" "true RuntimeDefault"
expect_jq "Deployment herald-hooks" "$dep" "$pod.automountServiceAccountToken" false
# the grace period outlasts preStop + drainTimeout (20 s by default)
expect_jq "Deployment herald-hooks" "$dep" "$pod.terminationGracePeriodSeconds > 20 + $ctr.lifecycle.preStop.sleep.seconds" true
expect_jq "Deployment herald-hooks" "$dep" "$pod.topologySpreadConstraints[0].topologyKey" "kubernetes.io/hostname"
expect_jq "Deployment herald-hooks" "$dep" "[$pod.volumes[] | select(.secret) | .secret.secretName] | unique | join(\",\")" "herald-hooks-kafka,hook"
expect_jq "Deployment herald-hooks" "$dep" "$pod.volumes[] | select(.name == \"config\") | .configMap.name" "herald-hooks"
expect_jq "Deployment herald-hooks config hash" "$dep" '.spec.template.metadata.annotations."herald.dev/config-hash"' \
  "$(config_sha herald-hooks "$props")"
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" "topic: \"herald.$ns.hooks\""
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" "deadLetterTopic: \"herald.$ns.hooks.dlq\""
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" "groupId: \"herald.$ns.hooks\""
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" "bootstrapServers: \"$bootstrap\""
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" 'urlFile: "/etc/herald/secrets/'
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" '"X-Team": "a"'
expect "ConfigMap herald-hooks owner" "$(jp cm/herald-hooks '.metadata.ownerReferences[0].uid')" "$uid"
# --kafka-properties-file: a Secret per channel, mounted, named in the config.
expect_contains "ConfigMap herald-hooks sidecar.yaml" "$cm" 'propertiesFile: "/etc/herald/kafka/client.properties"'
expect "Secret herald-hooks-kafka client.properties" \
  "$(jp secret/herald-hooks-kafka '.data.client\.properties' | base64 -d | sha256sum)" "$(sha256sum <"$props")"
expect "Secret herald-hooks-kafka owner" "$(jp secret/herald-hooks-kafka '.metadata.ownerReferences[0].uid')" "$uid"
expect_jq "Deployment herald-hooks" "$dep" "$pod.volumes[] | select(.name == \"kafka-properties\") | .secret.secretName" "herald-hooks-kafka"
expect_jq "Deployment herald-hooks" "$dep" "$ctr.volumeMounts[] | select(.name == \"kafka-properties\") | .mountPath" "/etc/herald/kafka"
svc=$(k get service herald-hooks -o json)
expect_jq "Service herald-hooks" "$svc" '.spec.ports | map("\(.name)=\(.port)->\(.targetPort)") | join(",")' "metrics=8080->metrics"
expect_jq "Service herald-hooks" "$svc" '.spec.selector."herald.dev/channel"' hooks
expect_jq "Service herald-hooks" "$svc" '.metadata.ownerReferences[0].uid' "$uid"
pdb=$(k get pdb herald-hooks -o json)
expect_jq "PodDisruptionBudget herald-hooks" "$pdb" '.spec.maxUnavailable' 1
expect_jq "PodDisruptionBudget herald-hooks" "$pdb" '.spec.selector.matchLabels."herald.dev/channel"' hooks
expect_jq "PodDisruptionBudget herald-hooks" "$pdb" '.metadata.ownerReferences[0].uid' "$uid"
absent hpa/herald-hooks || fail "channel hooks has no autoscaling but an HPA herald-hooks exists"

hpa=$(k get hpa herald-ops-alerts -o json)
expect_jq "HPA herald-ops-alerts" "$hpa" '"\(.spec.minReplicas)-\(.spec.maxReplicas)"' "2-8"
expect_jq "HPA herald-ops-alerts" "$hpa" '.spec.scaleTargetRef | "\(.apiVersion)/\(.kind)/\(.name)"' "apps/v1/Deployment/herald-ops-alerts"
expect_jq "HPA herald-ops-alerts" "$hpa" '.spec.metrics[0].resource | "\(.name) \(.target.averageUtilization)"' "cpu 70"
expect_jq "HPA herald-ops-alerts" "$hpa" '.spec.behavior.scaleDown.selectPolicy' Disabled
expect_jq "HPA herald-ops-alerts" "$hpa" '.metadata.ownerReferences[0].name' ops-alerts
wait_for "the HPA to bring herald-ops-alerts to its 2 minimum replicas" 60 \
  field_is deployment/herald-ops-alerts .status.availableReplicas 2
expect "nc/ops-alerts ScalingLimited (maxReplicas 8 > 6 partitions)" "$(condition ops-alerts ScalingLimited)" "True/ReplicasExceedPartitions"
expect "PDB herald-ops-alerts maxUnavailable" "$(jp pdb/herald-ops-alerts .spec.maxUnavailable)" 1

expect "Deployment herald-mail replicas" "$(jp deployment/herald-mail .spec.replicas)" 1
absent pdb/herald-mail || fail "channel mail has one replica but a PDB herald-mail exists"
mailcm=$(jp cm/herald-mail '.data.sidecar\.yaml')
expect_contains "ConfigMap herald-mail sidecar.yaml" "$mailcm" "host: \"${HERALD_SMTP_HOST:-127.0.0.1}\""
expect_contains "ConfigMap herald-mail sidecar.yaml" "$mailcm" "topic: \"herald.$ns.mail\""
expect "Deployment herald-mail secret volumes" \
  "$(jp deployment/herald-mail '.spec.template.spec.volumes[*].secret.secretName')" "smtp-creds herald-mail-kafka"
events=$(k get events --field-selector involvedObject.kind=NotificationChannel,involvedObject.name=hooks \
  -o jsonpath='{range .items[*]}{.source.component}/{.reason} {end}')
expect_contains "Events of nc/hooks" "$events" "herald-operator/Ready"
pass "Deployment, ConfigMap, Service, PDB, HPA and Events as specified"

# ---------------------------------------------------------------- 4. invalid

step "4. invalid resources are refused at apply time"
# reject_channel NAME WANT SPEC_LINE...: a NotificationChannel NAME on Template
# quota-exceeded, with the SPEC_LINEs in its spec, is refused at apply time
# with an error naming WANT, and nothing is stored.
reject_channel() {
  local name=$1 want=$2 yaml out
  shift 2
  yaml=$(printf 'apiVersion: herald.dev/v1alpha1\nkind: NotificationChannel\nmetadata: {name: %s}\nspec:\n' "$name"
    printf '  %s\n' "templateRef: {name: quota-exceeded}" "$@")
  if out=$(k apply --server-side -f - <<<"$yaml" 2>&1); then fail "an invalid resource was accepted (want an error naming $want): $yaml"; fi
  expect_contains "the API server's refusal of nc/$name" "$out" "$want"
  absent "nc/$name" || fail "the refused channel nc/$name was stored"
}
slack_section="slack: {webhookURLSecretRef: {name: slack-ops, key: url}}"
reject_channel bad-autoscaling spec.workers.autoscaling.maxReplicas \
  "type: slack" "$slack_section" "workers: {autoscaling: {minReplicas: 4, maxReplicas: 2}}"
reject_channel bad-section spec.webhook "type: webhook"
reject_channel bad-partitions spec.kafka.partitions "type: slack" "$slack_section" "kafka: {partitions: 0}"
pass "refused with the field named"

# ---------------------------------------------------------------- 5. drift

step "5. drift repair"
old_dep_uid=$(jp deployment/herald-hooks .metadata.uid)
k delete deployment herald-hooks --wait=false >/dev/null
wait_for "the deleted Deployment herald-hooks to be re-created" 30 uid_changed deployment/herald-hooks "$old_dep_uid"
pass "deleted Deployment re-created"
step_started=$SECONDS
k patch configmap herald-hooks --type merge -p '{"data":{"sidecar.yaml":"edited by hand\n"}}' >/dev/null
wait_for "the hand-edited ConfigMap herald-hooks to be restored" 30 field_is cm/herald-hooks '.data.sidecar\.yaml' "$cm"
pass "hand-edited ConfigMap restored"
step_started=$SECONDS
k patch deployment herald-hooks --type json \
  -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.invalid/evil:1"}]' >/dev/null
wait_for "the hand-edited Deployment image to be restored" 30 \
  field_is deployment/herald-hooks '.spec.template.spec.containers[0].image' "$image"
pass "hand-edited Deployment restored"
step_started=$SECONDS
k delete service herald-hooks >/dev/null
k delete pdb herald-hooks >/dev/null
wait_for "the deleted Service and PDB to come back (periodic resync every 15 s)" 45 \
  k get service/herald-hooks pdb/herald-hooks
pass "deleted Service and PDB re-created (nothing watches them: the periodic resync or the next reconcile)"
wait_for "hooks to be Ready again" 60 k wait --for=condition=Ready --timeout=2s nc/hooks

# ---------------------------------------------------------------- 6. template edit

step "6. a Template edit rolls the config hash"
declare -A hash_before=()
for c in hooks ops-alerts mail; do
  hash_before[$c]=$(jp "deployment/herald-$c" '.spec.template.metadata.annotations.herald\.dev/config-hash')
done
k patch ntpl quota-exceeded --type merge -p '{"spec":{"subject":"Edited: quota exceeded for {{content.project}}"}}' >/dev/null
for c in hooks ops-alerts mail; do
  wait_for "the config hash of herald-$c to change" 30 \
    field_is_not "deployment/herald-$c" '.spec.template.metadata.annotations.herald\.dev/config-hash' "${hash_before[$c]}"
  newcm=$(jp "cm/herald-$c" '.data.sidecar\.yaml')
  expect_contains "ConfigMap herald-$c after the edit" "$newcm" 'subject: "Edited: quota exceeded'
  expect "config hash of herald-$c" \
    "$(jp "deployment/herald-$c" '.spec.template.metadata.annotations.herald\.dev/config-hash')" \
    "$(config_sha "herald-$c" "$props")"
done
wait_for "the channels to be Ready after the rollout" 90 k wait --for=condition=Ready --timeout=2s nc/hooks nc/ops-alerts nc/mail
pass "new hash = sha256 of the new config on all three Deployments; rolled out and Ready"

# ---------------------------------------------------------------- 7. partitions, configs

step "7. partitions and topic configuration"
k patch nc hooks --type merge -p '{"spec":{"kafka":{"partitions":5}}}' >/dev/null
wait_for "herald.$ns.hooks to have 5 partitions on the broker" 30 partitions_are "herald.$ns.hooks" 5
wait_for "herald.$ns.hooks.dlq to have 5 partitions on the broker" 30 partitions_are "herald.$ns.hooks.dlq" 5
wait_for "TopicReady on hooks at generation $(jp nc/hooks .metadata.generation)" 30 \
  field_is nc/hooks '.status.conditions[?(@.type=="TopicReady")].observedGeneration}/{.status.conditions[?(@.type=="TopicReady")].status}/{.status.conditions[?(@.type=="TopicReady")].reason' "$(jp nc/hooks .metadata.generation)/True/TopicsReady"
if out=$(k patch nc hooks --type merge -p '{"spec":{"kafka":{"partitions":2}}}' 2>&1); then
  fail "a partition decrease (5 -> 2) was accepted"
fi
expect_contains "the refusal of a partition decrease" "$out" "spec.kafka.partitions"
expect_contains "the refusal of a partition decrease" "$out" "cannot decrease"
expect "partitions of herald.$ns.hooks after the refused decrease" "$(partitions "herald.$ns.hooks")" 5
if have_kafka_tools; then
  k patch nc ops-alerts --type merge -p '{"spec":{"kafka":{"retention":"72h"}}}' >/dev/null
  wait_for "retention.ms=259200000 on herald.$ns.ops-alerts" 40 topic_config_is "herald.$ns.ops-alerts" retention.ms 259200000
  expect "retention.ms of the dead-letter topic (still 14 days)" "$(topic_config "herald.$ns.ops-alerts.dlq" retention.ms)" 1209600000
  pass "3 -> 5 partitions on both topics; 5 -> 2 refused by the API server; retention 72h applied"
else
  pass "3 -> 5 partitions on both topics; 5 -> 2 refused by the API server"
fi

# ---------------------------------------------------------------- 8. conflict

step "8. a channel claiming another channel's topic"
k apply --server-side -f - >/dev/null <<EOF
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: squatter}
spec:
  type: webhook
  templateRef: {name: quota-exceeded}
  webhook: {urlSecretRef: {name: hook, key: url}}
  kafka: {topic: herald.$ns.hooks, partitions: 5}
  deletionPolicy: Delete
EOF
wait_for "squatter to report TopicReady=False/ResourceConflict" 30 condition_is squatter TopicReady False/ResourceConflict
expect "squatter Ready" "$(condition squatter Ready)" "False/ResourceConflict"
expect_contains "squatter's TopicReady message" "$(jp nc/squatter '.status.conditions[?(@.type=="TopicReady")].message')" "NotificationChannel $ns/hooks"
absent deployment/herald-squatter || fail "the conflicting channel got workers (Deployment herald-squatter) that would read hooks' messages"
k delete nc squatter --timeout=30s >/dev/null || fail "squatter was not deleted"
expect "partitions of herald.$ns.hooks after squatter's deletion" "$(partitions "herald.$ns.hooks")" 5
expect "partitions of herald.$ns.hooks.dlq after squatter's deletion" "$(partitions "herald.$ns.hooks.dlq")" 5
pass "ResourceConflict, no workers, and deleting it (policy Delete) kept the owner's topics"

# ---------------------------------------------------------------- 9. suspend

step "9. suspend and resume"
k patch nc ops-alerts --type merge -p '{"spec":{"suspend":true}}' >/dev/null
wait_for "ops-alerts Ready=True/Suspended" 30 condition_is ops-alerts Ready True/Suspended
wait_for "Deployment herald-ops-alerts at 0 replicas" 30 field_is deployment/herald-ops-alerts .spec.replicas 0
wait_for "the HPA and PDB of ops-alerts to be removed" 30 bash -c "! kubectl -n '$ns' get hpa/herald-ops-alerts && ! kubectl -n '$ns' get pdb/herald-ops-alerts"
expect "partitions of herald.$ns.ops-alerts while suspended" "$(partitions "herald.$ns.ops-alerts")" 6
expect "partitions of herald.$ns.ops-alerts.dlq while suspended" "$(partitions "herald.$ns.ops-alerts.dlq")" 6
pass "suspended: 0 replicas, no HPA/PDB, topics kept, Ready reason Suspended"
step_started=$SECONDS
k patch nc ops-alerts --type merge -p '{"spec":{"suspend":false}}' >/dev/null
wait_for "the HPA of ops-alerts to come back" 30 k get hpa/herald-ops-alerts
wait_for "ops-alerts Ready=True/Ready with 2 workers" 90 \
  bash -c "[ \"\$(kubectl -n '$ns' get nc/ops-alerts -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}/{.status.readyReplicas}')\" = Ready/2 ]"
pass "resumed: HPA back, 2 workers, Ready"

# ---------------------------------------------------------------- 10. deletion

step "10. deletion: Retain, adoption, Delete"
echo "kept across deletion" | kcat -P -b "$bootstrap" -t "herald.$ns.ops-alerts" -k retained 2>/dev/null ||
  fail "could not produce to herald.$ns.ops-alerts"
k delete nc ops-alerts --timeout=30s >/dev/null || fail "ops-alerts (Retain) was not deleted: finalizer not removed?"
absent nc/ops-alerts || fail "ops-alerts still exists"
expect "partitions of herald.$ns.ops-alerts (Retain)" "$(partitions "herald.$ns.ops-alerts")" 6
expect "partitions of herald.$ns.ops-alerts.dlq (Retain)" "$(partitions "herald.$ns.ops-alerts.dlq")" 6
wait_for "the garbage collector to remove ops-alerts' children" 60 \
  bash -c "! kubectl -n '$ns' get deployment/herald-ops-alerts cm/herald-ops-alerts service/herald-ops-alerts"
pass "Retain: channel gone, children collected, both topics kept"
step_started=$SECONDS
# Re-created (policy Delete now): adopts the kept topics, record included.
k apply --server-side -f - >/dev/null <<EOF
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: ops-alerts}
spec:
  type: slack
  templateRef: {name: quota-exceeded}
  slack: {webhookURLSecretRef: {name: slack-ops, key: url}}
  kafka: {partitions: 6}
  workers: {replicas: 1}
  deletionPolicy: Delete
EOF
wait_for "the re-created ops-alerts to be Ready" 60 k wait --for=condition=Ready --timeout=2s nc/ops-alerts
got=$(kcat -C -b "$bootstrap" -t "herald.$ns.ops-alerts" -o beginning -e -q -f '%k=%s\n' 2>/dev/null || true)
expect_contains "records of the adopted topic herald.$ns.ops-alerts" "$got" "retained=kept across deletion"
pass "re-created channel adopted the retained topics and their data"
step_started=$SECONDS
for c in ops-alerts hooks; do
  k delete nc "$c" --timeout=30s >/dev/null || fail "$c (Delete) was not deleted: finalizer not removed?"
  wait_for "herald.$ns.$c to be deleted from the broker" 30 partitions_are "herald.$ns.$c" absent
  wait_for "herald.$ns.$c.dlq to be deleted from the broker" 30 partitions_are "herald.$ns.$c.dlq" absent
done
pass "Delete: channels gone, topics and dead-letter topics removed"

# ---------------------------------------------------------------- 11. SIGTERM

step "11. graceful shutdown"
expect "controller_runtime_reconcile_total > 0" "$(($(metric controller_runtime_reconcile_total "$metrics") > 0))" 1
t0=$SECONDS
stop_operator main TERM
expect "exit code after SIGTERM" "$stopped_rc" 0
((SECONDS - t0 <= 10)) || fail "the operator took $((SECONDS - t0))s to stop after SIGTERM"
grep -q '"herald-operator stopped"' "$work/main.log" || fail "no 'herald-operator stopped' log line after SIGTERM"
pass "SIGTERM: exit 0 in $((SECONDS - t0))s"

# ---------------------------------------------------------------- 12. leader election

step "12. two replicas with leader election"
# The default 5 m resync here: below, only the watch on owned objects can
# repair drift in time.
start_operator a --leader-elect --leader-election-namespace "$ns" --resync-period 5m
start_operator b --leader-elect --leader-election-namespace "$ns" --resync-period 5m
leaders() { echo "$(metric herald_operator_leader "${op_metrics[a]}")$(metric herald_operator_leader "${op_metrics[b]}")"; }
one_leader() { [[ "$(leaders)" =~ ^(10|01)$ ]]; }
wait_for "herald_operator_leader to be 1 on exactly one of the two replicas" 30 one_leader
if [ "$(leaders)" = 10 ]; then leader=a standby=b; else leader=b standby=a; fi
holder=$(jp lease/herald-operator-leader .spec.holderIdentity)
acquired=$(grep '^{' "$work/$leader.log" | jq -r 'select(.msg == "leader election: acquired the lease") | .identity' | tail -n1)
expect "Lease holder" "$holder" "$acquired"
for r in a b; do
  expect "/readyz of replica $r" "$(http_code "http://127.0.0.1:${op_probe[$r]}/readyz")" 200
done
# A one-partition, one-worker webhook channel that deletes its topics with it.
apply_small_webhook_channel() {
  k apply --server-side -f - >/dev/null <<EOF
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: $1}
spec:
  type: webhook
  templateRef: {name: quota-exceeded}
  webhook: {urlSecretRef: {name: hook, key: url}}
  kafka: {partitions: 1}
  workers: {replicas: 1}
  deletionPolicy: Delete
EOF
}
apply_small_webhook_channel "le-one"
wait_for "le-one to be Ready under leader $leader" 60 k wait --for=condition=Ready --timeout=2s nc/le-one
expect "reconciles by the standby ($standby)" "$(metric controller_runtime_reconcile_total "${op_metrics[$standby]}")" 0
expect "leader ($leader) reconciled" "$(($(metric controller_runtime_reconcile_total "${op_metrics[$leader]}") > 0))" 1
pass "replica $leader leads (Lease holder $holder) and reconciles; $standby stands by, ready, with no reconciles"

# A name longer than a label value (63): its children get a shortened name and
# label, and a change to them must still find their channel (by owner).
step_started=$SECONDS
long="le-long-name-$(printf 'x%.0s' $(seq 60))"
apply_small_webhook_channel "$long"
wait_for "the ${#long}-character channel to be Ready" 60 k wait --for=condition=Ready --timeout=2s "nc/$long"
owned_deployment() {
  kubectl -n "$ns" get deployments -l app.kubernetes.io/managed-by=herald-operator -o json |
    jq -r --arg n "$1" '.items[] | select(.metadata.ownerReferences[0].name == $n) | .metadata.name + " " + .metadata.uid'
}
read -r long_dep long_uid <<<"$(owned_deployment "$long")"
[ -n "$long_dep" ] || fail "no Deployment owned by nc/$long"
((${#long_dep} <= 63)) || fail "Deployment name $long_dep is longer than 63 characters"
k delete deployment "$long_dep" --wait=false >/dev/null
wait_for "Deployment $long_dep of the long-named channel to be re-created by the watch (resync is 5 m)" 10 \
  uid_changed "deployment/$long_dep" "$long_uid"
k delete nc "$long" --timeout=30s >/dev/null || fail "nc/$long was not deleted"
pass "a ${#long}-character channel: children named $long_dep, drift repaired through the watch"

step_started=$SECONDS
t0=$SECONDS
stop_operator "$leader" KILL
leads() { [ "$(metric herald_operator_leader "${op_metrics[$1]}")" = 1 ]; }
wait_for "replica $standby to take over (herald_operator_leader 1) after kill -9 of the leader" 25 leads "$standby"
takeover=$((SECONDS - t0))
apply_small_webhook_channel "le-two"
wait_for "le-two to be Ready under the new leader $standby" 60 k wait --for=condition=Ready --timeout=2s nc/le-two
expect "partitions of herald.$ns.le-two" "$(partitions "herald.$ns.le-two")" 1
# These replicas run without --kafka-properties-file: no Secret, no mount.
expect "kafka-properties volume of herald-le-two" "$(jp deployment/herald-le-two '.spec.template.spec.volumes[?(@.name=="kafka-properties")].name')" ""
expect "config hash of herald-le-two" "$(jp deployment/herald-le-two '.spec.template.metadata.annotations.herald\.dev/config-hash')" "$(config_sha herald-le-two)"
pass "kill -9 of $leader: $standby took over in ${takeover}s and le-two became Ready"

step_started=$SECONDS
for c in le-one le-two mail; do
  k delete nc "$c" --timeout=30s >/dev/null || fail "$c was not deleted under the new leader"
  wait_for "herald.$ns.$c to be deleted from the broker" 30 partitions_are "herald.$ns.$c" absent
done
stop_operator "$standby" TERM
expect "exit code of $standby after SIGTERM" "$stopped_rc" 0
expect "Lease holder after the leader's SIGTERM" "$(jp lease/herald-operator-leader .spec.holderIdentity)" ""
pass "deletions under the new leader; SIGTERM released the Lease"

echo
log "operator e2e: all passed in $((SECONDS - started))s"
