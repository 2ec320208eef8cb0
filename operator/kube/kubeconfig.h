#pragma once
// Where the API server is and how to authenticate to it: from a kubeconfig
// file (current context) or from the in-cluster service account.
#include <string>

#include "herald/result.h"

namespace herald::kube {

struct ClusterConfig {
  std::string server;           // https://host:port, no trailing slash
  std::string ca_pem;           // trust anchors for the server's certificate; empty: system store
  std::string client_cert_pem;  // client certificate authentication
  std::string client_key_pem;
  std::string token;                      // bearer token given inline
  std::string token_file;                 // bearer token re-read from this file (service-account rotation)
  bool insecure_skip_tls_verify = false;  // only when the kubeconfig says so explicitly
  std::string default_namespace = "default";
};

// Reads the kubeconfig at `path` and resolves its current context. Certificate
// and key data may be inline (base64 *-data fields) or files (relative paths
// resolve against the kubeconfig's folder). Returns an error naming the
// missing or unreadable piece ("kubeconfig /x: context \"a\" not found").
[[nodiscard]] Result<ClusterConfig> LoadKubeconfig(const std::string& path);

// The service-account configuration every pod gets: KUBERNETES_SERVICE_HOST /
// _PORT and /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}.
// `sa_dir` is overridable for tests. Errors say what is missing.
[[nodiscard]] Result<ClusterConfig> InClusterConfig(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Picks the configuration the way controller-runtime does: the explicit
// `kubeconfig` path if given, else $KUBECONFIG, else in-cluster, else ~/.kube/config.
[[nodiscard]] Result<ClusterConfig> ResolveClusterConfig(const std::string& kubeconfig_flag);

}  // namespace herald::kube
