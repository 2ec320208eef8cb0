#pragma once
// Randomness behind an interface so jitter is deterministic in tests.
#include <cstdint>
#include <memory>
#include <random>

namespace herald::sidecar {

class Random {
 public:
  virtual ~Random() = default;
  // Returns a number uniformly distributed in [0, 1).
  [[nodiscard]] virtual double Uniform() = 0;
};
using RandomPtr = std::unique_ptr<Random>;

// The production source: a Mersenne Twister seeded from std::random_device.
// Jitter only needs to decorrelate replicas, not to be unpredictable, so a
// cryptographic generator would be wasted effort. Not thread-safe.
class SeededRandom final : public Random {
 public:
  SeededRandom();
  explicit SeededRandom(uint64_t seed);
  [[nodiscard]] double Uniform() override;

 private:
  std::mt19937_64 engine_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
};

}  // namespace herald::sidecar
