#include "controller/event_poster.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "runtime/fake_client.h"

namespace herald::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json Event(int i) { return {{"metadata", {{"namespace", "team-a"}}}, {"reason", "R" + std::to_string(i)}}; }

// An API server that holds every request until released.
class SlowApi {
 public:
  SlowApi() {
    client.on_send = [this](const std::string&, const std::string&, const std::string& body) -> Result<kube::Response> {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return open_; });
      bodies_.push_back(json::parse(body));
      return kube::Response{201, nullptr, ""};
    };
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<json> Bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  runtime::testing::FakeClient client;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::vector<json> bodies_;
};

TEST(AsyncEventPoster, RecordDoesNotWaitForTheApiServer) {
  SlowApi api;
  AsyncEventPoster poster(api.client, 16);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) poster.Record(Event(i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "a reconcile must not wait for its Events";
  EXPECT_TRUE(api.Bodies().empty());
  api.Open();
  poster.Flush();
  ASSERT_EQ(api.Bodies().size(), 3u);
  EXPECT_EQ(api.Bodies()[2]["reason"], "R2") << "posted in order";
  for (const auto& s : api.client.sent()) EXPECT_EQ(s, "POST /api/v1/namespaces/team-a/events");
  EXPECT_EQ(poster.Dropped(), 0u);
}

TEST(AsyncEventPoster, FullQueueDropsAndCounts) {
  SlowApi api;
  std::atomic<int> dropped{0};
  AsyncEventPoster poster(api.client, 2, [&] { ++dropped; });
  poster.Record(Event(0));
  // The poster takes event 0 and blocks posting it; wait for that so the
  // queue holds exactly what follows.
  for (int i = 0; i < 200 && api.client.sent().empty(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(api.client.sent().size(), 1u);
  for (int i = 1; i <= 5; ++i) poster.Record(Event(i));
  EXPECT_EQ(poster.Dropped(), 3u);
  EXPECT_EQ(dropped.load(), 3);
  api.Open();
  poster.Flush();
  ASSERT_EQ(api.Bodies().size(), 3u);
  EXPECT_EQ(api.Bodies()[1]["reason"], "R1");
  EXPECT_EQ(api.Bodies()[2]["reason"], "R2");
}

TEST(AsyncEventPoster, StopsPromptlyWithEventsQueued) {
  SlowApi api;
  auto poster = std::make_unique<AsyncEventPoster>(api.client, 8);
  poster->Record(Event(0));
  for (int i = 0; i < 200 && api.client.sent().empty(); ++i) std::this_thread::sleep_for(5ms);
  poster->Record(Event(1));
  api.Open();
  poster.reset();  // joins; must not hang
  EXPECT_LE(api.Bodies().size(), 2u);
}

}  // namespace
}  // namespace herald::controller
