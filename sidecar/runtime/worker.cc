#include "runtime/worker.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "herald/envelope.h"
#include "herald/kafka_properties.h"
#include "herald/log.h"
#include "sidecar/core/backoff.h"
#include "sidecar/core/dedupe.h"
#include "sidecar/core/lifecycle_event.h"
#include "sidecar/core/offset_tracker.h"
#include "sidecar/core/outcome.h"
#include "sidecar/core/random.h"
#include "sidecar/core/rate_limiter.h"
#include "sidecar/core/retry_plan.h"
#include "sidecar/core/retry_queue.h"

namespace herald::sidecar {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// How long a dead letter whose produce failed waits before the next try.
constexpr auto kDeadLetterRetry = 1s;
constexpr auto kCommitInterval = 1s;
// The loop sleeps at most this long, so liveness reflects a stuck loop.
constexpr auto kMaxWait = 200ms;
// How long the loop may leave the consumer queue unpolled (a soft pause)
// before it pauses the partitions in librdkafka instead; see UpdateFetching.
constexpr auto kHardPauseAfter = 1s;
// The prefetch a soft pause keeps (librdkafka's default is 64 MiB).
constexpr const char* kPrefetchKBytes = "4096";

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

// One message from consumption to its final outcome.
struct Message {
  TopicPartition tp;
  int64_t offset = 0;
  std::string key, value;
  std::vector<std::pair<std::string, std::string>> headers;  // passed through to dead letters
  std::string global_id;
  std::optional<dispatch::DispatchRequest> request;  // absent: dead-letter without dispatching
  int attempts = 0;
  MonoTime consumed_at;
  // Set once the message is to be dead-lettered.
  std::string dl_class, dl_reason;
  bool dl_in_progress = false;
};

std::string NowRfc3339() { return FormatRfc3339Utc(std::chrono::system_clock::now()); }

class KafkaWorker final : public Worker {
 public:
  KafkaWorker(const config::SidecarConfig& cfg, Secrets secrets, dispatch::DispatcherPtr dispatcher, Metrics* metrics)
      : cfg_(cfg),
        secrets_(std::move(secrets)),
        dispatcher_(std::move(dispatcher)),
        metrics_(metrics),
        tracker_(static_cast<size_t>(cfg.delivery.concurrency) * 4, 100000),
        dedupe_(cfg.delivery.dedupe_per_partition),
        kind_(cfg.kind),
        limiter_(RateLimiter::Unlimited()) {
    if (cfg.delivery.rate_per_second) {
      // The burst defaults to the rate, which may be under 1 (perSecond: 0.5);
      // a bucket of 0 tokens is refused by Make, and the limit would be lost.
      auto burst = std::max<int64_t>(1, static_cast<int64_t>(cfg.delivery.rate_burst));
      auto l = RateLimiter::Make(*cfg.delivery.rate_per_second, burst);
      if (l) {
        limiter_ = std::move(*l);
      } else {
        log::Error("delivery.rateLimit ignored", {{"channel", cfg.ChannelId()}, {"error", l.error()}});
      }
    }
    auto policy = MakeBackoffPolicy(cfg.delivery.backoff.initial, cfg.delivery.backoff.max,
                                    cfg.delivery.backoff.multiplier, cfg.delivery.max_attempts);
    if (policy) policy_ = *policy;
    last_loop_.store(MonoClock::now().time_since_epoch().count());
  }

  ~KafkaWorker() override {
    if (consumer_queue_) rd_kafka_queue_destroy(consumer_queue_);
  }

  Status Init() {
    kafka::KafkaProperties props;
    if (!cfg_.kafka_properties_file.empty()) {
      auto p = kafka::LoadKafkaProperties(cfg_.kafka_properties_file);
      if (!p) return Error{"kafka.propertiesFile: " + p.error()};
      props = *p;
    }
    char err[512];
    // Consumer: manual commits of offsets we choose; cooperative rebalancing
    // so a scale-up does not stop every replica's work.
    rd_kafka_conf_t* cc = rd_kafka_conf_new();
    std::map<std::string, std::string> cprops = props;
    cprops["bootstrap.servers"] = cfg_.bootstrap_servers;
    cprops["group.id"] = cfg_.group_id;
    cprops["enable.auto.commit"] = "false";
    cprops["enable.auto.offset.store"] = "false";
    cprops["auto.offset.reset"] = "earliest";
    cprops["partition.assignment.strategy"] = "cooperative-sticky";
    cprops["statistics.interval.ms"] = "5000";
    cprops["client.id"] = "herald-sidecar-" + cfg_.channel_name;
    // Bounds the memory a soft pause holds; an operator may tune it.
    cprops.emplace("queued.max.messages.kbytes", kPrefetchKBytes);
    for (const auto& [k, v] : cprops) {
      if (rd_kafka_conf_set(cc, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(cc);
        return Error{"kafka property " + k + ": " + err};
      }
    }
    rd_kafka_conf_set_opaque(cc, this);
    rd_kafka_conf_set_rebalance_cb(cc, &KafkaWorker::RebalanceCb);
    rd_kafka_conf_set_stats_cb(cc, &KafkaWorker::StatsCb);
    rd_kafka_conf_set_error_cb(cc, &KafkaWorker::ErrorCb);
    rd_kafka_conf_set_offset_commit_cb(cc, &KafkaWorker::CommitCb);
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    if (consumer == nullptr) return Error{std::string("kafka consumer: ") + err};
    consumer_.reset(consumer);
    rd_kafka_poll_set_consumer(consumer);
    consumer_queue_ = rd_kafka_queue_get_consumer(consumer);
    // Wake the loop when records or rebalance events arrive.
    rd_kafka_queue_cb_event_enable(consumer_queue_, &KafkaWorker::QueueNonEmpty, this);

    auto dl = NewProducer(props, /*reliable=*/true);
    if (!dl) return Error{dl.error()};
    dl_producer_ = std::move(*dl);
    if (!cfg_.events_topic.empty()) {
      auto ev = NewProducer(props, /*reliable=*/false);
      if (!ev) return Error{ev.error()};
      events_producer_ = std::move(*ev);
    }
    return OkStatus();
  }

  Status Run() override {
    rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, cfg_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_.get(), subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return Error{std::string("subscribe: ") + rd_kafka_err2str(e)};
    log::Info("consuming", {{"channel", cfg_.ChannelId()}, {"topic", cfg_.topic}, {"group", cfg_.group_id}});

    auto last_commit = MonoClock::now();
    MonoTime drain_deadline{};
    while (true) {
      auto now = MonoClock::now();
      last_loop_.store(now.time_since_epoch().count());
      if (stopping_.load() && !draining_) {
        draining_ = true;
        drain_deadline = now + cfg_.drain_timeout;
        PauseAll();
        log::Info("draining", {{"channel", cfg_.ChannelId()}, {"inFlight", messages_.size()}});
      }
      if (draining_ && (messages_.empty() || now >= drain_deadline)) break;

      ConsumeAvailable();
      DispatchDue(now);
      WaitAndHarvest(now);
      rd_kafka_poll(dl_producer_.get(), 0);  // dead-letter delivery reports
      if (events_producer_) rd_kafka_poll(events_producer_.get(), 0);
      if (MonoClock::now() - last_commit >= kCommitInterval) {
        Commit(CommitMode::kAsync);
        last_commit = MonoClock::now();
      }
      metrics_->InFlight(static_cast<double>(messages_.size()));
    }
    return Shutdown();
  }

  void Stop() override {
    stopping_.store(true);
    dispatcher_->Wakeup();
  }

  std::string Liveness() const override {
    auto last = MonoTime(MonoClock::duration(last_loop_.load()));
    if (MonoClock::now() - last > 30s) return "the event loop has not turned for 30s";
    return "";
  }

  std::string Readiness() const override {
    if (stopping_.load()) return "shutting down";
    if (!joined_.load()) return "not in the consumer group yet";
    return Liveness();
  }

 private:
  Result<KafkaPtr> NewProducer(const kafka::KafkaProperties& props, bool reliable) {
    char err[512];
    rd_kafka_conf_t* pc = rd_kafka_conf_new();
    std::map<std::string, std::string> pp;
    // Only connection and security settings carry over to producers.
    for (const auto& [k, v] : props) {
      if (k.rfind("security.", 0) == 0 || k.rfind("ssl.", 0) == 0 || k.rfind("sasl.", 0) == 0 ||
          k == "client.dns.lookup" || k == "broker.address.family") {
        pp[k] = v;
      }
    }
    pp["bootstrap.servers"] = cfg_.bootstrap_servers;
    if (reliable) {
      pp["acks"] = "all";
      pp["enable.idempotence"] = "true";
      pp["linger.ms"] = "5";
    } else {
      // Lifecycle events are best effort: bounded memory, never blocking delivery.
      pp["acks"] = "1";
      pp["linger.ms"] = "50";
      pp["queue.buffering.max.messages"] = "100000";
      pp["message.timeout.ms"] = "30000";
    }
    for (const auto& [k, v] : pp) {
      if (rd_kafka_conf_set(pc, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(pc);
        return Error{"kafka property " + k + ": " + err};
      }
    }
    rd_kafka_conf_set_opaque(pc, this);
    rd_kafka_conf_set_dr_msg_cb(pc, reliable ? &KafkaWorker::DeadLetterReport : &KafkaWorker::EventReport);
    rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    if (p == nullptr) return Error{std::string("kafka producer: ") + err};
    if (reliable) {
      rd_kafka_queue_t* q = rd_kafka_queue_get_main(p);
      rd_kafka_queue_cb_event_enable(q, &KafkaWorker::QueueNonEmpty, this);
      rd_kafka_queue_destroy(q);
    }
    return KafkaPtr(p);
  }

  // --- consuming

  void ConsumeAvailable() {
    if (draining_) return;
    UpdateFetching();
    // Hard-paused, the queue still carries rebalances, statistics and errors
    // (and drops the paused partitions' prefetched records by itself).
    while (fetching_ != Fetching::kSoftPaused && !draining_) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 0);
      if (m == nullptr) break;
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          log::Warn("consumer error", {{"channel", cfg_.ChannelId()}, {"error", rd_kafka_message_errstr(m)}});
        }
        rd_kafka_message_destroy(m);
        continue;
      }
      Accept(m);
      rd_kafka_message_destroy(m);
      UpdateFetching();
    }
  }

  // Back-pressure when the tracker says enough work is unfinished. First the
  // loop just stops polling the consumer queue (soft pause): librdkafka keeps
  // its prefetched records, so work goes on the moment a slot frees.
  // rd_kafka_pause_partitions would throw that prefetch away and refetch on
  // resume, a fetch round trip each time in-flight dips under the threshold
  // (bench/sidecar-throughput: 295 msg/s with it, ~15,000 without). But
  // rebalances, statistics and errors are served from the same queue, so a
  // soft pause that lasts (a stuck receiver, a throttled channel) would
  // starve them: after kHardPauseAfter the partitions are paused for real
  // and the queue is polled again.
  void UpdateFetching() {
    const bool full = tracker_.ShouldPauseFetching(fetching_ != Fetching::kOn);
    if (!full) {
      if (fetching_ == Fetching::kHardPaused) SetAssignedPaused(false);
      fetching_ = Fetching::kOn;
      return;
    }
    const auto now = MonoClock::now();
    if (fetching_ == Fetching::kOn) {
      fetching_ = Fetching::kSoftPaused;
      soft_paused_since_ = now;
    } else if (fetching_ == Fetching::kSoftPaused && now - soft_paused_since_ >= kHardPauseAfter) {
      SetAssignedPaused(true);
      fetching_ = Fetching::kHardPaused;
    }
  }

  void SetAssignedPaused(bool pause) {
    rd_kafka_topic_partition_list_t* parts = nullptr;
    if (rd_kafka_assignment(consumer_.get(), &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr) return;
    if (pause) {
      rd_kafka_pause_partitions(consumer_.get(), parts);
    } else {
      rd_kafka_resume_partitions(consumer_.get(), parts);
    }
    rd_kafka_topic_partition_list_destroy(parts);
  }

  void PauseAll() {
    SetAssignedPaused(true);
    fetching_ = Fetching::kHardPaused;
  }

  void Accept(rd_kafka_message_t* m) {
    Message msg;
    msg.tp = {rd_kafka_topic_name(m->rkt), m->partition};
    msg.offset = m->offset;
    if (m->key) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) msg.value.assign(static_cast<const char*>(m->payload), m->len);
    msg.consumed_at = MonoClock::now();
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
      size_t i = 0;
      const char* name;
      const void* val;
      size_t size;
      while (rd_kafka_header_get_all(hdrs, i++, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        msg.headers.emplace_back(name, val ? std::string(static_cast<const char*>(val), size) : std::string());
      }
    }
    if (auto st = tracker_.Track(msg.tp, msg.offset); !st.ok()) {
      log::Warn("offset not tracked", {{"channel", cfg_.ChannelId()}, {"error", st.error()}});
      return;
    }
    uint64_t token = ++next_token_;

    EnvelopeLimits limits;
    limits.max_bytes = cfg_.delivery.max_message_bytes;
    auto env = ParseEnvelope(msg.value, limits);
    if (!env) {
      msg.global_id = msg.key;
      messages_.emplace(token, std::move(msg));
      DeadLetter(token, "invalid", env.error());
      return;
    }
    msg.global_id = env->global_id;
    if (dedupe_.Contains(msg.tp, msg.global_id)) {
      // Already delivered by this process (a redelivery after a failed commit).
      tracker_.MarkDone(msg.tp, msg.offset).ok();
      metrics_->Outcome("duplicate");
      log::Debug("duplicate suppressed", {{"channel", cfg_.ChannelId()}, {"globalId", msg.global_id}});
      return;
    }
    auto req = Prepare(cfg_, secrets_, *env, std::chrono::system_clock::now());
    if (!req) {
      messages_.emplace(token, std::move(msg));
      DeadLetter(token, "invalid", req.error());
      return;
    }
    req->token = token;
    msg.request = std::move(*req);
    messages_.emplace(token, std::move(msg));
    ready_.Push(MonoClock::now(), token);
  }

  // --- dispatching

  void DispatchDue(MonoTime now) {
    for (uint64_t token : dead_letter_retries_.PopDue(now)) ProduceDeadLetter(token);
    if (throttle_.Paused(now)) return;
    while (dispatcher_->in_flight() < dispatcher_->capacity()) {
      auto due = ready_.PopDue(now, 1);
      if (due.empty()) break;
      uint64_t token = due.front();
      auto it = messages_.find(token);
      if (it == messages_.end() || !it->second.request) continue;  // revoked meanwhile
      if (!limiter_.TryAcquire(now)) {
        metrics_->RateLimitedWait();
        ready_.Push(limiter_.NextAvailable(now), token);
        break;
      }
      dispatch::DispatchRequest copy = *it->second.request;  // kept for retries
      if (!dispatcher_->Submit(std::move(copy))) {
        ready_.Push(now, token);
        break;
      }
      it->second.attempts++;
    }
  }

  void WaitAndHarvest(MonoTime now) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxWait);
    auto wait_until = [&](MonoTime until) {
      auto d = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
      if (d < wait) wait = std::max(d, 0ms);
    };
    // A due message only matters when a dispatch slot is free; with every
    // slot busy the loop waits for a request to finish (Poll wakes on it)
    // instead of spinning on a due time that cannot be served.
    if (dispatcher_->in_flight() < dispatcher_->capacity()) {
      if (auto next = ready_.NextDue()) wait_until(std::max(*next, throttle_.NotBefore(now)));
    }
    if (auto next = dead_letter_retries_.NextDue()) wait_until(*next);
    if (rd_kafka_queue_length(consumer_queue_) > 0 && fetching_ != Fetching::kSoftPaused && !draining_) wait = 0ms;
    for (auto& r : dispatcher_->Poll(wait)) Finish(r);
  }

  void Finish(const dispatch::DispatchResult& r) {
    auto it = messages_.find(r.token);
    if (it == messages_.end()) return;  // partition revoked while in flight
    Message& msg = it->second;
    auto now = MonoClock::now();
    Outcome out;
    if (std::holds_alternative<dispatch::SmtpSend>(msg.request->payload)) {
      out = ClassifySmtp(SmtpReply{r.transport, r.transport_detail, r.smtp_code, r.smtp_text});
    } else {
      HttpReply reply{r.transport, r.transport_detail, r.http_status, r.body, std::nullopt};
      if (r.retry_after) reply.retry_after = *r.retry_after;
      out = ClassifyHttp(kind_, reply, std::chrono::system_clock::now());
    }
    switch (out.verdict) {
      case Verdict::kDelivered: {
        metrics_->Attempt("delivered");
        double latency = std::chrono::duration<double>(now - msg.consumed_at).count();
        metrics_->Latency(latency);
        metrics_->Outcome("delivered");
        dedupe_.Remember(msg.tp, msg.global_id);
        Event(msg, "delivered", "", latency);
        if (log::Enabled(log::Level::kDebug)) {
          log::Debug("delivered",
                     {{"channel", cfg_.ChannelId()}, {"globalId", msg.global_id}, {"attempt", msg.attempts}});
        }
        Done(r.token);
        return;
      }
      case Verdict::kPermanent:
        metrics_->Attempt("permanent");
        log::Warn("delivery refused",
                  {{"channel", cfg_.ChannelId()}, {"globalId", msg.global_id}, {"reason", out.reason}});
        DeadLetter(r.token, "permanent", out.reason);
        return;
      case Verdict::kRetryable: {
        metrics_->Attempt("retryable");
        if (out.throttle_channel) metrics_->Throttled();
        RetryPlan plan = PlanRetry(policy_, out, msg.attempts, now, random_, throttle_);
        if (plan.exhausted) {
          DeadLetter(r.token, "exhausted",
                     "gave up after " + std::to_string(msg.attempts) + " attempts: " + out.reason);
          return;
        }
        metrics_->Retry();
        Event(msg, "retrying", out.reason, 0);
        log::Info("retrying", {{"channel", cfg_.ChannelId()},
                               {"globalId", msg.global_id},
                               {"attempt", msg.attempts},
                               {"reason", out.reason}});
        ready_.Push(plan.not_before, r.token);
        return;
      }
    }
  }

  // --- outcomes

  void Done(uint64_t token) {
    auto it = messages_.find(token);
    if (it == messages_.end()) return;
    (void)tracker_.MarkDone(it->second.tp, it->second.offset);
    messages_.erase(it);
  }

  void DeadLetter(uint64_t token, const std::string& error_class, const std::string& reason) {
    auto it = messages_.find(token);
    if (it == messages_.end()) return;
    Message& msg = it->second;
    msg.dl_class = error_class;
    msg.dl_reason = reason;
    msg.request.reset();  // never dispatched again
    if (!cfg_.delivery.dead_letter) {
      log::Error(
          "dropped: dead-lettering is disabled for this channel",
          {{"channel", cfg_.ChannelId()}, {"globalId", msg.global_id}, {"class", error_class}, {"reason", reason}});
      metrics_->Outcome("dropped");
      Done(token);
      return;
    }
    ProduceDeadLetter(token);
  }

  void ProduceDeadLetter(uint64_t token) {
    auto it = messages_.find(token);
    if (it == messages_.end()) return;
    Message& msg = it->second;
    rd_kafka_headers_t* h = rd_kafka_headers_new(msg.headers.size() + 5);
    for (const auto& [k, v] : msg.headers) rd_kafka_header_add(h, k.data(), k.size(), v.data(), v.size());
    auto add = [&](const char* k, const std::string& v) { rd_kafka_header_add(h, k, -1, v.data(), v.size()); };
    add("herald-error-class", msg.dl_class);
    add("herald-error", msg.dl_reason);
    add("herald-attempts", std::to_string(msg.attempts));
    add("herald-origin", msg.tp.topic + "/" + std::to_string(msg.tp.partition) + "/" + std::to_string(msg.offset));
    add("herald-failed-at", NowRfc3339());
    rd_kafka_resp_err_t e = rd_kafka_producev(dl_producer_.get(), RD_KAFKA_V_TOPIC(cfg_.dead_letter_topic.c_str()),
                                              RD_KAFKA_V_KEY(msg.key.data(), msg.key.size()),
                                              RD_KAFKA_V_VALUE(const_cast<char*>(msg.value.data()), msg.value.size()),
                                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                              RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(token)), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(h);  // not taken over on failure
      log::Warn("dead letter not queued; will retry",
                {{"channel", cfg_.ChannelId()}, {"globalId", msg.global_id}, {"error", rd_kafka_err2str(e)}});
      RetryDeadLetterLater(token);
      return;
    }
    msg.dl_in_progress = true;
  }

  void RetryDeadLetterLater(uint64_t token) { dead_letter_retries_.Push(MonoClock::now() + kDeadLetterRetry, token); }

  static void DeadLetterReport(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaWorker*>(opaque);
    uint64_t token = reinterpret_cast<uint64_t>(m->_private);
    auto it = self->messages_.find(token);
    if (it == self->messages_.end()) return;
    Message& msg = it->second;
    msg.dl_in_progress = false;
    if (m->err) {
      log::Warn(
          "dead letter not acknowledged; will retry",
          {{"channel", self->cfg_.ChannelId()}, {"globalId", msg.global_id}, {"error", rd_kafka_err2str(m->err)}});
      self->RetryDeadLetterLater(token);
      return;
    }
    self->metrics_->DeadLetter(msg.dl_class);
    self->metrics_->Outcome("dead_lettered");
    log::Warn("dead-lettered", {{"channel", self->cfg_.ChannelId()},
                                {"globalId", msg.global_id},
                                {"class", msg.dl_class},
                                {"reason", msg.dl_reason}});
    self->Event(msg, "dead-lettered", msg.dl_reason, 0);
    self->Done(token);
  }

  void Event(const Message& msg, const std::string& what, const std::string& reason, double latency) {
    if (!events_producer_) return;
    LifecycleEvent ev{msg.global_id, cfg_.ChannelId(), what, msg.attempts, NowRfc3339(), std::nullopt, reason};
    if (latency > 0) ev.latency_ms = latency * 1000;
    std::string body = LifecycleEventJson(ev);
    rd_kafka_resp_err_t e = rd_kafka_producev(events_producer_.get(), RD_KAFKA_V_TOPIC(cfg_.events_topic.c_str()),
                                              RD_KAFKA_V_KEY(msg.global_id.data(), msg.global_id.size()),
                                              RD_KAFKA_V_VALUE(body.data(), body.size()),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) metrics_->EventDropped();
  }

  static void EventReport(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err) static_cast<KafkaWorker*>(opaque)->metrics_->EventDropped();
  }

  // --- committing and rebalancing

  // The periodic commit is asynchronous: a blocking one stalls the loop
  // (and every delivery behind it) for a broker round trip once a second.
  // The tracker records an offset as committed only when the broker says so
  // (CommitCb), and until then the next tick sends it again. Revoke and
  // shutdown commit synchronously: the partition's next owner starts there.
  enum class CommitMode { kAsync, kSync };
  void Commit(CommitMode mode) {
    auto due = tracker_.CommitsDue();
    if (due.empty()) return;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(due.size()));
    for (const auto& c : due)
      rd_kafka_topic_partition_list_add(list, c.tp.topic.c_str(), c.tp.partition)->offset = c.offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(consumer_.get(), list, mode == CommitMode::kAsync ? 1 : 0);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Warn("commit failed; will retry", {{"channel", cfg_.ChannelId()}, {"error", rd_kafka_err2str(e)}});
      return;
    }
    if (mode == CommitMode::kSync) {
      for (const auto& c : due) tracker_.MarkCommitted(c.tp, c.offset);
    }
  }

  static void CommitCb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    auto* self = static_cast<KafkaWorker*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing was due
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Warn("commit failed; will retry", {{"channel", self->cfg_.ChannelId()}, {"error", rd_kafka_err2str(err)}});
    }
    if (offsets == nullptr) return;
    for (int i = 0; i < offsets->cnt; ++i) {
      const auto& p = offsets->elems[i];
      if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) {
        self->tracker_.MarkCommitted({p.topic, p.partition}, p.offset);
      }
    }
  }

  void OnAssign(rd_kafka_topic_partition_list_t* parts) {
    for (int i = 0; i < parts->cnt; ++i) {
      (void)tracker_.Assign({parts->elems[i].topic, parts->elems[i].partition});
    }
    rd_kafka_error_t* err = rd_kafka_incremental_assign(consumer_.get(), parts);
    if (err) {
      log::Error("incremental assign failed", {{"error", rd_kafka_error_string(err)}});
      rd_kafka_error_destroy(err);
    }
    if (fetching_ == Fetching::kHardPaused || draining_) rd_kafka_pause_partitions(consumer_.get(), parts);
    joined_ = true;
    log::Info("partitions assigned", {{"channel", cfg_.ChannelId()}, {"count", parts->cnt}});
  }

  void OnRevoke(rd_kafka_topic_partition_list_t* parts) {
    // Commit what is finished on these partitions, then forget their
    // unfinished messages: the partitions' next owner redelivers them.
    Commit(CommitMode::kSync);
    for (int i = 0; i < parts->cnt; ++i) {
      TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
      for (auto it = messages_.begin(); it != messages_.end();) {
        it = it->second.tp == tp ? messages_.erase(it) : std::next(it);
      }
      (void)tracker_.Revoke(tp);
      dedupe_.Forget(tp);
      metrics_->ForgetLag(tp.topic, tp.partition);  // its next owner reports it
    }
    rd_kafka_error_t* err = rd_kafka_incremental_unassign(consumer_.get(), parts);
    if (err) rd_kafka_error_destroy(err);
    log::Info("partitions revoked", {{"channel", cfg_.ChannelId()}, {"count", parts->cnt}});
  }

  static void RebalanceCb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<KafkaWorker*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->OnAssign(parts);
    } else {
      self->OnRevoke(parts);
    }
  }

  static int StatsCb(rd_kafka_t*, char* text, size_t len, void* opaque) {
    auto* self = static_cast<KafkaWorker*>(opaque);
    auto stats = json::parse(std::string_view(text, len), nullptr, false);
    if (stats.is_discarded() || !stats.contains("topics")) return 0;
    for (const auto& [topic, t] : stats["topics"].items()) {
      if (!t.contains("partitions")) continue;
      for (const auto& [pid, p] : t["partitions"].items()) {
        int partition = std::stoi(pid);
        if (partition < 0) continue;  // the internal UA partition
        int64_t lag = p.value("consumer_lag", int64_t{-1});
        if (lag >= 0) self->metrics_->Lag(topic, partition, static_cast<double>(lag));
      }
    }
    return 0;  // librdkafka frees the text
  }

  static void ErrorCb(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaWorker*>(opaque);
    log::Warn("kafka", {{"channel", self->cfg_.ChannelId()},
                        {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                        {"reason", reason}});
  }

  static void QueueNonEmpty(rd_kafka_t*, void* opaque) { static_cast<KafkaWorker*>(opaque)->dispatcher_->Wakeup(); }

  Status Shutdown() {
    size_t unfinished = messages_.size();
    Commit(CommitMode::kSync);
    // Leaving the group revokes our partitions (committing again) so the
    // others take them over at once instead of after the session timeout.
    rd_kafka_resp_err_t e = rd_kafka_consumer_close(consumer_.get());
    rd_kafka_flush(dl_producer_.get(), 10000);
    if (events_producer_) rd_kafka_flush(events_producer_.get(), 2000);
    log::Info("stopped", {{"channel", cfg_.ChannelId()},
                          {"unfinished", unfinished},
                          {"note", "unfinished messages were not committed and will be redelivered"}});
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return Error{std::string("leaving the group: ") + rd_kafka_err2str(e)};
    return OkStatus();
  }

  const config::SidecarConfig cfg_;
  const Secrets secrets_;
  dispatch::DispatcherPtr dispatcher_;
  Metrics* metrics_;
  KafkaPtr consumer_;
  rd_kafka_queue_t* consumer_queue_ = nullptr;
  KafkaPtr dl_producer_;
  KafkaPtr events_producer_;

  OffsetTracker tracker_;
  DedupeCache dedupe_;
  sidecar::ChannelKind kind_;
  RateLimiter limiter_;
  BackoffPolicy policy_;
  SeededRandom random_;
  ChannelThrottle throttle_;
  RetryQueue<uint64_t> ready_;
  // Dead letters whose produce failed; they need no dispatch slot.
  RetryQueue<uint64_t> dead_letter_retries_;
  std::unordered_map<uint64_t, Message> messages_;
  uint64_t next_token_ = 0;
  enum class Fetching { kOn, kSoftPaused, kHardPaused };
  Fetching fetching_ = Fetching::kOn;
  MonoTime soft_paused_since_{};
  bool draining_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> joined_{false};
  std::atomic<MonoClock::rep> last_loop_{0};
};

}  // namespace

Result<std::unique_ptr<Worker>> Worker::Create(const config::SidecarConfig& cfg, Secrets secrets,
                                               dispatch::DispatcherPtr dispatcher, Metrics* metrics) {
  auto w = std::make_unique<KafkaWorker>(cfg, std::move(secrets), std::move(dispatcher), metrics);
  if (auto st = w->Init(); !st.ok()) return Error{st.error()};
  return std::unique_ptr<Worker>(std::move(w));
}

}  // namespace herald::sidecar
