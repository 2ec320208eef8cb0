// Builds etcd for the local test stack: go.etcd.io/etcd/server/v3 is itself a
// main package, so this module only pins it.
module herald.dev/stack/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 v3.6.16
