// Feeds arbitrary bytes to the envelope parser as a Kafka record value.
// Besides "does not crash", checks what the sidecar relies on: a rejection
// always has a printable reason (it becomes a Kafka header), and an accepted
// envelope reads back the same from its own raw bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto env = herald::ParseEnvelope(record);
  if (!env.ok()) {
    if (env.error().empty()) __builtin_trap();
    for (const char c : env.error()) {
      if (c < 0x20 || c >= 0x7f) __builtin_trap();
    }
  } else {
    if (!herald::IsUuid(env->global_id) || env->from.empty() || !env->json.is_object()) __builtin_trap();
    auto again = herald::ParseEnvelope(env->raw);
    if (!again.ok() || again->json != env->json) __builtin_trap();
    (void)herald::CheckContentVersion(*env, 1);
  }
  // The timestamp parser on its own, where short inputs reach every branch.
  (void)herald::ParseRfc3339(record);
  return 0;
}
