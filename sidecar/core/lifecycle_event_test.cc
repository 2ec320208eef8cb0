#include "sidecar/core/lifecycle_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace herald::sidecar {
namespace {

using nlohmann::json;

// What the worker wrote before: a json object dumped with invalid UTF-8
// replaced. The hand-assembled text must be byte for byte the same.
std::string ViaDom(const LifecycleEvent& e) {
  json ev = {
      {"globalId", e.global_id}, {"channel", e.channel}, {"event", e.event}, {"attempt", e.attempt}, {"at", e.at}};
  if (e.latency_ms) ev["latencyMs"] = *e.latency_ms;
  if (!e.reason.empty()) ev["reason"] = e.reason;
  return ev.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(LifecycleEventJson, SameBytesAsTheJsonDom) {
  std::vector<LifecycleEvent> cases = {
      {"0b7c6d1e-0000-4000-8000-000000000001", "team-a/alerts", "delivered", 1, "2026-12-06T17:40:00.123Z", 1.25, ""},
      {"id", "ns/ch", "dead-lettered", 7, "2026-12-06T17:40:00Z", std::nullopt, "HTTP 400: \"bad\"\n\tline\x01"},
      {"\xff\xfe not utf-8", "ns/ch", "retrying", 0, "", 0.1, "caf\xc3\xa9 \xe2\x80\xa8 \\ /"},
      {"", "", "", -1, "", 1e-7, "x"},
      {"id", "ns/ch", "delivered", 2, "t", 123456789.0, ""},
  };
  for (const auto& e : cases) EXPECT_EQ(LifecycleEventJson(e), ViaDom(e));
}

TEST(LifecycleEventJson, IsOneJsonObjectWithTheFields) {
  LifecycleEvent e{"g", "ns/ch", "delivered", 3, "2026-12-06T17:40:00Z", 2.5, "r"};
  json doc = json::parse(LifecycleEventJson(e));
  EXPECT_EQ(doc, (json{{"globalId", "g"},
                       {"channel", "ns/ch"},
                       {"event", "delivered"},
                       {"attempt", 3},
                       {"at", "2026-12-06T17:40:00Z"},
                       {"latencyMs", 2.5},
                       {"reason", "r"}}));
}

}  // namespace
}  // namespace herald::sidecar
