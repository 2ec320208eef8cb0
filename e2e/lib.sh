# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # globals shared with the tests (see below)
# Helpers shared by the shell tests under e2e/. Sourced, never run; each test
# finds it from its own real location, so it works from any working directory
# and through CTest (which runs the scripts from the source tree):
#   here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
#   . "$here/../lib.sh"
# The tests run under `set -euo pipefail`; everything here is written for it.
#
# Hooks a test may define (once the variables they read are set):
#   on_fail  diagnostics that fail prints (its output goes to stderr) before
#            the test exits: logs, the objects in the namespace;
#   on_wait  a check that wait_for runs on every round and once more after
#            success (e.g. "the operator still runs and was refused nothing");
#            it calls fail itself.
# Globals some helpers read, set by the test: ns (the test's namespace: k, jp,
# launch_operator, delete_test_namespace, note_left_topics), work (its scratch
# folder: launch_operator, remove_work), op_bin and stack_ca
# (launch_operator, operator_kubeconfig); HERALD_KAFKA_BOOTSTRAP from
# .stack/env.

# ---------------------------------------------------------------- reporting

# The times in every line are seconds since the test started (when it sourced
# this), so a slow step stands out in a CI log.
started=$SECONDS
step_started=$SECONDS
log() { printf '%s [%4ds] %s\n' "$(date +%H:%M:%S)" $((SECONDS - started)) "$*"; }
# step TITLE: a heading; the next pass reports the seconds since it.
step() {
  step_started=$SECONDS
  echo
  log "=== $*"
}
pass() { log "PASS: $* ($((SECONDS - step_started))s)"; }

# fail MESSAGE: the verdict. "FAIL: MESSAGE" on stderr, then the test's
# on_fail diagnostics (once, even if they fail themselves), then exit 1. In a
# $(...) it ends only that subshell, as exit does; under set -e the failed
# assignment then ends the test.
fail() {
  echo "FAIL: $*" >&2
  if [ -z "${_lib_failing:-}" ] && declare -F on_fail >/dev/null; then
    _lib_failing=1
    on_fail >&2 || true
  fi
  exit 1
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND (output discarded) every
# 0.5 s until it succeeds; after SECONDS, fails "timed out after SECONDS s
# waiting for WHAT". Runs on_wait on every round and after success, so a
# crashed process fails the test at once instead of at the deadline. COMMAND
# is run again each round: pass a function or `bash -c '...'`, never
# "$(...)" (evaluated once, before the first round).
wait_for() {
  local what=$1 limit=$2 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    _lib_on_wait
    ((SECONDS < deadline)) || fail "timed out after ${limit}s waiting for $what"
    sleep 0.5
  done
  _lib_on_wait
}
_lib_on_wait() { if declare -F on_wait >/dev/null; then on_wait; fi; }

# expect_jq WHAT JSON FILTER WANT: jq -r FILTER on JSON prints exactly WANT
# (a jq error counts as a wrong value, with its message).
expect_jq() {
  local got
  got=$(jq -r "$3" <<<"$2" 2>&1) || got="<jq error: $got>"
  [ "$got" = "$4" ] || fail "$1: $3 is '$got', want '$4'"
}

# ---------------------------------------------------------------- preconditions
# Each fails with what to do about it, before the test touches anything.

# require_env VAR...: every VAR is set and not empty (the stack's addresses
# come from .stack/env).
require_env() {
  local v
  for v in "$@"; do
    [ -n "${!v:-}" ] || fail "$v is not set: source .stack/env (make stack-up) or run make test"
  done
}
# require_tools TOOL...: every TOOL is on PATH.
require_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || fail "$t is not on PATH (scripts/install-deps installs it)"
  done
}
require_executable() { [ -x "$1" ] || fail "$1 is not an executable"; }
# require_apiserver: the API server of $KUBECONFIG answers /readyz with "ok"
# (not only some answer: a server still starting says which checks fail).
require_apiserver() {
  local ready
  ready=$(kubectl get --raw /readyz 2>&1) || true
  [ "$ready" = ok ] ||
    fail "the API server at $KUBECONFIG is not ready (kubectl get --raw /readyz: $ready): is the stack up (make stack-up)?"
}
# require_kafka: the broker at $HERALD_KAFKA_BOOTSTRAP answers a metadata request.
require_kafka() {
  kcat -L -b "$HERALD_KAFKA_BOOTSTRAP" -m 10 >/dev/null 2>&1 || fail "Kafka at $HERALD_KAFKA_BOOTSTRAP does not answer"
}

# other_operators all|this-stack: the pids (comma-separated, "" when none) of
# the herald-operator processes on this machine that would act on this test's
# objects too: all of them, or (this-stack) all but those limited to one
# namespace (never the test's own: it is new) and those talking to another
# Kafka than $HERALD_KAFKA_BOOTSTRAP (another stack's).
other_operators() {
  local pid cmd pids=()
  for pid in $(pgrep -x herald-operator || true); do
    if [ "$1" = this-stack ]; then
      cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
      [[ "$cmd" == *--watch-namespace* ]] && continue
      [[ "$cmd" == *--kafka-bootstrap-servers* && "$cmd" != *"$HERALD_KAFKA_BOOTSTRAP"* ]] && continue
    fi
    pids+=("$pid")
  done
  (
    IFS=,
    echo "${pids[*]}"
  )
}
# require_no_other_operators all|this-stack: fails when other_operators finds
# any (they fight this test's operator over the children, and nothing would
# show which one did what); with HERALD_E2E_ALLOW_OTHER_OPERATORS set, warns.
require_no_other_operators() {
  local others
  others=$(other_operators "$1")
  [ -n "$others" ] || return 0
  if [ -n "${HERALD_E2E_ALLOW_OTHER_OPERATORS:-}" ]; then
    log "WARNING: other herald-operator processes run (pids $others); they act on this test's objects too"
  else
    fail "other herald-operator processes run on this machine (pids $others) and would act on this test's objects too; stop them first (make demo-down), or set HERALD_E2E_ALLOW_OTHER_OPERATORS=1 to run anyway"
  fi
}

# ---------------------------------------------------------------- kubectl

# k ARGS...: kubectl in the test's namespace.
k() { kubectl -n "$ns" "$@"; }
# jp RESOURCE JSONPATH: one field of an object in $ns, "" when the object or
# the field is absent (JSONPATH without the braces: jp nc/x .status.topic).
jp() { kubectl -n "$ns" get "$1" -o jsonpath="{$2}" 2>/dev/null || true; }
# uid_changed RESOURCE OLD_UID: RESOURCE exists in $ns with another uid than
# OLD_UID (deleted and created again). For wait_for.
uid_changed() {
  local u
  u=$(kubectl -n "$ns" get "$1" -o jsonpath='{.metadata.uid}' 2>/dev/null) && [ -n "$u" ] && [ "$u" != "$2" ]
}
# api_server: the URL of the API server of $KUBECONFIG.
api_server() { kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'; }

# delete_test_namespace: drops the finalizers of the channels left in $ns
# (with no operator running nothing else removes them, and the namespace would
# hang in Terminating), then deletes $ns without waiting. For cleanups.
delete_test_namespace() {
  local c
  for c in $(kubectl get nc -n "$ns" -o name 2>/dev/null); do
    kubectl patch -n "$ns" "$c" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}

# note_left_topics: a note on stderr when topics of this test (prefix
# herald.$ns.) are still on the broker. For cleanups.
note_left_topics() {
  local left
  left=$(kcat -L -b "$HERALD_KAFKA_BOOTSTRAP" -J -m 10 2>/dev/null |
    jq -r --arg p "herald.$ns." '.topics[].topic | select(startswith($p))' 2>/dev/null) || true
  [ -z "$left" ] || echo "note: $(wc -l <<<"$left") topics left on the broker: $(head -n 10 <<<"$left" | paste -sd' ' -)" >&2
}

# remove_work RC: deletes $work, unless RC is not 0 and KEEP_LOGS is set
# (then says where it is kept). For cleanups.
remove_work() {
  if (($1 != 0)) && [ -n "${KEEP_LOGS:-}" ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}

# end_test RC: how the cleanup (EXIT trap) of a test with a namespace, topics
# and a scratch folder ends, once its operators are stopped:
# delete_test_namespace, note_left_topics, remove_work RC, exit RC.
end_test() {
  delete_test_namespace
  note_left_topics
  remove_work "$1"
  exit "$1"
}

# ---------------------------------------------------------------- processes

# free_port: a loopback port the kernel hands out as free, released for the
# process started next to bind (a random number may be bound but not
# listening, so probing it proves nothing).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# stop_process PID: SIGTERM, up to 5 s to exit, then SIGKILL; reaped. For
# cleanups: its exit code is not looked at (a test that cares waits itself).
stop_process() {
  if [ -z "$1" ] || ! kill -0 "$1" 2>/dev/null; then return 0; fi
  kill -TERM "$1" 2>/dev/null || true
  local deadline=$((SECONDS + 5))
  while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# http_code URL: the HTTP status of a GET ("000" when nothing answers).
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true; }
http_ok() { [ "$(http_code "$1")" = 200 ]; }
# metric NAME PORT: the sum of the samples of metric NAME served on
# 127.0.0.1:PORT/metrics, 0 when it has none.
metric() {
  curl -s --max-time 5 "http://127.0.0.1:$2/metrics" |
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}

# ---------------------------------------------------------------- the operator as its ServiceAccount

# operator_kubeconfig FILE NAMESPACE token|tokenFile VALUE: writes FILE, a
# kubeconfig for the API server of $KUBECONFIG (CA $stack_ca) that
# authenticates with the ServiceAccount token VALUE (tokenFile: the file
# VALUE, re-read as a projected token is) and nothing else, so the operator
# gets what manifests/rbac grants it and no more; NAMESPACE is its default.
operator_kubeconfig() {
  local server
  server=$(api_server)
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stack
  cluster: {server: "$server", certificate-authority: "$stack_ca"}
users:
- name: herald-operator
  user: {$3: "$4"}
contexts:
- name: herald-operator
  context: {cluster: stack, user: herald-operator, namespace: $2}
current-context: herald-operator
EOF
}

# launch_operator LOG [FLAGS...]: starts $op_bin in the background with
# $work/operator.kubeconfig (see operator_kubeconfig), Kafka at
# $HERALD_KAFKA_BOOTSTRAP, watching only $ns, metrics and probes on two
# distinct free loopback ports, then FLAGS (a flag given again there wins);
# output appended to LOG. Sets launched_pid, launched_metrics and
# launched_probe. Does not wait: the caller polls /healthz or /readyz.
launch_operator() {
  local log_file=$1
  shift
  launched_metrics=$(free_port)
  launched_probe=$(free_port)
  while [ "$launched_probe" = "$launched_metrics" ]; do launched_probe=$(free_port); done
  "$op_bin" --kubeconfig "$work/operator.kubeconfig" --kafka-bootstrap-servers "$HERALD_KAFKA_BOOTSTRAP" \
    --watch-namespace "$ns" --metrics-bind-address "127.0.0.1:$launched_metrics" \
    --health-probe-bind-address "127.0.0.1:$launched_probe" "$@" >>"$log_file" 2>&1 &
  launched_pid=$!
}

# check_operator_log WHO LOG [FROM_LINE]: fails when LOG, from line FROM_LINE
# (default 1) on, says "forbidden": the API server refused the operator
# something, so the RBAC it ships with (manifests/rbac) lacks a permission.
# A missing LOG passes.
check_operator_log() {
  local line
  # awk reads the file itself: `tail | grep -q` under pipefail can report
  # "not found" when grep stops reading before tail is done.
  line=$(awk -v from="${3:-1}" 'NR >= from && tolower($0) ~ /forbidden/ { print; exit }' "$2" 2>/dev/null) || true
  [ -z "$line" ] || fail "operator '$1' was refused by the API server (manifests/rbac lacks a permission): $line"
}
# check_running WHO PID: fails when the process PID, which should run, has exited.
check_running() { kill -0 "$2" 2>/dev/null || fail "operator '$1' exited unexpectedly"; }
# show_log TITLE FILE: the last 40 lines of FILE on stderr under a header
# (nothing when FILE does not exist). For on_fail.
show_log() {
  [ -f "$2" ] || return 0
  echo "----- $1, last lines of its log:" >&2
  tail -n 40 "$2" >&2 || true
}
