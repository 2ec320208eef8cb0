#include "sidecar/core/random.h"

namespace herald::sidecar {

SeededRandom::SeededRandom() : engine_(std::random_device{}()) {}

SeededRandom::SeededRandom(uint64_t seed) : engine_(seed) {}

double SeededRandom::Uniform() {
  double u = dist_(engine_);
  // uniform_real_distribution may return its upper bound through rounding
  // (LWG 2524); the interface promises [0, 1).
  return u < 1.0 ? u : 0.0;
}

}  // namespace herald::sidecar
