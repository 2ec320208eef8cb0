#include "observability/http_endpoints.h"

#include <cpprest/http_listener.h>
#include <prometheus/text_serializer.h>

#include <charconv>

namespace herald::observability {
namespace {

using web::http::http_request;
using web::http::status_codes;
using web::http::experimental::listener::http_listener;

class Endpoints final : public HttpEndpoints {
 public:
  ~Endpoints() override {
    for (auto& l : listeners_) {
      try {
        l->close().wait();
      } catch (...) {
        // Shutting down: nothing useful to do with a close failure.
      }
    }
  }
  std::vector<std::unique_ptr<http_listener>> listeners_;
};

void Reply(http_request& req, web::http::status_code code, const std::string& body, const std::string& type) {
  web::http::http_response resp(code);
  resp.set_body(body, type);
  req.reply(resp).then([](pplx::task<void> t) {
    try {
      t.get();
    } catch (...) {
      // The client went away: nothing to do.
    }
  });
}

void ServeProbe(http_request& req, const Check& check) {
  std::string why = check ? check() : "";
  if (why.empty()) {
    Reply(req, status_codes::OK, "ok\n", "text/plain; charset=utf-8");
  } else {
    Reply(req, status_codes::ServiceUnavailable, why + "\n", "text/plain; charset=utf-8");
  }
}

}  // namespace

Result<std::string> ListenUri(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Error{"address \"" + address + "\" is not host:port or :port"};
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535) {
    return Error{"address \"" + address + "\" has no valid port"};
  }
  if (host.empty()) host = "0.0.0.0";
  return "http://" + host + ":" + port + "/";
}

std::string SerializeMetrics(prometheus::Registry& registry) {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry.Collect());
}

Result<HttpEndpointsPtr> StartHttpEndpoints(const EndpointsConfig& config) {
  auto endpoints = std::make_unique<Endpoints>();
  struct Route {
    std::string address;
    bool metrics, probes;
  };
  std::vector<Route> routes;
  const bool metrics_on = config.metrics_address != "0" && !config.metrics_address.empty();
  const bool probes_on = config.probe_address != "0" && !config.probe_address.empty();
  if (metrics_on && probes_on && config.metrics_address == config.probe_address) {
    routes.push_back({config.metrics_address, true, true});
  } else {
    if (metrics_on) routes.push_back({config.metrics_address, true, false});
    if (probes_on) routes.push_back({config.probe_address, false, true});
  }
  for (const auto& route : routes) {
    auto uri = ListenUri(route.address);
    if (!uri) return Error{uri.error()};
    auto listener = std::make_unique<http_listener>(web::uri(*uri));
    auto registry = config.registry;
    Check live = config.liveness, ready = config.readiness;
    bool metrics = route.metrics, probes = route.probes;
    listener->support(web::http::methods::GET, [registry, live, ready, metrics, probes](http_request req) {
      const std::string path = req.relative_uri().path();
      if (metrics && path == "/metrics" && registry) {
        Reply(req, status_codes::OK, SerializeMetrics(*registry), "text/plain; version=0.0.4; charset=utf-8");
      } else if (probes && path == "/healthz") {
        ServeProbe(req, live);
      } else if (probes && path == "/readyz") {
        ServeProbe(req, ready);
      } else {
        Reply(req, status_codes::NotFound, "not found\n", "text/plain; charset=utf-8");
      }
    });
    try {
      listener->open().wait();
    } catch (const std::exception& e) {
      return Error{"cannot listen on " + route.address + ": " + e.what()};
    }
    endpoints->listeners_.push_back(std::move(listener));
  }
  return HttpEndpointsPtr(std::move(endpoints));
}

}  // namespace herald::observability
