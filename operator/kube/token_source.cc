#include "kube/token_source.h"

#include <fstream>
#include <sstream>

namespace herald::kube {

TokenSource::TokenSource(std::string token, std::string file, std::chrono::seconds refresh)
    : token_(std::move(token)), file_(std::move(file)), refresh_(refresh) {}

void TokenSource::ReadLocked() {
  std::ifstream in(file_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  // A file caught mid-rewrite (empty) keeps the last good token.
  if (!t.empty()) token_ = t;
  read_at_ = std::chrono::steady_clock::now();
  read_ = true;
}

std::string TokenSource::Get() {
  if (file_.empty()) return token_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!read_ || std::chrono::steady_clock::now() - read_at_ >= refresh_) ReadLocked();
  return token_;
}

bool TokenSource::Refresh() {
  if (file_.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  std::string before = token_;
  ReadLocked();
  return token_ != before;
}

}  // namespace herald::kube
