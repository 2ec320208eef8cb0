// The worker's event loop against librdkafka's mock cluster (an in-process
// Kafka: real protocol, real consumer group, real commits) and a fake
// dispatcher the test steers: it holds chosen requests in flight until the
// test releases them, so the order in which messages finish is the test's.
#include "runtime/worker.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <prometheus/metric_family.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "herald/log.h"

namespace herald::sidecar {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Answers every request with 200, except those whose globalId the test holds:
// they stay in flight until Release. Thread-safe: the worker calls it from its
// loop thread, the test from its own.
class FakeDispatcher final : public dispatch::Dispatcher {
 public:
  explicit FakeDispatcher(size_t capacity) : capacity_(capacity) {}

  void Hold(const std::string& id) {
    std::lock_guard lock(mu_);
    hold_.insert(id);
  }
  void HoldAll() {
    std::lock_guard lock(mu_);
    hold_all_ = true;
  }
  // Finishes a held request (or, if it has not arrived yet, lets it through).
  void Release(const std::string& id) {
    std::lock_guard lock(mu_);
    hold_.erase(id);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (it->second == id) {
        done_.push_back(Ok(it->first));
        held_.erase(it);
        break;
      }
    }
    cv_.notify_all();
  }
  void ReleaseAll() {
    std::lock_guard lock(mu_);
    hold_.clear();
    hold_all_ = false;
    for (const auto& [token, id] : held_) done_.push_back(Ok(token));
    held_.clear();
    cv_.notify_all();
  }
  // globalIds in the order they were submitted (retries appear again).
  std::vector<std::string> Submitted() const {
    std::lock_guard lock(mu_);
    return submitted_;
  }
  size_t Held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Results Poll has handed to the worker.
  size_t Returned() const {
    std::lock_guard lock(mu_);
    return returned_;
  }
  // Poll calls begun so far.
  size_t Polls() const {
    std::lock_guard lock(mu_);
    return polls_;
  }
  size_t MaxInFlight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

  bool Submit(dispatch::DispatchRequest&& request) override {
    std::lock_guard lock(mu_);
    if (held_.size() + done_.size() >= capacity_) return false;
    std::string id;
    for (const auto& [k, v] : std::get<dispatch::HttpPost>(request.payload).headers) {
      if (k == "X-Herald-Global-Id") id = v;
    }
    submitted_.push_back(id);
    if (hold_all_ || hold_.count(id)) {
      held_.emplace_back(request.token, id);
    } else {
      done_.push_back(Ok(request.token));
    }
    max_in_flight_ = std::max(max_in_flight_, held_.size() + done_.size());
    return true;
  }
  std::vector<dispatch::DispatchResult> Poll(std::chrono::milliseconds max_wait) override {
    std::unique_lock lock(mu_);
    ++polls_;
    cv_.wait_for(lock, max_wait, [&] { return !done_.empty() || woken_; });
    woken_ = false;
    std::vector<dispatch::DispatchResult> out;
    out.swap(done_);
    returned_ += out.size();
    return out;
  }
  void Wakeup() override {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }
  size_t in_flight() const override {
    std::lock_guard lock(mu_);
    return held_.size() + done_.size();
  }
  size_t capacity() const override { return capacity_; }

 private:
  static dispatch::DispatchResult Ok(uint64_t token) {
    dispatch::DispatchResult r;
    r.token = token;
    r.http_status = 200;
    return r;
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> hold_;
  bool hold_all_ = false;
  std::vector<std::pair<uint64_t, std::string>> held_;
  std::vector<dispatch::DispatchResult> done_;
  std::vector<std::string> submitted_;
  size_t returned_ = 0;
  size_t polls_ = 0;
  size_t max_in_flight_ = 0;
  bool woken_ = false;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

KafkaPtr NewClient(rd_kafka_type_t type, const std::map<std::string, std::string>& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << k << ": " << err;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  return KafkaPtr(rk);
}

std::string EnvelopeJson(const std::string& id) {
  return nlohmann::json{{"globalId", id},
                        {"from", "unit"},
                        {"createdAt", "2026-11-22T10:15:00Z"},
                        {"content", {{"version", "1.0"}, {"n", id}}}}
      .dump();
}

std::string Id(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", i);
  return buf;
}

struct DeadLetter {
  std::string key, value;
  std::map<std::string, std::string> headers;
};

// One mock cluster of two brokers per test. Broker 1 leads the channel's
// topic and coordinates the group; broker 2 leads only the dead-letter topic,
// so the test can take dead-lettering down without touching the rest.
class WorkerTest : public ::testing::Test {
 protected:
  static constexpr const char* kTopic = "herald.unit.in";
  static constexpr const char* kDlq = "herald.unit.in.dlq";
  static constexpr const char* kGroup = "herald.unit.group";

  void SetUp() override {
    log::SetLevel(log::Level::kWarn);
    mock_owner_ = NewClient(RD_KAFKA_PRODUCER, {});
    mock_ = rd_kafka_mock_cluster_new(mock_owner_.get(), 2);
    ASSERT_NE(mock_, nullptr);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(mock_);
    ASSERT_EQ(rd_kafka_mock_topic_create(mock_, kTopic, 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_topic_create(mock_, kDlq, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int p = 0; p < 2; ++p) ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock_, kTopic, p, 1), 0);
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock_, kDlq, 0, 2), 0);
    ASSERT_EQ(rd_kafka_mock_coordinator_set(mock_, "group", kGroup, 1), 0);
    producer_ = NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap_}, {"linger.ms", "0"}});
    offsets_ = NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_}, {"group.id", kGroup}});

    cfg_.channel_namespace = "unit";
    cfg_.channel_name = "worker";
    cfg_.kind = ChannelKind::kWebhook;  // the body is the envelope itself: no template needed
    cfg_.bootstrap_servers = bootstrap_;
    cfg_.topic = kTopic;
    cfg_.dead_letter_topic = kDlq;
    cfg_.group_id = kGroup;
    cfg_.events_topic = "";
    cfg_.drain_timeout = 500ms;
    secrets_.url = "http://127.0.0.1:9/never-called";
  }

  void TearDown() override {
    StopWorker();
    worker_.reset();
    offsets_.reset();
    producer_.reset();
    if (mock_) rd_kafka_mock_cluster_destroy(mock_);
    mock_owner_.reset();
  }

  // `hold`: globalIds the fake keeps in flight until released (set before the
  // worker starts so none slips through); hold_all: every request.
  void StartWorker(size_t concurrency, const std::vector<std::string>& hold = {}, bool hold_all = false) {
    cfg_.delivery.concurrency = static_cast<int>(concurrency);
    auto fake = std::make_unique<FakeDispatcher>(concurrency);
    fake_ = fake.get();
    for (const auto& id : hold) fake_->Hold(id);
    if (hold_all) fake_->HoldAll();
    metrics_ = std::make_unique<Metrics>(cfg_.ChannelId());
    auto w = Worker::Create(cfg_, secrets_, std::move(fake), metrics_.get());
    ASSERT_TRUE(w.ok()) << w.error();
    worker_ = std::move(*w);
    thread_ = std::thread([this] { run_status_ = worker_->Run(); });
  }

  // Stops the worker and waits for Run to return; false when it did not in time.
  bool StopWorker() {
    if (!thread_.joinable()) return true;
    worker_->Stop();
    thread_.join();
    return run_status_.ok();
  }

  void Produce(int32_t partition, const std::string& key, const std::string& value,
               const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(headers.size());
    for (const auto& [k, v] : headers) rd_kafka_header_add(h, k.data(), k.size(), v.data(), v.size());
    auto e = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_PARTITION(partition),
                               RD_KAFKA_V_KEY(key.data(), key.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(h),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(producer_.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void ProduceEnvelope(int32_t partition, int i) { Produce(partition, Id(i), EnvelopeJson(Id(i))); }

  // The group's committed offset for the partition: -1 when none.
  int64_t Committed(int32_t partition) {
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, kTopic, partition);
    int64_t out = -2;
    if (rd_kafka_committed(offsets_.get(), l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && l->elems[0].err == 0) {
      out = l->elems[0].offset < 0 ? -1 : l->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return out;
  }

  // Every record in the dead-letter topic (reads to the high watermark).
  std::vector<DeadLetter> ReadDeadLetters() {
    auto c = NewClient(
        RD_KAFKA_CONSUMER,
        {{"bootstrap.servers", bootstrap_}, {"group.id", "herald.unit.reader"}, {"enable.auto.commit", "false"}});
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(c.get(), kDlq, 0, &low, &high, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    std::vector<DeadLetter> out;
    if (high == 0) return out;
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, kDlq, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c.get(), l);
    rd_kafka_topic_partition_list_destroy(l);
    const auto deadline = Clock::now() + 10s;
    while (static_cast<int64_t>(out.size()) < high && Clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 100);
      if (m == nullptr) continue;
      if (m->err == 0) {
        DeadLetter d;
        if (m->key) d.key.assign(static_cast<const char*>(m->key), m->key_len);
        if (m->payload) d.value.assign(static_cast<const char*>(m->payload), m->len);
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          size_t i = 0;
          const char* name;
          const void* val;
          size_t size;
          while (rd_kafka_header_get_all(hdrs, i++, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            d.headers[name] = val ? std::string(static_cast<const char*>(val), size) : "";
          }
        }
        out.push_back(std::move(d));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c.get());
    return out;
  }

  double Gauge(const std::string& name) {
    for (const auto& f : metrics_->registry()->Collect()) {
      if (f.name == name && !f.metric.empty()) return f.metric[0].gauge.value;
    }
    return -1;
  }
  double CounterWith(const std::string& name, const std::string& label, const std::string& value) {
    for (const auto& f : metrics_->registry()->Collect()) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        for (const auto& l : m.label) {
          if (l.name == label && l.value == value) return m.counter.value;
        }
      }
    }
    return 0;
  }

  rd_kafka_mock_cluster_t* mock_ = nullptr;
  KafkaPtr mock_owner_, producer_, offsets_;
  std::string bootstrap_;
  config::SidecarConfig cfg_;
  Secrets secrets_;
  std::unique_ptr<Metrics> metrics_;
  FakeDispatcher* fake_ = nullptr;  // owned by worker_
  WorkerPtr worker_;
  std::thread thread_;
  Status run_status_ = OkStatus();
};

TEST_F(WorkerTest, CommitsOnlyTheContiguousFinishedPrefix) {
  for (int i = 0; i < 5; ++i) ProduceEnvelope(0, i);
  StartWorker(8, {Id(1), Id(100)});  // 100: a probe on partition 1, released below
  ProduceEnvelope(1, 100);

  // Offsets 0, 2, 3, 4 finish; 1 stays in flight.
  ASSERT_TRUE(Eventually([&] { return fake_->Submitted().size() == 6 && fake_->Returned() == 4; }, 30s))
      << fake_->Submitted().size() << " submitted, " << fake_->Returned() << " finished";
  ASSERT_TRUE(Eventually([&] { return Committed(0) == 1; })) << "committed " << Committed(0);
  // A commit cycle that runs after 2..4 finished (it carries partition 1's
  // probe) must still leave partition 0 behind the unfinished offset 1.
  fake_->Release(Id(100));
  ASSERT_TRUE(Eventually([&] { return Committed(1) == 1; }));
  EXPECT_EQ(Committed(0), 1) << "committed past offset 1, which has no outcome yet";

  fake_->Release(Id(1));
  EXPECT_TRUE(Eventually([&] { return Committed(0) == 5; })) << "committed " << Committed(0);
  EXPECT_EQ(fake_->Submitted().size(), 6u) << "every message dispatched exactly once";
  EXPECT_EQ(CounterWith("herald_deliveries_total", "outcome", "delivered"), 6);
}

TEST_F(WorkerTest, DeadLettersAnInvalidEnvelopeAndCommitsItOnlyOnceTheDeadLetterIsAcknowledged) {
  ProduceEnvelope(0, 0);
  Produce(0, "bad-key", "{not json", {{"traceparent", "00-keep-me"}});
  ProduceEnvelope(0, 2);
  // Dead letters cannot be acknowledged while their broker is down.
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock_, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
  StartWorker(8, {Id(100)});
  ProduceEnvelope(1, 100);

  ASSERT_TRUE(Eventually([&] { return fake_->Returned() == 2 && fake_->Held() == 1; }, 30s))
      << fake_->Returned() << " finished";
  ASSERT_TRUE(Eventually([&] { return Committed(0) == 1; })) << "committed " << Committed(0);
  fake_->Release(Id(100));
  ASSERT_TRUE(Eventually([&] { return Committed(1) == 1; }));
  EXPECT_EQ(Committed(0), 1) << "committed the invalid record before its dead letter was acknowledged";
  EXPECT_EQ(CounterWith("herald_dead_letters_total", "class", "invalid"), 0);

  const auto before = std::chrono::system_clock::now();
  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock_, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(Eventually([&] { return Committed(0) == 3; }, 60s)) << "committed " << Committed(0);
  EXPECT_EQ(CounterWith("herald_dead_letters_total", "class", "invalid"), 1);

  auto dead = ReadDeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  DeadLetter& d = dead[0];
  EXPECT_EQ(d.key, "bad-key");
  EXPECT_EQ(d.value, "{not json");
  EXPECT_EQ(d.headers["herald-error-class"], "invalid");
  EXPECT_NE(d.headers["herald-error"].find("JSON"), std::string::npos) << d.headers["herald-error"];
  EXPECT_EQ(d.headers["herald-attempts"], "0") << "never dispatched";
  EXPECT_EQ(d.headers["herald-origin"], std::string(kTopic) + "/0/1");
  EXPECT_EQ(d.headers["traceparent"], "00-keep-me") << "the record's own headers pass through";
  const std::string& at = d.headers["herald-failed-at"];
  ASSERT_TRUE(std::regex_match(at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)"))) << at;
  // Failed-at is when the dead letter was made, so it is recent (to the second).
  std::tm tm{};
  strptime(at.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  const auto failed_at = std::chrono::system_clock::from_time_t(timegm(&tm));
  EXPECT_LT(std::chrono::abs(failed_at - before), 120s) << at;
  for (const auto& id : fake_->Submitted()) EXPECT_NE(id, "bad-key") << "an invalid record is never dispatched";
}

TEST_F(WorkerTest, PausesFetchingWhenInFlightIsFull) {
  const int n = 100;
  for (int i = 0; i < n; ++i) ProduceEnvelope(0, i);
  StartWorker(2, {}, /*hold_all=*/true);
  // The bound: OffsetTracker holds at most concurrency * 4 unfinished messages.
  const double bound = 2 * 4;
  ASSERT_TRUE(Eventually([&] { return Gauge("herald_in_flight") >= bound; }, 30s)) << Gauge("herald_in_flight");
  // Fetching is paused: the worker takes nothing more while nothing finishes
  // (without the pause it would buffer all 100 within a loop turn or two),
  // neither in the soft pause nor after the switch to librdkafka's pause at
  // 1 s, which must not hand over the records prefetched before it.
  for (int i = 0; i < 100; ++i) {
    ASSERT_LE(Gauge("herald_in_flight"), bound);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(fake_->Submitted().size(), 2u);

  // Releasing lets everything through, each message exactly once, in order,
  // and fetching resumes and pauses again without ever passing the bound.
  fake_->ReleaseAll();
  EXPECT_TRUE(Eventually(
      [&] {
        EXPECT_LE(Gauge("herald_in_flight"), bound);
        return Committed(0) == n;
      },
      60s))
      << "committed " << Committed(0);
  auto submitted = fake_->Submitted();
  ASSERT_EQ(submitted.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(submitted[i], Id(i));
  EXPECT_LE(fake_->MaxInFlight(), 2u);
}

// A receiver that never answers must not stop the consumer group: the
// worker still serves rebalances, so a new replica gets its share of the
// partitions (without the switch to a real pause it would wait for
// max.poll.interval.ms, five minutes).
TEST_F(WorkerTest, ServesRebalancesWhileEveryDeliveryIsStuck) {
  for (int i = 0; i < 40; ++i) ProduceEnvelope(i % 2, i);
  // The mock coordinator holds a rebalance open for session.timeout.ms - 1s
  // (45 s by default) waiting for members; a short session keeps it quick.
  const std::string props = ::testing::TempDir() + "worker_rebalance.properties";
  std::ofstream(props) << "session.timeout.ms=6000\n";
  cfg_.kafka_properties_file = props;
  StartWorker(2, {}, /*hold_all=*/true);
  ASSERT_TRUE(Eventually([&] { return Gauge("herald_in_flight") >= 8; }, 30s)) << Gauge("herald_in_flight");

  auto newcomer = NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_},
                                                {"group.id", kGroup},
                                                {"partition.assignment.strategy", "cooperative-sticky"},
                                                {"session.timeout.ms", "6000"},
                                                {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(newcomer.get());
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, kTopic, RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(newcomer.get(), subs), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(subs);
  int assigned = 0;
  const auto deadline = Clock::now() + 40s;
  while (assigned == 0 && Clock::now() < deadline) {
    // The default rebalance callback assigns what the group hands over.
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(newcomer.get(), 100)) rd_kafka_message_destroy(m);
    rd_kafka_topic_partition_list_t* a = nullptr;
    if (rd_kafka_assignment(newcomer.get(), &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
      assigned = a->cnt;
      rd_kafka_topic_partition_list_destroy(a);
    }
  }
  EXPECT_EQ(assigned, 1) << "the stuck worker never gave up a partition";
  rd_kafka_consumer_close(newcomer.get());
  fake_->ReleaseAll();
}

// A dead letter the broker refuses is produced again (and its offset stays
// uncommitted until one is acknowledged), even while every dispatch slot is
// taken by a request that does not finish.
TEST_F(WorkerTest, RetriesADeadLetterTheBrokerRefused) {
  Produce(0, "bad-key", "{not json");
  ProduceEnvelope(1, 1);
  // The next three produce requests to the cluster fail for good (no
  // librdkafka-internal retry), so the dead letter's delivery report fails.
  rd_kafka_mock_push_request_errors(mock_, /*ApiKey Produce=*/0, 3, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  StartWorker(1, {Id(1)});  // the one slot stays busy
  ASSERT_TRUE(Eventually([&] { return Committed(0) == 1; }, 60s)) << "committed " << Committed(0);
  EXPECT_EQ(CounterWith("herald_dead_letters_total", "class", "invalid"), 1);
  auto dead = ReadDeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].key, "bad-key");
  EXPECT_EQ(fake_->Held(), 1u);
  fake_->Release(Id(1));
}

TEST(MetricsTest, ForgetLagRemovesTheSeriesOfARevokedPartition) {
  Metrics m("unit/metrics");
  m.Lag("t", 0, 3);
  m.Lag("t", 1, 5);
  m.ForgetLag("t", 1);
  m.ForgetLag("t", 7);  // never reported: nothing to remove, no crash
  std::set<std::string> partitions;
  for (const auto& f : m.registry()->Collect()) {
    if (f.name != "herald_consumer_lag") continue;
    for (const auto& metric : f.metric) {
      for (const auto& l : metric.label) {
        if (l.name == "partition") partitions.insert(l.value);
      }
    }
  }
  EXPECT_EQ(partitions, std::set<std::string>{"0"});
}

TEST_F(WorkerTest, GracefulShutdownCommitsFinishedWorkAndNotUnfinished) {
  for (int i = 0; i < 10; ++i) ProduceEnvelope(0, i);
  StartWorker(16, {Id(3)});
  ASSERT_TRUE(Eventually([&] { return fake_->Submitted().size() == 10 && fake_->Returned() == 9; }, 30s));
  const auto stop_started = Clock::now();
  ASSERT_TRUE(StopWorker()) << run_status_.error();
  EXPECT_LT(Clock::now() - stop_started, 5s) << "the drain timeout (500ms) bounds the shutdown";
  EXPECT_EQ(Committed(0), 3) << "finished 0..2 committed; 3 (unfinished) and what follows it not";
}

TEST_F(WorkerTest, GracefulShutdownFinishesInFlightWorkWithinTheDrainTimeout) {
  cfg_.drain_timeout = 20s;
  for (int i = 0; i < 10; ++i) ProduceEnvelope(0, i);
  StartWorker(16, {Id(3)});
  ASSERT_TRUE(Eventually([&] { return fake_->Submitted().size() == 10 && fake_->Returned() == 9; }, 30s));
  worker_->Stop();
  EXPECT_EQ(worker_->Readiness(), "shutting down") << "readiness fails at once";
  // The loop checks for Stop at the top of each turn and sleeps in Poll, so
  // the second Poll begun after Stop is in a turn that knows it is draining.
  const size_t polls = fake_->Polls();
  EXPECT_TRUE(Eventually([&] { return fake_->Polls() >= polls + 2; }, 5s)) << "the loop stopped without draining";
  fake_->Release(Id(3));  // finishes while draining
  thread_.join();
  EXPECT_TRUE(run_status_.ok()) << run_status_.error();
  EXPECT_EQ(Committed(0), 10);
}

}  // namespace
}  // namespace herald::sidecar
