#pragma once
// Test-only: a Random that replays fixed values, so jitter is predictable.
#include <algorithm>
#include <utility>
#include <vector>

#include "sidecar/core/random.h"

namespace herald::sidecar {

class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::vector<double> values) : values_(std::move(values)) {}
  // Returns the scripted values in order, repeating the last one forever.
  double Uniform() override {
    double v = values_.empty() ? 0.0 : values_[std::min(next_, values_.size() - 1)];
    ++next_;
    return v;
  }
  size_t calls() const { return next_; }

 private:
  std::vector<double> values_;
  size_t next_ = 0;
};

}  // namespace herald::sidecar
