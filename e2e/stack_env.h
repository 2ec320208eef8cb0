#pragma once
// Reads the local stack's addresses from the environment (.stack/env). A test
// that needs the stack fails, rather than skips, when they are missing: a
// skipped test would pass with the stack absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace herald::testing {

inline std::string StackEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: source .stack/env (make stack-up) or run `make test`";
    return "";
  }
  return v;
}

}  // namespace herald::testing
