#include "kube/kubeconfig.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace herald::kube {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path.string()};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> Base64Decode(const std::string& in) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return Error{"invalid base64"};
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return Error{"invalid base64"};
  size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// Reads "<field>-data" (base64, inline) or "<field>" (a file path).
Result<std::string> DataOrFile(const YAML::Node& node, const std::string& field, const fs::path& base,
                               const std::string& where) {
  if (node[field + "-data"]) {
    auto decoded = Base64Decode(node[field + "-data"].as<std::string>());
    if (!decoded) return Error{where + "." + field + "-data: " + decoded.error()};
    return decoded;
  }
  if (node[field]) {
    fs::path p = node[field].as<std::string>();
    if (p.is_relative()) p = base / p;
    auto content = ReadFile(p);
    if (!content) return Error{where + "." + field + ": " + content.error()};
    return content;
  }
  return std::string{};
}

YAML::Node FindNamed(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item;
  }
  return YAML::Node();
}

Result<ClusterConfig> ParseKubeconfig(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  const std::string where = "kubeconfig " + path;
  fs::path base = fs::path(path).parent_path();
  if (!root["current-context"]) return Error{where + ": no current-context"};
  std::string ctx_name = root["current-context"].as<std::string>();
  YAML::Node ctx = FindNamed(root["contexts"], ctx_name);
  if (!ctx || !ctx["context"]) return Error{where + ": context \"" + ctx_name + "\" not found"};
  std::string cluster_name = ctx["context"]["cluster"] ? ctx["context"]["cluster"].as<std::string>() : "";
  std::string user_name = ctx["context"]["user"] ? ctx["context"]["user"].as<std::string>() : "";
  YAML::Node cluster = FindNamed(root["clusters"], cluster_name);
  if (!cluster || !cluster["cluster"]) return Error{where + ": cluster \"" + cluster_name + "\" not found"};
  ClusterConfig cfg;
  if (ctx["context"]["namespace"]) cfg.default_namespace = ctx["context"]["namespace"].as<std::string>();
  const YAML::Node& c = cluster["cluster"];
  if (!c["server"]) return Error{where + ": cluster \"" + cluster_name + "\" has no server"};
  cfg.server = c["server"].as<std::string>();
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  if (c["insecure-skip-tls-verify"]) cfg.insecure_skip_tls_verify = c["insecure-skip-tls-verify"].as<bool>();
  auto ca = DataOrFile(c, "certificate-authority", base, "clusters[" + cluster_name + "]");
  if (!ca) return Error{where + ": " + ca.error()};
  cfg.ca_pem = *ca;

  YAML::Node user = FindNamed(root["users"], user_name);
  if (user && user["user"]) {
    const YAML::Node& u = user["user"];
    const std::string uw = "users[" + user_name + "]";
    auto cert = DataOrFile(u, "client-certificate", base, uw);
    if (!cert) return Error{where + ": " + cert.error()};
    auto key = DataOrFile(u, "client-key", base, uw);
    if (!key) return Error{where + ": " + key.error()};
    cfg.client_cert_pem = *cert;
    cfg.client_key_pem = *key;
    if (u["token"]) cfg.token = u["token"].as<std::string>();
    if (u["tokenFile"]) {
      fs::path p = u["tokenFile"].as<std::string>();
      cfg.token_file = (p.is_relative() ? base / p : p).string();
    }
    if (u["exec"] || u["auth-provider"]) {
      return Error{where + ": " + uw +
                   ": exec and auth-provider credentials are not supported; use a client "
                   "certificate or a token"};
    }
  }
  if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty()) {
    return Error{where + ": users[" + user_name + "] needs both client-certificate and client-key"};
  }
  return cfg;
}

}  // namespace

Result<ClusterConfig> LoadKubeconfig(const std::string& path) {
  try {
    return ParseKubeconfig(path);
  } catch (const YAML::Exception& e) {
    return Error{"kubeconfig " + path + ": " + e.what()};
  }
}

Result<ClusterConfig> InClusterConfig(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return Error{"not running in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set"};
  }
  ClusterConfig cfg;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  cfg.server = "https://" + h + ":" + port;
  auto ca = ReadFile(fs::path(sa_dir) / "ca.crt");
  if (!ca) return Error{"in-cluster config: " + ca.error()};
  cfg.ca_pem = *ca;
  cfg.token_file = (fs::path(sa_dir) / "token").string();
  if (!fs::exists(cfg.token_file)) return Error{"in-cluster config: " + cfg.token_file + " does not exist"};
  if (auto ns = ReadFile(fs::path(sa_dir) / "namespace")) cfg.default_namespace = *ns;
  return cfg;
}

Result<ClusterConfig> ResolveClusterConfig(const std::string& kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string first = env;
    first = first.substr(0, first.find(':'));  // the first file of a KUBECONFIG list
    return LoadKubeconfig(first);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return InClusterConfig();
  if (const char* home = std::getenv("HOME")) {
    fs::path p = fs::path(home) / ".kube" / "config";
    if (fs::exists(p)) return LoadKubeconfig(p.string());
  }
  return Error{"no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run in a cluster"};
}

}  // namespace herald::kube
