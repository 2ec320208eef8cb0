#!/usr/bin/env bash
# `kubectl apply --server-side -k manifests/` against the local stack's real
# kube-apiserver (kube-controller-manager, kube-scheduler and kwok roll the
# Deployment out to a fake node):
#
#  1. manifests/ and the dev overlay build; what they render is what was
#     meant: image tags at the project version (and in the Dockerfiles'
#     build commands), the flags the operator needs, restricted pod security,
#     probes, ports, resources, spreading, the Service selecting the pods,
#     sync waves, and the very ClusterRole of manifests/rbac (the one
#     e2e/operator runs the operator under, failing on any "forbidden").
#  2. The apply succeeds, and applying again changes nothing (no object's
#     resourceVersion moves).
#  3. The CRDs are Established; the operator Deployment reaches 2/2 available
#     in herald-system, whose namespace enforces the restricted Pod Security
#     Standard (checked: a privileged pod is refused there), so its pods were
#     admitted under it; the pods the API server stored carry the intended
#     securityContext and probes; the metrics Service has both as endpoints.
#  4. The dev overlay applies and rolls out: 1 replica, the dev image, debug.
#  5. components/kafka-properties renders the flag, the Secret mount and its
#     RBAC.
# Cleanup deletes what this test created and nothing that existed before it
# (herald-system and the RBAC are shared with the demo and other tests); the
# CRDs always stay.
#
# Usage: install_manifests_test.sh   (after `. .stack/env`)
set -euo pipefail

here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
require_env KUBECONFIG
require_tools kubectl jq
root="$(cd "$here/../.." && pwd)"
ns=herald-system
work=$(mktemp -d)
version=$(sed -n 's/^project(herald VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
operator_image="ghcr.io/herald-dev/herald-operator:$version"
sidecar_image="ghcr.io/herald-dev/herald-sidecar:$version"

on_fail() {
  kubectl get deploy,rs,pods -n "$ns" -l app.kubernetes.io/component=operator 2>&1 || true
  kubectl get events -n "$ns" --sort-by=.lastTimestamp 2>/dev/null | tail -n 15 || true
}

# ---------------------------------------------------------------- cleanup

# Objects of manifests/ (CRDs aside) that did not exist before the test.
created=()
cleanup() {
  local rc=$? i
  set +e
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    # shellcheck disable=SC2086
    kubectl delete ${created[$i]} --ignore-not-found --wait=false >/dev/null 2>&1
  done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. render

step "1. manifests/ renders what is meant"
require_apiserver
[ -n "$version" ] || fail "no project version in CMakeLists.txt"
kubectl kustomize "$root/manifests" >"$work/install.yaml" || fail "kubectl kustomize manifests/ failed"
kubectl create --dry-run=client -o json -f "$work/install.yaml" | jq -s '[.[] | if .kind == "List" then .items[] else . end]' >"$work/install.json"
objects=$(cat "$work/install.json")
expect_jq "kinds in manifests/" "$objects" '[.[].kind] | sort | unique | join(",")' \
  "ClusterRole,ClusterRoleBinding,CustomResourceDefinition,Deployment,Namespace,PodDisruptionBudget,Role,RoleBinding,Service,ServiceAccount"
expect_jq "CRDs" "$objects" '[.[] | select(.kind == "CustomResourceDefinition") | .metadata.name] | sort | join(",")' \
  "notificationchannels.herald.dev,templates.herald.dev"
# Argo CD waves: namespace and CRDs before everything else, nothing else early.
expect_jq "sync waves" "$objects" \
  '[.[] | "\(.kind)=\(.metadata.annotations["argocd.argoproj.io/sync-wave"] // "0")"] | unique | sort | join(",")' \
  "ClusterRole=0,ClusterRoleBinding=0,CustomResourceDefinition=-1,Deployment=0,Namespace=-1,PodDisruptionBudget=0,Role=0,RoleBinding=0,Service=0,ServiceAccount=0"
# The ClusterRole is manifests/rbac's, rule for rule: the one e2e/operator
# (operator_e2e) proves sufficient by running the operator under it.
want_rules=$(kubectl create --dry-run=client -o json -f "$root/manifests/rbac/cluster_role.yaml" | jq -c .rules)
expect_jq "ClusterRole rules" "$objects" '.[] | select(.kind == "ClusterRole") | .rules | tojson' "$want_rules"
expect_jq "subjects bound" "$objects" \
  '[.[] | select(.kind | endswith("Binding")) | .subjects[] | "\(.kind):\(.namespace)/\(.name)"] | unique | join(",")' \
  "ServiceAccount:herald-system/herald-operator"

deploy=$(jq '.[] | select(.kind == "Deployment")' <<<"$objects")
pod='.spec.template.spec'
c="$pod.containers[0]"
for check in \
  ".metadata.namespace=herald-system" \
  ".spec.replicas=2" \
  "$pod.serviceAccountName=herald-operator" \
  "$pod.securityContext.runAsNonRoot=true" \
  "$pod.securityContext.runAsUser=65532" \
  "$pod.securityContext.seccompProfile.type=RuntimeDefault" \
  "$pod.terminationGracePeriodSeconds=30" \
  "$pod.topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname" \
  "$pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey=kubernetes.io/hostname" \
  "$c.image=$operator_image" \
  "$c.securityContext.allowPrivilegeEscalation=false" \
  "$c.securityContext.readOnlyRootFilesystem=true" \
  "$c.securityContext.runAsNonRoot=true" \
  "$c.securityContext.capabilities.drop|join(\",\")=ALL" \
  "$c.livenessProbe.httpGet.path=/healthz" \
  "$c.livenessProbe.httpGet.port=health" \
  "$c.readinessProbe.httpGet.path=/readyz" \
  "$c.readinessProbe.httpGet.port=health" \
  "$c.ports|map(\"\(.name):\(.containerPort)\")|join(\",\")=metrics:8080,health:8081" \
  "$c.resources.requests.cpu=50m" \
  "$c.resources.requests.memory=64Mi" \
  "$c.resources.limits.memory=256Mi" \
  "$c.args|index(\"--leader-elect\")!=null=true" \
  "[$c.args[]|select(startswith(\"--kafka-bootstrap-servers=\"))]|length=1" \
  "$c.args|index(\"--sidecar-image=$sidecar_image\")!=null=true" \
  "$c.args|index(\"--metrics-bind-address=:8080\")!=null=true" \
  "$c.args|index(\"--health-probe-bind-address=:8081\")!=null=true" \
  ".spec.template.metadata.labels[\"app.kubernetes.io/managed-by\"]=null"; do
  expect_jq "Deployment" "$deploy" "${check%=*}" "${check##*=}"
done
# The pods' selector labels are what the Service and the PDB select on.
labels=$(jq -c '.spec.template.metadata.labels' <<<"$deploy")
expect_jq "Service and PDB selectors" "$objects" \
  "[.[] | select(.kind == \"Service\" or .kind == \"PodDisruptionBudget\") | (.spec.selector.matchLabels // .spec.selector) | to_entries | all(.value == ${labels}[.key])] | all" true
expect_jq "metrics Service port" "$objects" '.[] | select(.kind == "Service") | .spec.ports | map("\(.name):\(.port)->\(.targetPort)") | join(",")' \
  "metrics:8080->metrics"
# The images manifests/ deploys are the ones the Dockerfiles say they build.
grep -qF -- "-t $operator_image ." "$root/images/operator/Dockerfile" || fail "images/operator/Dockerfile does not build $operator_image"
grep -qF -- "-t $sidecar_image ." "$root/images/sidecar/Dockerfile" || fail "images/sidecar/Dockerfile does not build $sidecar_image"

kubectl kustomize "$root/manifests/overlays/dev" >"$work/dev.yaml" || fail "kubectl kustomize manifests/overlays/dev failed"
dev=$(kubectl create --dry-run=client -o json -f "$work/dev.yaml" | jq -s '[.[] | if .kind == "List" then .items[] else . end] | .[] | select(.kind == "Deployment")')
expect_jq "dev overlay" "$dev" ".spec.replicas" 1
expect_jq "dev overlay" "$dev" "$c.image" "herald-operator:dev"
expect_jq "dev overlay" "$dev" "$c.args | index(\"--log-level=debug\") != null" true
expect_jq "dev overlay" "$dev" "$c.securityContext.readOnlyRootFilesystem" true
pass "manifests/ (11 objects) and overlays/dev render as intended; images at $version"

# ---------------------------------------------------------------- 2. apply

step "2. kubectl apply --server-side -k manifests/, twice"
# What exists already (from the demo or other tests) is not this test's to delete.
while read -r ref; do
  # shellcheck disable=SC2086 # "KIND/NAME -n NAMESPACE": words on purpose
  kubectl get $ref >/dev/null 2>&1 || created+=("$ref")
done < <(jq -r '.[] | select(.kind != "CustomResourceDefinition") |
  "\(.kind | ascii_downcase).\(.apiVersion | split("/") | if length == 2 then .[0] else "" end | if . == "" then "" else . end)/\(.metadata.name)" + (if .metadata.namespace then " -n \(.metadata.namespace)" else "" end)' <<<"$objects" |
  sed 's#\./#/#')
log "objects this test creates: ${#created[@]} (${created[*]:-none})"
applied_at=$SECONDS
kubectl apply --server-side -k "$root/manifests" >"$work/apply1.out" 2>&1 || { cat "$work/apply1.out" >&2; fail "kubectl apply --server-side -k manifests/ failed"; }
apply_s=$((SECONDS - applied_at))
versions() {
  jq -r '.[] | "\(.kind | ascii_downcase)/\(.metadata.name)" + (if .metadata.namespace then " -n \(.metadata.namespace)" else "" end)' <<<"$objects" |
    while read -r ref; do
      # shellcheck disable=SC2086
      echo "$ref $(kubectl get $ref -o jsonpath='{.metadata.resourceVersion}')"
    done
}
# The controllers write the Deployment's status meanwhile: compare once it settled.
wait_for "the Deployment to be observed" 60 bash -c \
  "[ \"\$(kubectl get deploy herald-operator -n $ns -o jsonpath='{.status.observedGeneration}')\" = \"\$(kubectl get deploy herald-operator -n $ns -o jsonpath='{.metadata.generation}')\" ]"
kubectl apply --server-side -k "$root/manifests" >"$work/apply2.out" 2>&1 || { cat "$work/apply2.out" >&2; fail "the second apply failed"; }
gen_before=$(kubectl get deploy herald-operator -n "$ns" -o jsonpath='{.metadata.generation}')
versions >"$work/rv1"
kubectl apply --server-side -k "$root/manifests" >"$work/apply3.out" 2>&1 || { cat "$work/apply3.out" >&2; fail "the third apply failed"; }
versions >"$work/rv2"
# The Deployment's status may still move (kwok, the controllers); its spec may not.
grep -v '^deployment/' "$work/rv1" >"$work/rv1s"
grep -v '^deployment/' "$work/rv2" >"$work/rv2s"
diff "$work/rv1s" "$work/rv2s" >&2 || fail "re-applying manifests/ changed objects (resourceVersion moved)"
[ "$(kubectl get deploy herald-operator -n "$ns" -o jsonpath='{.metadata.generation}')" = "$gen_before" ] ||
  fail "re-applying manifests/ changed the Deployment's spec (generation moved)"
pass "applied in ${apply_s}s; re-applied with no change to any object"

# ---------------------------------------------------------------- 3. rollout

step "3. CRDs Established, operator 2/2 available under restricted pod security"
kubectl wait --for=condition=Established --timeout=60s crd/notificationchannels.herald.dev crd/templates.herald.dev >/dev/null ||
  fail "the CRDs did not become Established"
expect_jq "namespace" "$(kubectl get ns "$ns" -o json)" '.metadata.labels["pod-security.kubernetes.io/enforce"]' restricted
# Enforcement is live: a pod that breaks the restricted profile is refused.
if out=$(kubectl run psa-probe -n "$ns" --image=busybox --dry-run=server --restart=Never \
  --overrides='{"spec":{"containers":[{"name":"psa-probe","image":"busybox","securityContext":{"privileged":true}}]}}' 2>&1); then
  fail "a privileged pod was admitted in $ns: restricted Pod Security is not enforced, so 2/2 below would prove nothing ($out)"
fi
grep -q "violates PodSecurity" <<<"$out" || fail "a privileged pod was refused for another reason than Pod Security: $out"
kubectl rollout status deploy/herald-operator -n "$ns" --timeout=120s >/dev/null || fail "the operator Deployment did not roll out"
wait_for "2 available replicas" 60 bash -c \
  "[ \"\$(kubectl get deploy herald-operator -n $ns -o jsonpath='{.status.availableReplicas}')\" = 2 ]"
rollout_s=$((SECONDS - applied_at))
pods=$(kubectl get pods -n "$ns" -l app.kubernetes.io/name=herald-operator,app.kubernetes.io/component=operator -o json)
expect_jq "operator pods" "$pods" '[.items[] | select(.metadata.deletionTimestamp == null and .status.phase == "Running")] | length' 2
# What the API server stored and kwok runs, not just what was rendered.
for check in \
  '.spec.securityContext.runAsNonRoot=true' \
  '.spec.securityContext.seccompProfile.type=RuntimeDefault' \
  '.spec.containers[0].securityContext.allowPrivilegeEscalation=false' \
  '.spec.containers[0].securityContext.readOnlyRootFilesystem=true' \
  '.spec.containers[0].securityContext.capabilities.drop|join(",")=ALL' \
  '.spec.containers[0].livenessProbe.httpGet|"\(.path):\(.port)"=/healthz:health' \
  '.spec.containers[0].readinessProbe.httpGet|"\(.path):\(.port)"=/readyz:health' \
  '.spec.serviceAccountName=herald-operator' \
  '.spec.containers[0].image='"$operator_image" \
  '[.status.conditions[]|select(.type=="Ready")][0].status=True'; do
  expect_jq "operator pod" "$pods" "[.items[] | select(.metadata.deletionTimestamp == null) | ${check%=*}] | unique | join(\" \")" "${check##*=}"
done
wait_for "2 endpoints behind herald-operator-metrics" 60 bash -c \
  "[ \"\$(kubectl get endpointslices -n $ns -l kubernetes.io/service-name=herald-operator-metrics -o json | jq '[.items[].endpoints[]? | select(.conditions.ready)] | length')\" = 2 ]"
expect_jq "PDB" "$(kubectl get pdb herald-operator -n "$ns" -o json)" '.status.expectedPods' 2
pass "2/2 available within ${rollout_s}s of the first apply; pods admitted under restricted, as specified; Service has 2 ready endpoints"

# ---------------------------------------------------------------- 4. dev overlay

step "4. the dev overlay applies and rolls out"
kubectl apply --server-side -k "$root/manifests/overlays/dev" >"$work/dev.out" 2>&1 || { cat "$work/dev.out" >&2; fail "applying overlays/dev failed"; }
kubectl rollout status deploy/herald-operator -n "$ns" --timeout=120s >/dev/null || fail "the dev Deployment did not roll out"
wait_for "1 available replica with the dev image" 60 bash -c \
  "kubectl get deploy herald-operator -n $ns -o json | jq -e '.spec.replicas == 1 and .status.availableReplicas == 1 and .status.replicas == 1 and .spec.template.spec.containers[0].image == \"herald-operator:dev\"'"
expect_jq "dev pod" "$(kubectl get pods -n "$ns" -l app.kubernetes.io/component=operator -o json)" \
  '[.items[] | select(.metadata.deletionTimestamp == null) | .spec.containers[0].args | index("--log-level=debug") != null] | unique | join(",")' true
pass "1/1 available with herald-operator:dev and --log-level=debug"

# ---------------------------------------------------------------- 5. kafka-properties

step "5. components/kafka-properties"
mkdir -p "$work/kp"
cat >"$work/kp/kustomization.yaml" <<KUST
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$root/manifests/base]
components: [$root/manifests/components/kafka-properties]
KUST
# kustomize wants relative paths to bases outside the overlay.
sed -i "s#$root#$(realpath --relative-to="$work/kp" "$root")#g" "$work/kp/kustomization.yaml"
kp=$(kubectl kustomize "$work/kp" | kubectl create --dry-run=client -o json -f - | jq -s '[.[] | if .kind == "List" then .items[] else . end]') ||
  fail "kustomize with components/kafka-properties failed"
expect_jq "kafka-properties" "$kp" ".[] | select(.kind == \"Deployment\") | $c.args | index(\"--kafka-properties-file=/etc/herald/kafka/client.properties\") != null" true
expect_jq "kafka-properties" "$kp" ".[] | select(.kind == \"Deployment\") | $pod.volumes[0].secret.secretName" herald-operator-kafka
expect_jq "kafka-properties" "$kp" ".[] | select(.kind == \"Deployment\") | $c.volumeMounts[0] | \"\(.mountPath) \(.readOnly)\"" "/etc/herald/kafka true"
expect_jq "kafka-properties RBAC" "$kp" '[.[] | select(.metadata.name == "herald-operator-kafka-properties") | .kind] | sort | join(",")' \
  "ClusterRole,ClusterRoleBinding"
pass "flag, Secret mount and Secret RBAC rendered"

echo
log "install_manifests: all passed in $((SECONDS - started))s"
