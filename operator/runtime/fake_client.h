#pragma once
// A scripted kube::Client for unit tests of code built on the client
// (informers, leader election, reconcilers). Not for anything users run.
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
  // Each Watch call pops the next script: the events to deliver, then the result.
  struct WatchScript {
    std::vector<kube::WatchEvent> events;
    Status result = OkStatus();
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
      if (watches_.empty()) {
        idle = true;
      } else {
        script = std::move(watches_.front());
        watches_.pop_front();
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
