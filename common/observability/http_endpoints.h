#pragma once
// The HTTP endpoints every Herald process serves: /metrics (Prometheus text
// format, from a prometheus-cpp registry) and /healthz, /readyz (probes).
// Served with cpprestsdk's http_listener. Metrics and probes may share one
// address or use two (the contract's defaults: :8080 and :8081).
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "herald/result.h"

namespace herald::observability {

// A probe check: returns "" when healthy, else the reason (served in the body).
using Check = std::function<std::string()>;

struct EndpointsConfig {
  std::string metrics_address = ":8080";  // "host:port" or ":port" (all interfaces); "0" disables
  std::string probe_address = ":8081";
  std::shared_ptr<prometheus::Registry> registry;
  Check liveness;   // /healthz; empty: always live
  Check readiness;  // /readyz; empty: always ready
};

class HttpEndpoints {
 public:
  virtual ~HttpEndpoints() = default;
};
using HttpEndpointsPtr = std::unique_ptr<HttpEndpoints>;

// Starts listening. Returns the running endpoints (stopped when destroyed), or
// an error naming the address that could not be bound or parsed.
[[nodiscard]] Result<HttpEndpointsPtr> StartHttpEndpoints(const EndpointsConfig& config);

// Turns ":8080" / "127.0.0.1:8080" / "0.0.0.0:8080" into a listener URI; error
// for anything else (the message names the bad value).
[[nodiscard]] Result<std::string> ListenUri(const std::string& address);

// Prometheus text exposition of `registry`.
[[nodiscard]] std::string SerializeMetrics(prometheus::Registry& registry);

}  // namespace herald::observability
