#pragma once
// The sidecar's Prometheus metrics (prefix herald_), labelled by channel.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace herald::sidecar {

class Metrics {
 public:
  explicit Metrics(const std::string& channel);
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // outcome: delivered | dead_lettered | dropped | duplicate
  void Outcome(const std::string& outcome) { Counter(deliveries_, "outcome", outcome).Increment(); }
  // result: delivered | retryable | permanent
  void Attempt(const std::string& result) { Counter(attempts_, "result", result).Increment(); }
  void DeadLetter(const std::string& error_class) { Counter(dead_letters_, "class", error_class).Increment(); }
  void Latency(double seconds) { latency_->Observe(seconds); }
  void Retry() { retries_->Increment(); }
  void RateLimitedWait() { rate_limited_->Increment(); }
  void Throttled() { throttled_->Increment(); }
  void EventDropped() { events_dropped_->Increment(); }
  void InFlight(double n) { in_flight_->Set(n); }
  void Lag(const std::string& topic, int partition, double lag);
  // Drops a revoked partition's series, so a stale lag does not alert.
  void ForgetLag(const std::string& topic, int partition);

 private:
  // Returns the family's series for label k=v. The series are looked up by
  // family and value in a small cache: prometheus-cpp's Family::Add builds a
  // label map, hashes it and takes the family's lock on every call, which was
  // a visible share of the per-message cost.
  prometheus::Counter& Counter(prometheus::Family<prometheus::Counter>* f, const std::string& k, const std::string& v);

  std::shared_ptr<prometheus::Registry> registry_;
  std::string channel_;
  std::mutex mu_;
  struct CachedCounter {
    const prometheus::Family<prometheus::Counter>* family;
    std::string value;
    prometheus::Counter* counter;
  };
  std::vector<CachedCounter> counters_;  // a dozen entries: a scan beats a hash
  prometheus::Family<prometheus::Counter>* deliveries_;
  prometheus::Family<prometheus::Counter>* attempts_;
  prometheus::Family<prometheus::Counter>* dead_letters_;
  prometheus::Family<prometheus::Gauge>* lag_;
  prometheus::Histogram* latency_;
  prometheus::Counter* retries_;
  prometheus::Counter* rate_limited_;
  prometheus::Counter* throttled_;
  prometheus::Counter* events_dropped_;
  prometheus::Gauge* in_flight_;
};

}  // namespace herald::sidecar
