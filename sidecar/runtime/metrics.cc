#include "runtime/metrics.h"

namespace herald::sidecar {

Metrics::Metrics(const std::string& channel) : registry_(std::make_shared<prometheus::Registry>()), channel_(channel) {
  auto& r = *registry_;
  deliveries_ = &prometheus::BuildCounter()
                     .Name("herald_deliveries_total")
                     .Help("Messages by final outcome: delivered, dead_lettered, dropped, duplicate")
                     .Register(r);
  attempts_ = &prometheus::BuildCounter()
                   .Name("herald_delivery_attempts_total")
                   .Help("Delivery attempts by result: delivered, retryable, permanent")
                   .Register(r);
  dead_letters_ = &prometheus::BuildCounter()
                       .Name("herald_dead_letters_total")
                       .Help("Messages dead-lettered, by class: invalid, permanent, exhausted")
                       .Register(r);
  lag_ = &prometheus::BuildGauge()
              .Name("herald_consumer_lag")
              .Help("Messages between the committed offset and the end of the partition")
              .Register(r);
  latency_ = &prometheus::BuildHistogram()
                  .Name("herald_delivery_latency_seconds")
                  .Help("From consuming a message to its delivery")
                  .Register(r)
                  .Add({{"channel", channel_}},
                       prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5,
                                                               1, 2.5, 5, 10, 30, 60, 300});
  retries_ = &prometheus::BuildCounter()
                  .Name("herald_retries_total")
                  .Help("Retries scheduled")
                  .Register(r)
                  .Add({{"channel", channel_}});
  rate_limited_ = &prometheus::BuildCounter()
                       .Name("herald_rate_limited_waits_total")
                       .Help("Times a message waited for the channel's rate limit")
                       .Register(r)
                       .Add({{"channel", channel_}});
  throttled_ = &prometheus::BuildCounter()
                    .Name("herald_throttled_total")
                    .Help("429 answers that paused the whole channel")
                    .Register(r)
                    .Add({{"channel", channel_}});
  events_dropped_ = &prometheus::BuildCounter()
                         .Name("herald_events_dropped_total")
                         .Help("Lifecycle events that could not be produced (delivery went on)")
                         .Register(r)
                         .Add({{"channel", channel_}});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("herald_in_flight")
                    .Help("Messages consumed and not yet finished")
                    .Register(r)
                    .Add({{"channel", channel_}});
}

prometheus::Counter& Metrics::Counter(prometheus::Family<prometheus::Counter>* f, const std::string& k,
                                      const std::string& v) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const CachedCounter& c : counters_) {
    if (c.family == f && c.value == v) return *c.counter;
  }
  prometheus::Counter& counter = f->Add({{"channel", channel_}, {k, v}});
  counters_.push_back({f, v, &counter});
  return counter;
}

void Metrics::Lag(const std::string& topic, int partition, double lag) {
  std::lock_guard<std::mutex> lock(mu_);
  lag_->Add({{"channel", channel_}, {"topic", topic}, {"partition", std::to_string(partition)}}).Set(lag);
}

void Metrics::ForgetLag(const std::string& topic, int partition) {
  std::lock_guard<std::mutex> lock(mu_);
  const prometheus::Labels labels{{"channel", channel_}, {"topic", topic}, {"partition", std::to_string(partition)}};
  if (lag_->Has(labels)) lag_->Remove(&lag_->Add(labels));
}

}  // namespace herald::sidecar
