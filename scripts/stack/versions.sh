# Pinned versions of every component of the local stack. Sourced by the stack
# scripts; bump a version here and the next `make stack-up` rebuilds that piece.
KUBERNETES_VERSION=v1.34.4 # stack/go/kubernetes/go.mod must match (scripts/stack/pin-kubernetes)
ETCD_VERSION=v3.6.16       # stack/go/etcd/go.mod must match
KWOK_VERSION=v0.7.0
MAILPIT_VERSION=v1.27.11
KAFKA_VERSION=4.1.1        # stack/kafka/pom.xml must match
