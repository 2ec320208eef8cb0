#!/usr/bin/env bash
# Kubernetes smoke test against the local stack's real kube-apiserver:
# 1. a CRD with a structural schema is served, a valid CR is stored and an
#    invalid one is rejected with a message naming the field;
# 2. RBAC is enforced (an unprivileged identity is refused);
# 3. a Deployment rolls out to the kwok node and reports its ready replicas.
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
require_env KUBECONFIG
ns="herald-smoke-$RANDOM$RANDOM"
cleanup() {
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  kubectl delete crd widgets.smoke.herald.dev --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

kubectl create namespace "$ns" >/dev/null

kubectl apply --server-side -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.smoke.herald.dev}
spec:
  group: smoke.herald.dev
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [replicas]
            properties:
              replicas: {type: integer, minimum: 1, maximum: 10}
            x-kubernetes-validations:
            - rule: "self.replicas % 2 == 0"
              message: "replicas must be even"
YAML
kubectl wait --for=condition=Established --timeout=60s crd/widgets.smoke.herald.dev >/dev/null

# The CRD may be Established a moment before discovery serves it to this client.
wait_for "widgets to be available through discovery" 30 kubectl get widgets -n "$ns"

printf 'apiVersion: smoke.herald.dev/v1\nkind: Widget\nmetadata: {name: good}\nspec: {replicas: 2}\n' |
  kubectl apply -n "$ns" --server-side -f - >/dev/null || fail "a valid Widget was rejected"
[ "$(kubectl get widget good -n "$ns" -o jsonpath='{.spec.replicas}')" = 2 ] || fail "the valid Widget was not stored"

expect_rejected() {
  local spec=$1 want=$2 out
  if out=$(printf 'apiVersion: smoke.herald.dev/v1\nkind: Widget\nmetadata: {name: bad}\nspec: %s\n' "$spec" |
    kubectl apply -n "$ns" --server-side -f - 2>&1); then
    fail "Widget with spec $spec was accepted"
  fi
  grep -q "$want" <<<"$out" || fail "rejection of $spec does not say '$want': $out"
}
expect_rejected '{replicas: 20}' 'spec.replicas: Invalid value'
expect_rejected '{replicas: "two"}' 'spec.replicas'
expect_rejected '{replicas: 3}' 'replicas must be even'

# RBAC: a user with no bindings may not list pods (impersonation needs admin).
if kubectl get pods -n "$ns" --as nobody@herald.dev >/dev/null 2>&1; then
  fail "an unprivileged user could list pods: RBAC is not enforced"
fi

kubectl apply -n "$ns" --server-side -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: smoke}
spec:
  replicas: 2
  selector: {matchLabels: {app: smoke}}
  template:
    metadata: {labels: {app: smoke}}
    spec:
      containers:
      - {name: app, image: registry.invalid/smoke:1}
YAML
kubectl rollout status -n "$ns" deployment/smoke --timeout=120s >/dev/null ||
  fail "the Deployment did not roll out: $(kubectl get deploy,rs,pods -n "$ns" 2>&1)"
ready=$(kubectl get deployment smoke -n "$ns" -o jsonpath='{.status.readyReplicas}')
[ "$ready" = 2 ] || fail "readyReplicas is '$ready', want 2"
echo "kube smoke: CRD validation, RBAC and a Deployment rollout all work"
