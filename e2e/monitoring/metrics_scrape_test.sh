#!/usr/bin/env bash
# The monitoring manifests against what the binaries really serve, on the
# local stack: herald-operator (watching a fresh namespace) reconciles a
# Template and a webhook NotificationChannel; herald-sidecar runs with that
# channel's topics and delivers one message to the webhook sink and
# dead-letters an invalid one, so every labelled family has a sample (a
# prometheus-cpp family without samples is not in /metrics at all). Then:
#   - both /metrics are scraped and check_monitoring.py compares every metric
#     name the rules, dashboard and relabelings use with the scraped names,
#     and every family the source declares with the scrape (name and type);
#   - herald_channel_condition: the channel's Ready=1 once it is Ready, and
#     its series are gone once the channel is deleted;
#   - the workers' ServiceMonitor selects the Service the operator created;
#   - kubectl kustomize builds manifests/monitoring.
# Usage: metrics_scrape_test.sh BIN_DIR   (after `. .stack/env`)
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
bin=${1:?usage: metrics_scrape_test.sh BIN_DIR}
require_env KUBECONFIG HERALD_KAFKA_BOOTSTRAP
require_tools kubectl kcat curl python3
root="$(cd "$here/../.." && pwd)"
ns="herald-mon-e2e-$(date +%s)-$RANDOM"
channel=probe
topic="herald.$ns.$channel"
work=$(mktemp -d)
sink_pid="" op_pid="" sc_pid=""

stop() { # PID: SIGTERM and wait; the exit status of the process
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null
}
cleanup() {
  stop "$sc_pid" || true
  # The channel's finalizer deletes its topics: the operator must still run.
  if [ -n "$op_pid" ] && kill -0 "$op_pid" 2>/dev/null; then
    kubectl -n "$ns" delete nc --all --timeout=60s >/dev/null 2>&1 || true
  fi
  stop "$op_pid" || true
  stop "$sink_pid" || true
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

on_fail() {
  local f
  for f in "$work"/*.log; do show_log "$(basename "$f")" "$f"; done
}
# series_value PORT SERIES_PREFIX: the value of the first sample line starting with it.
series_value() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v s="$2" 'index($0, s) == 1 { print $NF; exit }'; }
value_is() { [ "$(series_value "$1" "$2")" = "$3" ]; }
# Not grep -q: it would stop reading, curl would fail on the closed pipe, and
# pipefail would turn "found" into "not found".
has_series() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | grep -F -- "$2" >/dev/null; }
no_series() { ! has_series "$@"; }
sum_of() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($1, m "{") == 1 { s += $NF } END { print s + 0 }'; }
at_least() { [ "$(sum_of "$1" "$2")" -ge "$3" ]; }

# --- manifests/monitoring builds with kubectl's kustomize
kinds=$(kubectl kustomize "$root/manifests/monitoring" | awk '/^kind:/ {print $2}' | sort | tr '\n' ' ')
[ "$kinds" = "ConfigMap PrometheusRule ServiceMonitor ServiceMonitor " ] ||
  fail "kubectl kustomize manifests/monitoring gives kinds '$kinds'"

# --- the webhook sink
python3 "$root/e2e/fixtures/webhook_sink.py" --port 0 --port-file "$work/sink.port" >/dev/null 2>"$work/sink.log" &
sink_pid=$!
wait_for "the webhook sink" 20 test -s "$work/sink.port"
sink="http://127.0.0.1:$(cat "$work/sink.port")"

# --- the operator, on this namespace only
kubectl apply --server-side --force-conflicts -k "$root/crds" >/dev/null || fail "applying crds/ failed"
kubectl create namespace "$ns" >/dev/null
op_metrics=$(free_port)
op_probe=$(free_port)
"$bin/herald-operator" --watch-namespace "$ns" --metrics-bind-address "127.0.0.1:$op_metrics" \
  --health-probe-bind-address "127.0.0.1:$op_probe" --resync-period 1h >"$work/operator.log" 2>&1 &
op_pid=$!
wait_for "the operator's /readyz" 60 curl -sf "http://127.0.0.1:$op_probe/readyz"

kubectl -n "$ns" create secret generic hook --from-literal=url="$sink/hook/$ns" >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: herald.dev/v1alpha1
kind: Template
metadata: {name: probe}
spec:
  webhook: {body: '{"from":"{{from}}"}'}
---
apiVersion: herald.dev/v1alpha1
kind: NotificationChannel
metadata: {name: $channel}
spec:
  type: webhook
  templateRef: {name: probe}
  webhook: {urlSecretRef: {name: hook, key: url}}
  kafka: {partitions: 1}
  workers: {replicas: 1}
  deletionPolicy: Delete
EOF
kubectl -n "$ns" wait --for=condition=Ready "nc/$channel" --timeout=120s >/dev/null ||
  fail "the channel did not become Ready: $(kubectl -n "$ns" get nc "$channel" -o jsonpath='{.status.conditions}')"
wait_for "herald_channel_condition Ready=1" 30 \
  value_is "$op_metrics" "herald_channel_condition{channel=\"$ns/$channel\",condition=\"Ready\"}" 1
wait_for "herald_channel_condition WorkersReady=1" 30 \
  value_is "$op_metrics" "herald_channel_condition{channel=\"$ns/$channel\",condition=\"WorkersReady\"}" 1

# The workers' ServiceMonitor selects the Service the operator made, on its port.
sel=$(python3 "$here/check_monitoring.py" worker-selector)
svc_ports=$(kubectl -n "$ns" get svc -l "$sel" -o jsonpath='{range .items[*]}{.metadata.name}:{.spec.ports[*].name}{"\n"}{end}')
[ "$svc_ports" = "herald-$channel:metrics" ] ||
  fail "servicemonitor-workers.yaml ($sel) selects '$svc_ports', want the channel's Service herald-$channel:metrics"

# --- one worker, with the channel's topics, and two messages
echo "$sink/hook/$ns" >"$work/url"
cat >"$work/sidecar.yaml" <<EOF
channel: {namespace: $ns, name: $channel, type: webhook}
kafka: {bootstrapServers: "$HERALD_KAFKA_BOOTSTRAP", topic: $topic, deadLetterTopic: $topic.dlq, groupId: $topic-monitoring}
template: {webhook: {body: '{"from":"{{from}}"}'}}
webhook: {urlFile: $work/url}
EOF
sc_metrics=$(free_port)
sc_probe=$(free_port)
"$bin/herald-sidecar" --config "$work/sidecar.yaml" --metrics-bind-address "127.0.0.1:$sc_metrics" \
  --health-probe-bind-address "127.0.0.1:$sc_probe" >"$work/sidecar.log" 2>&1 &
sc_pid=$!
wait_for "the sidecar's /readyz" 60 curl -sf "http://127.0.0.1:$sc_probe/readyz"
id=$(python3 -c 'import uuid; print(uuid.uuid4())')
printf '%s\t{"globalId":"%s","from":"monitoring-test","createdAt":"%s","content":{"version":"1"}}\n' \
  "$id" "$id" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" | kcat -P -b "$HERALD_KAFKA_BOOTSTRAP" -t "$topic" -K$'\t'
printf 'bad\tnot an envelope\n' | kcat -P -b "$HERALD_KAFKA_BOOTSTRAP" -t "$topic" -K$'\t'
wait_for "2 finished messages" 60 at_least "$sc_metrics" herald_deliveries_total 2
wait_for "herald_consumer_lag (librdkafka statistics, every 5 s)" 30 has_series "$sc_metrics" "herald_consumer_lag{"
value_is "$sc_metrics" "herald_deliveries_total{channel=\"$ns/$channel\",outcome=\"delivered\"}" 1 ||
  fail "the valid message was not delivered once: $(curl -s "http://127.0.0.1:$sc_metrics/metrics" | grep deliveries)"
value_is "$sc_metrics" "herald_dead_letters_total{channel=\"$ns/$channel\",class=\"invalid\"}" 1 ||
  fail "the invalid message was not dead-lettered as invalid"

# --- the names
curl -sf "http://127.0.0.1:$sc_metrics/metrics" >"$work/sidecar.metrics.txt"
curl -sf "http://127.0.0.1:$op_metrics/metrics" >"$work/operator.metrics.txt"
python3 "$here/check_monitoring.py" scraped "$work/sidecar.metrics.txt" "$work/operator.metrics.txt" ||
  fail "metric names used by manifests/monitoring are not all exported (above)"

# --- a deleted channel takes its condition series with it
stop "$sc_pid" || fail "the sidecar did not exit 0 after SIGTERM"
sc_pid=""
kubectl -n "$ns" delete nc "$channel" --timeout=60s >/dev/null || fail "the channel was not deleted"
wait_for "the channel's herald_channel_condition series to go" 30 \
  no_series "$op_metrics" "herald_channel_condition{channel=\"$ns/$channel\""
echo "PASS: every metric name in manifests/monitoring is exported; herald_channel_condition follows the channel"
