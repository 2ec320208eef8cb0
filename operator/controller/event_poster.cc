#include "controller/event_poster.h"

#include "controller/resources.h"

namespace herald::controller {
namespace {

std::string NamespaceOf(const nlohmann::json& event) {
  auto meta = event.find("metadata");
  return meta != event.end() && meta->is_object() ? meta->value("namespace", "") : "";
}

void Post(kube::Client& client, const std::string& ns, const std::string& body) {
  (void)client.Send("POST", kube::ResourcePath(kEvents, ns), body);  // best effort
}

}  // namespace

void SyncEventSink::Record(nlohmann::json event) { Post(client_, NamespaceOf(event), event.dump()); }

AsyncEventPoster::AsyncEventPoster(kube::Client& client, size_t capacity, std::function<void()> on_drop)
    : client_(client),
      capacity_(capacity),
      on_drop_(std::move(on_drop)),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

AsyncEventPoster::~AsyncEventPoster() {
  thread_.request_stop();
  cv_.notify_all();
}

void AsyncEventPoster::Record(nlohmann::json event) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < capacity_) {
      queue_.push_back({NamespaceOf(event), event.dump()});
      cv_.notify_all();
      return;
    }
    ++dropped_;
  }
  if (on_drop_) on_drop_();
}

void AsyncEventPoster::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, thread_.get_stop_token(), [&] { return queue_.empty() && !posting_; });
}

size_t AsyncEventPoster::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void AsyncEventPoster::Run(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    if (!cv_.wait(lock, stop, [&] { return !queue_.empty(); })) break;
    Queued event = std::move(queue_.front());
    queue_.pop_front();
    posting_ = true;
    lock.unlock();
    Post(client_, event.ns, event.body);
    lock.lock();
    posting_ = false;
    cv_.notify_all();  // Flush
  }
  posting_ = false;
  cv_.notify_all();
}

}  // namespace herald::controller
