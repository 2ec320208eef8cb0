#pragma once
// A scripted kube::Client for unit tests of code built on the client
// (informers, leader election, reconcilers). Not for anything users run.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>

#include "kube/client.h"

namespace herald::runtime::testing {

class FakeClient : public kube::Client {
 public:
  // Handles Send: return the response for (method, path_and_query, body).
  std::function<Result<kube::Response>(const std::string&, const std::string&, const std::string&)> on_send;
  // Each Watch call pops the first script for its path: the events to
  // deliver, then the result. A script with a `path_contains` serves only
  // watches whose path holds it; `before` runs ahead of the events (a test
  // holds a watch event back with it, as a lagging watch would).
  struct WatchScript {
    std::vector<kube::WatchEvent> events;
    Status result = OkStatus();
    std::string path_contains{};
    std::function<void()> before{};
  };

  void PushWatch(WatchScript s) {
    std::lock_guard<std::mutex> lock(mu_);
    watches_.push_back(std::move(s));
  }
  std::vector<std::string> watch_paths() {
    std::lock_guard<std::mutex> lock(mu_);
    return watch_paths_;
  }
  std::vector<std::string> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

  Result<kube::Response> Send(const std::string& method, const std::string& path, const std::string& body,
                              const std::string& /*content_type*/) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sent_.push_back(method + " " + path);
    }
    if (on_send) return on_send(method, path, body);
    return kube::Response{404, nullptr, ""};
  }

  Status Watch(const std::string& path, const std::function<bool(const kube::WatchEvent&)>& on_event,
               std::stop_token stop) override {
    WatchScript script;
    bool idle = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      watch_paths_.push_back(path);
      auto it = std::find_if(watches_.begin(), watches_.end(), [&](const WatchScript& s) {
        return s.path_contains.empty() || path.find(s.path_contains) != std::string::npos;
      });
      if (it == watches_.end()) {
        idle = true;
      } else {
        script = std::move(*it);
        watches_.erase(it);
      }
    }
    if (idle) {
      // Nothing scripted: an idle watch that ends when stopped, as the real
      // client's does. A token that can never stop would block forever.
      if (!stop.stop_possible()) return Error{"no more scripted watches"};
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, stop, [] { return false; });
      return OkStatus();
    }
    if (script.before) script.before();
    for (const auto& ev : script.events) {
      if (stop.stop_requested() || !on_event(ev)) return OkStatus();
    }
    return script.result;
  }

 private:
  std::mutex mu_;
  std::deque<WatchScript> watches_;
  std::vector<std::string> watch_paths_;
  std::vector<std::string> sent_;
};

}  // namespace herald::runtime::testing
