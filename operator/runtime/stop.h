#pragma once
// Waiting on a std::stop_token. Shutdown is a std::stop_source: whoever runs
// until stopped takes its token, waits on it with WaitForStop instead of
// sleeping in small steps (an idle operator must not wake up to look at a
// flag), and registers a std::stop_callback for what must be interrupted from
// outside (a watch blocked on the network).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace herald::runtime {

// Blocks for `d`, or until a stop is requested. Returns true when stopped.
template <typename Rep, typename Period>
bool WaitForStop(const std::stop_token& stop, std::chrono::duration<Rep, Period> d) {
  // Nothing else notifies this condition variable: only the stop request (the
  // stop_callback condition_variable_any registers) or the timeout end it.
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return stop.stop_requested();
}

}  // namespace herald::runtime
