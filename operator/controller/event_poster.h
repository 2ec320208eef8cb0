#pragma once
// Kubernetes Events for the reconcilers, off the reconcile path. An Event is
// a note for people (`kubectl describe`), never something the operator
// waits for: a reconcile hands it to an EventSink and goes on. The
// AsyncEventPoster POSTs them from one background thread through a bounded
// queue; when the API server falls behind (a thousand channels appearing at
// once), the newest Events are dropped and counted instead of slowing every
// reconcile or growing memory without bound.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "kube/client.h"

namespace herald::controller {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Takes an Event object (v1 Event, metadata.namespace set). Never blocks
  // on the network; may drop it.
  virtual void Record(nlohmann::json event) = 0;
};

// POSTs each Event at once on the calling thread: what tests and a
// reconciler without a poster use.
class SyncEventSink final : public EventSink {
 public:
  explicit SyncEventSink(kube::Client& client) : client_(client) {}
  void Record(nlohmann::json event) override;

 private:
  kube::Client& client_;
};

class AsyncEventPoster final : public EventSink {
 public:
  // `capacity`: Events queued at most; later ones are dropped until the
  // queue drains. `on_drop` (may be empty) is called for each dropped Event,
  // e.g. to count it.
  AsyncEventPoster(kube::Client& client, size_t capacity, std::function<void()> on_drop = {});
  // Stops the poster; Events still queued are dropped (not counted).
  ~AsyncEventPoster() override;

  void Record(nlohmann::json event) override;
  // Waits until every Event queued so far has been posted (or the poster
  // stopped). For tests and a clean shutdown.
  void Flush();
  [[nodiscard]] size_t Dropped() const;

 private:
  void Run(std::stop_token stop);

  kube::Client& client_;
  const size_t capacity_;
  std::function<void()> on_drop_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  struct Queued {
    std::string ns;
    std::string body;  // serialized: a fraction of a json tree's memory
  };
  std::deque<Queued> queue_;
  bool posting_ = false;
  size_t dropped_ = 0;
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace herald::controller
