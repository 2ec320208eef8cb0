#pragma once
// The sidecar's event loop: consume the channel's topic, prepare and dispatch
// each message with bounded concurrency, retry what is retryable, dead-letter
// what is not, and commit only offsets whose messages have a final outcome.
//
// One thread runs everything (Run); librdkafka and libcurl do their I/O on
// their own threads and wake the loop through Dispatcher::Wakeup, so the loop
// sleeps in one place and reacts to a new record, a finished request, a
// delivery report or a signal without polling.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "config/sidecar_config.h"
#include "dispatch/dispatcher.h"
#include "herald/result.h"
#include "runtime/metrics.h"
#include "runtime/prepare.h"

namespace herald::sidecar {

class Worker {
 public:
  // Creates the Kafka clients (nothing is consumed until Run). Errors: bad
  // librdkafka properties, unreadable properties file.
  [[nodiscard]] static Result<std::unique_ptr<Worker>> Create(const config::SidecarConfig& cfg, Secrets secrets,
                                                              dispatch::DispatcherPtr dispatcher, Metrics* metrics);
  virtual ~Worker() = default;

  // Runs until Stop(): then drains (finishes in-flight work until the drain
  // timeout), commits, leaves the group and flushes. Returns OK after a clean
  // shutdown; an error if the Kafka clients failed fatally.
  [[nodiscard]] virtual Status Run() = 0;
  // Thread-safe and prompt: readiness fails at once, fetching stops.
  virtual void Stop() = 0;

  // "" when healthy / ready, else why not (served by /healthz and /readyz).
  [[nodiscard]] virtual std::string Liveness() const = 0;
  [[nodiscard]] virtual std::string Readiness() const = 0;
};
using WorkerPtr = std::unique_ptr<Worker>;

}  // namespace herald::sidecar
