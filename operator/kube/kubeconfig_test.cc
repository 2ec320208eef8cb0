#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace herald::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("herald-kubeconfig-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(KubeconfigTest, ResolvesCurrentContextWithFilesAndInlineData) {
  Write("ca.crt", "CA-PEM");
  Write("client.crt", "CERT-PEM");
  // "S0VZLVBFTQ==" is base64 of "KEY-PEM".
  std::string path = Write("config", R"(apiVersion: v1
kind: Config
current-context: second
clusters:
- name: a
  cluster: {server: https://other:1}
- name: b
  cluster: {server: "https://127.0.0.1:6443/", certificate-authority: ca.crt}
users:
- name: u
  user: {client-certificate: client.crt, client-key-data: S0VZLVBFTQ==}
contexts:
- name: first
  context: {cluster: a, user: u}
- name: second
  context: {cluster: b, user: u, namespace: team-a}
)");
  auto cfg = LoadKubeconfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, "CA-PEM");
  EXPECT_EQ(cfg->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(cfg->client_key_pem, "KEY-PEM");
  EXPECT_EQ(cfg->default_namespace, "team-a");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
}

TEST_F(KubeconfigTest, ErrorsNameTheMissingPiece) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"contexts: []\n", "no current-context"},
      {"current-context: x\ncontexts: []\n", "context \"x\" not found"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: []\n",
       "cluster \"c\" not found"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: missing.crt}}]\n",
       "missing.crt"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
       "users: [{name: u, user: {client-certificate-data: QQ==}}]\n",
       "needs both client-certificate and client-key"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
       "users: [{name: u, user: {exec: {command: aws}}}]\n",
       "exec and auth-provider credentials are not supported"},
      {"{{{ not yaml", "kubeconfig"},
  };
  for (const auto& c : cases) {
    auto cfg = LoadKubeconfig(Write("config", c.yaml));
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_NE(cfg.error().find(c.want), std::string::npos) << cfg.error();
  }
}

TEST_F(KubeconfigTest, InClusterReadsServiceAccountFiles) {
  Write("ca.crt", "CA");
  Write("token", "tok\n");
  Write("namespace", "herald-system");
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto cfg = InClusterConfig(dir_.string());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->server, "https://10.0.0.1:443");
  EXPECT_EQ(cfg->ca_pem, "CA");
  EXPECT_EQ(cfg->token_file, (dir_ / "token").string());
  EXPECT_EQ(cfg->default_namespace, "herald-system");
}

TEST_F(KubeconfigTest, InClusterWithoutServiceEnvSaysSo) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto cfg = InClusterConfig(dir_.string());
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

}  // namespace
}  // namespace herald::kube
