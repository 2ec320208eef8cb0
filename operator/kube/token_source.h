#pragma once
// The bearer token for API requests: given inline, or read from a file that
// someone else rotates (a projected service-account token, which the kubelet
// rewrites well before it expires; a kubeconfig's tokenFile). The file is
// re-read when the cached copy is older than `refresh`, and at once after the
// API server refused the token (401): a token revoked before its expiry
// (its ServiceAccount deleted) is replaced as soon as the file has a new one.
#include <chrono>
#include <mutex>
#include <string>

namespace herald::kube {

class TokenSource {
 public:
  TokenSource(std::string token, std::string file, std::chrono::seconds refresh = std::chrono::seconds(60));

  // The token to send now ("" for none).
  [[nodiscard]] std::string Get();
  // Re-reads the file now. Returns true when that changed the token, i.e.
  // a request refused with the old one is worth repeating.
  bool Refresh();

 private:
  void ReadLocked();  // needs mu_

  std::mutex mu_;
  std::string token_;
  const std::string file_;
  const std::chrono::seconds refresh_;
  std::chrono::steady_clock::time_point read_at_{};
  bool read_ = false;
};

}  // namespace herald::kube
