#pragma once
// A de-duplicating, rate-limited work queue with client-go's semantics:
// - a key is queued at most once, however often it is added;
// - a key being processed is never handed to a second worker; if it is added
//   meanwhile, it is queued again when the first worker calls Done;
// - AddRateLimited delays a failing key exponentially (per key), Forget resets it;
// - AddAfter schedules a key for later (requeueAfter, periodic resync).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <vector>

namespace herald::runtime {

// Observes the queue for metrics; every method may be called under the
// queue's lock, so implementations must not call back into the queue.
class WorkQueueObserver {
 public:
  virtual ~WorkQueueObserver() = default;
  virtual void OnAdd() {}
  virtual void OnDepth(size_t /*depth*/) {}
  virtual void OnRetry() {}
  virtual void OnQueueLatency(std::chrono::duration<double> /*waited*/) {}
  virtual void OnWorkDuration(std::chrono::duration<double> /*took*/) {}
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds base_delay{5};
    std::chrono::milliseconds max_delay{std::chrono::seconds(300)};
    WorkQueueObserver* observer = nullptr;
  };
  WorkQueue() : WorkQueue(Options{}) {}
  explicit WorkQueue(Options options);

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Schedules the key after its per-key backoff (base * 2^failures, capped).
  void AddRateLimited(const std::string& key);
  // Stops tracking the key's failures (call after a successful reconcile).
  void Forget(const std::string& key);
  // The number of times the key went through AddRateLimited since its last Forget.
  int NumRequeues(const std::string& key);

  // Blocks until a key is ready, returning true with it; returns false once
  // the queue is shut down (pending keys are abandoned).
  [[nodiscard]] bool Get(std::string* key);
  // Marks the key's processing finished; requeues it if it was added meanwhile.
  void Done(const std::string& key);
  void ShutDown();
  size_t Len();

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);

  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;
  std::set<std::string> processing_;
  std::map<std::string, Clock::time_point> added_at_;
  std::map<std::string, Clock::time_point> started_at_;
  std::map<std::string, int> failures_;
  using Delayed = std::pair<Clock::time_point, std::string>;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  bool shutting_down_ = false;
};

}  // namespace herald::runtime
