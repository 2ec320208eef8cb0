# Shared settings and helpers for the local stack scripts. Sourced, not run.
# shellcheck shell=bash
STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_SCRIPTS/../.." && pwd)"
# shellcheck source=versions.sh
. "$STACK_SCRIPTS/versions.sh"

# Built binaries and jars live outside the work tree so a fresh clone (as in
# CI) reuses them; the Go build and module caches stay where Go keeps them.
HERALD_CACHE="${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}"
CACHE_BIN="$HERALD_CACHE/bin"
STACK_DIR="${HERALD_STACK_DIR:-$REPO_ROOT/.stack}"
STACK_LOGS="$STACK_DIR/logs"
STACK_PIDS="$STACK_DIR/pids"
KUBECTL="$CACHE_BIN/kubectl-$KUBERNETES_VERSION"

# Fixed loopback ports, chosen away from the usual defaults so a developer's
# own etcd, Kafka or mail server does not collide with the stack.
# HERALD_STACK_PORT_OFFSET shifts them all, so a second stack (e.g. a CI run
# in a fresh clone) can run beside a developer's.
_off=${HERALD_STACK_PORT_OFFSET:-0}
ETCD_PORT=$((23790 + _off))
ETCD_PEER_PORT=$((23800 + _off))
APISERVER_PORT=$((26443 + _off))
KCM_PORT=$((20257 + _off))
SCHEDULER_PORT=$((20259 + _off))
KWOK_PORT=$((20247 + _off))
KAFKA_PORT=$((29092 + _off))
KAFKA_CONTROLLER_PORT=$((29093 + _off))
SMTP_PORT=$((21025 + _off))
SMTP_API_PORT=$((21080 + _off))

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wait_until DEADLINE_SECONDS DESCRIPTION COMMAND...: polls COMMAND until it
# succeeds; fails with DESCRIPTION when the deadline passes.
wait_until() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out waiting for $what"
      return 1
    fi
    sleep 0.3
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive NAME: true when the process recorded for NAME is running.
pid_alive() {
  local f="$STACK_PIDS/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# stop_recorded NAME SECONDS: stops the process recorded for NAME and its
# process group (TERM, then KILL after SECONDS), waits until it is gone and
# removes its pid file.
stop_recorded() {
  local f="$STACK_PIDS/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    # (Bounded: a zombie nobody reaps would answer kill -0 for ever.)
    deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  rm -f "$f"
}

# start_bg NAME COMMAND...: runs COMMAND detached, logs to .stack/logs/NAME.log.
start_bg() {
  local name=$1
  shift
  mkdir -p "$STACK_LOGS" "$STACK_PIDS"
  setsid "$@" >"$STACK_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$STACK_PIDS/$name.pid"
}

# The Kafka classpath folder is keyed by the pom's hash, so editing the pom
# (a version bump, another jar) resolves a fresh set.
kafka_dir() {
  echo "$HERALD_CACHE/kafka-$KAFKA_VERSION-$(sha256sum "$REPO_ROOT/stack/kafka/pom.xml" | cut -c1-12)"
}
