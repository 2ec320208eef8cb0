#include "runtime/workqueue.h"

#include <algorithm>
#include <cmath>

namespace herald::runtime {

WorkQueue::WorkQueue(Options options) : options_(options) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key)) return;
  if (options_.observer) options_.observer->OnAdd();
  dirty_.insert(key);
  added_at_.emplace(key, Clock::now());
  if (processing_.count(key)) return;  // Done() will queue it
  queue_.push_back(key);
  if (options_.observer) options_.observer->OnDepth(queue_.size());
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds::zero()) return Add(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  delayed_.emplace(Clock::now() + delay, key);
  cv_.notify_all();  // a waiter may need to wake earlier than it planned
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = failures_[key]++;
    if (options_.observer) options_.observer->OnRetry();
    double d = static_cast<double>(options_.base_delay.count()) * std::pow(2.0, std::min(n, 30));
    delay =
        std::chrono::milliseconds(static_cast<int64_t>(std::min(d, static_cast<double>(options_.max_delay.count()))));
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.top().first <= now) {
    std::string key = delayed_.top().second;
    delayed_.pop();
    AddLocked(key);
  }
}

bool WorkQueue::Get(std::string* key) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (shutting_down_) return false;
    PromoteDueLocked(Clock::now());
    if (!queue_.empty()) break;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, delayed_.top().first);
    }
  }
  *key = queue_.front();
  queue_.pop_front();
  auto now = Clock::now();
  if (options_.observer) {
    options_.observer->OnDepth(queue_.size());
    if (auto it = added_at_.find(*key); it != added_at_.end()) options_.observer->OnQueueLatency(now - it->second);
  }
  added_at_.erase(*key);
  started_at_[*key] = now;
  processing_.insert(*key);
  dirty_.erase(*key);
  return true;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    if (options_.observer) options_.observer->OnWorkDuration(Clock::now() - it->second);
    started_at_.erase(it);
  }
  if (dirty_.count(key) && !shutting_down_) {
    queue_.push_back(key);
    if (options_.observer) options_.observer->OnDepth(queue_.size());
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace herald::runtime
