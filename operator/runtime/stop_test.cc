#include "runtime/stop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace herald::runtime {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(WaitForStop, WaitsTheFullDurationWhenNotStopped) {
  std::stop_source stop;
  auto start = Clock::now();
  EXPECT_FALSE(WaitForStop(stop.get_token(), 50ms));
  EXPECT_GE(Clock::now() - start, 50ms);
}

TEST(WaitForStop, ReturnsAtOnceWhenAlreadyStopped) {
  std::stop_source stop;
  stop.request_stop();
  auto start = Clock::now();
  EXPECT_TRUE(WaitForStop(stop.get_token(), 1h));
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(WaitForStop, AStopFromAnotherThreadWakesTheWaiter) {
  std::stop_source stop;
  std::atomic<bool> waiting{false};
  std::atomic<bool> result{false};
  std::thread waiter([&] {
    waiting = true;
    result = WaitForStop(stop.get_token(), 1h);
  });
  // Not a guarantee that the waiter is blocked yet, only very likely; either
  // way a stop must end an hour's wait at once.
  const auto deadline = Clock::now() + 10s;
  while (!waiting.load() && Clock::now() < deadline) std::this_thread::yield();
  auto start = Clock::now();
  stop.request_stop();
  waiter.join();
  EXPECT_TRUE(result.load());
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(WaitForStop, ATokenThatCannotStopTimesOut) { EXPECT_FALSE(WaitForStop(std::stop_token{}, 10ms)); }

}  // namespace
}  // namespace herald::runtime
