#include "sidecar/core/lifecycle_event.h"

#include <nlohmann/json.hpp>

namespace herald::sidecar {
namespace {

using nlohmann::json;

void Append(std::string& out, const char* key, const json& value) {
  if (out.size() > 1) out += ',';
  out += key;
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string LifecycleEventJson(const LifecycleEvent& e) {
  std::string out;
  out.reserve(160 + e.global_id.size() + e.channel.size() + e.reason.size());
  out += '{';
  Append(out, R"("at":)", e.at);
  Append(out, R"("attempt":)", e.attempt);
  Append(out, R"("channel":)", e.channel);
  Append(out, R"("event":)", e.event);
  Append(out, R"("globalId":)", e.global_id);
  if (e.latency_ms) Append(out, R"("latencyMs":)", *e.latency_ms);
  if (!e.reason.empty()) Append(out, R"("reason":)", e.reason);
  out += '}';
  return out;
}

}  // namespace herald::sidecar
