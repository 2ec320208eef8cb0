#include "controller/manager.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "controller/reconciler.h"
#include "controller/resources.h"
#include "herald/log.h"
#include "operator/core/conditions.h"
#include "operator/kafka/batching_topic_admin.h"
#include "runtime/informer.h"
#include "runtime/stop.h"
#include "runtime/workqueue.h"

namespace herald::controller {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<double> kTimeBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// controller-runtime's workqueue metric names, so existing dashboards work.
class QueueMetrics final : public runtime::WorkQueueObserver {
 public:
  QueueMetrics(prometheus::Registry& r, const std::string& name)
      : depth_(prometheus::BuildGauge()
                   .Name("workqueue_depth")
                   .Help("Current depth of workqueue")
                   .Register(r)
                   .Add({{"name", name}})),
        adds_(prometheus::BuildCounter()
                  .Name("workqueue_adds_total")
                  .Help("Total number of adds handled by workqueue")
                  .Register(r)
                  .Add({{"name", name}})),
        retries_(prometheus::BuildCounter()
                     .Name("workqueue_retries_total")
                     .Help("Total number of retries handled by workqueue")
                     .Register(r)
                     .Add({{"name", name}})),
        latency_(prometheus::BuildHistogram()
                     .Name("workqueue_queue_duration_seconds")
                     .Help("How long in seconds an item stays in workqueue before being requested")
                     .Register(r)
                     .Add({{"name", name}}, kTimeBuckets)),
        work_(prometheus::BuildHistogram()
                  .Name("workqueue_work_duration_seconds")
                  .Help("How long in seconds processing an item from workqueue takes")
                  .Register(r)
                  .Add({{"name", name}}, kTimeBuckets)) {}
  void OnAdd() override { adds_.Increment(); }
  void OnDepth(size_t d) override { depth_.Set(static_cast<double>(d)); }
  void OnRetry() override { retries_.Increment(); }
  void OnQueueLatency(std::chrono::duration<double> d) override { latency_.Observe(d.count()); }
  void OnWorkDuration(std::chrono::duration<double> d) override { work_.Observe(d.count()); }

 private:
  prometheus::Gauge& depth_;
  prometheus::Counter& adds_;
  prometheus::Counter& retries_;
  prometheus::Histogram& latency_;
  prometheus::Histogram& work_;
};

struct ReconcileMetrics {
  ReconcileMetrics(prometheus::Registry& r, const std::string& controller)
      : total_(prometheus::BuildCounter()
                   .Name("controller_runtime_reconcile_total")
                   .Help("Total number of reconciliations per controller")
                   .Register(r)),
        errors_(prometheus::BuildCounter()
                    .Name("controller_runtime_reconcile_errors_total")
                    .Help("Total number of reconciliation errors per controller")
                    .Register(r)
                    .Add({{"controller", controller}})),
        time_(prometheus::BuildHistogram()
                  .Name("controller_runtime_reconcile_time_seconds")
                  .Help("Length of time per reconciliation per controller")
                  .Register(r)
                  .Add({{"controller", controller}}, kTimeBuckets)),
        controller_(controller) {}
  void Observe(const ReconcileResult& r, std::chrono::duration<double> took) {
    std::string result = !r.ok ? "error" : r.requeue_after.count() > 0 ? "requeue_after" : "success";
    total_.Add({{"controller", controller_}, {"result", result}}).Increment();
    if (!r.ok) errors_.Increment();
    time_.Observe(took.count());
  }
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Counter& errors_;
  prometheus::Histogram& time_;
  std::string controller_;
};

// The channels' status conditions as a gauge, so an alert can name a channel
// whose workers are not ready: Prometheus cannot read the API server, and a
// worker pod that never starts exports nothing. Refreshed from the informer
// cache, leader only (a standby's copy would be stale), series removed with
// their channel.
class ChannelConditionMetrics {
 public:
  explicit ChannelConditionMetrics(prometheus::Registry& r)
      : family_(prometheus::BuildGauge()
                    .Name("herald_channel_condition")
                    .Help("1 when the NotificationChannel condition is True, else 0 (channel=namespace/name)")
                    .Register(r)) {}

  void Update(const runtime::Store& channels) {
    std::map<std::pair<std::string, std::string>, double> want;
    channels.ForEach([&](const json& c) {
      const std::string key = runtime::ObjectKey(c);
      // Every type is present from the start: a channel the operator has not
      // reported on yet is not ready.
      for (auto t : {op::kTypeReady, op::kTypeTopicReady, op::kTypeWorkersReady, op::kTypeTemplateReady}) {
        want[{key, std::string(t)}] = 0;
      }
      // By reference: json::value() copies, and this runs every 5 s over
      // every channel.
      auto status = c.find("status");
      if (status == c.end() || !status->is_object()) return;
      auto conditions = status->find("conditions");
      if (conditions == status->end() || !conditions->is_array()) return;
      for (const auto& cond : *conditions) {
        if (!cond.is_object()) continue;
        auto it = want.find({key, cond.value("type", "")});
        if (it != want.end()) it->second = cond.value("status", "") == op::kConditionTrue ? 1 : 0;
      }
    });
    Set(want);
  }
  void Clear() { Set({}); }

 private:
  void Set(const std::map<std::pair<std::string, std::string>, double>& want) {
    for (auto it = series_.begin(); it != series_.end();) {
      if (want.count(it->first)) {
        ++it;
      } else {
        family_.Remove(it->second);
        it = series_.erase(it);
      }
    }
    for (const auto& [k, v] : want) {
      auto it = series_.find(k);
      if (it == series_.end()) {
        it = series_.emplace(k, &family_.Add({{"channel", k.first}, {"condition", k.second}})).first;
      }
      it->second->Set(v);
    }
  }

  prometheus::Family<prometheus::Gauge>& family_;
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> series_;
};

// Kafka admin traffic before and after batching: calls are what reconciles
// asked for, requests what went to Kafka (their ratio is the batching gain).
class AdminMetrics final : public kafka::AdminObserver {
 public:
  explicit AdminMetrics(prometheus::Registry& r)
      : calls_(prometheus::BuildCounter()
                   .Name("herald_operator_kafka_admin_calls_total")
                   .Help("Kafka admin calls made by reconciles, before batching, per operation")
                   .Register(r)),
        requests_(prometheus::BuildCounter()
                      .Name("herald_operator_kafka_admin_requests_total")
                      .Help("Kafka admin requests sent to the cluster, after batching, per operation")
                      .Register(r)),
        topics_(prometheus::BuildCounter()
                    .Name("herald_operator_kafka_admin_request_topics_total")
                    .Help("Topics named in Kafka admin requests sent to the cluster, per operation")
                    .Register(r)),
        durations_(prometheus::BuildHistogram()
                       .Name("herald_operator_kafka_admin_request_duration_seconds")
                       .Help("Time Kafka took to answer an admin request (after batching), per operation")
                       .Register(r)) {}
  void OnCall(std::string_view operation, size_t) override { Counter(calls_, operation).Increment(); }
  void OnRequest(std::string_view operation, size_t topics, size_t) override {
    Counter(requests_, operation).Increment();
    Counter(topics_, operation).Increment(static_cast<double>(topics));
  }
  void OnResponse(std::string_view operation, std::chrono::duration<double> took) override {
    durations_.Add({{"operation", std::string(operation)}}, kTimeBuckets).Observe(took.count());
  }

 private:
  // Family::Add is thread-safe and returns the existing series for known labels.
  static prometheus::Counter& Counter(prometheus::Family<prometheus::Counter>& f, std::string_view operation) {
    return f.Add({{"operation", std::string(operation)}});
  }
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& topics_;
  prometheus::Family<prometheus::Histogram>& durations_;
};

// The operator's Kubernetes requests by verb and resource, with their
// duration: how a reconcile's time splits between the API server and Kafka,
// and how many requests a channel costs. Watches are passed through (they
// last minutes by design).
class ObservedClient final : public kube::Client {
 public:
  ObservedClient(kube::Client& inner, prometheus::Registry& r)
      : inner_(inner),
        durations_(prometheus::BuildHistogram()
                       .Name("herald_operator_kube_request_duration_seconds")
                       .Help("Time the Kubernetes API server took to answer, per verb and resource")
                       .Register(r)) {}

  Result<kube::Response> Send(const std::string& method, const std::string& path_and_query, const std::string& body,
                              const std::string& content_type) override {
    auto start = std::chrono::steady_clock::now();
    auto r = inner_.Send(method, path_and_query, body, content_type);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    durations_.Add({{"verb", method}, {"resource", ResourceOf(path_and_query)}}, kTimeBuckets).Observe(took.count());
    return r;
  }
  Status Watch(const std::string& path_and_query, const std::function<bool(const kube::WatchEvent&)>& on_event,
               std::stop_token stop) override {
    return inner_.Watch(path_and_query, on_event, stop);
  }

  // "deployments", "notificationchannels/status", ...: the plural after
  // /namespaces/<ns>/ (or after the version), plus a subresource.
  static std::string ResourceOf(const std::string& path_and_query) {
    std::vector<std::string_view> parts;
    std::string_view p(path_and_query);
    p = p.substr(0, p.find('?'));
    for (size_t at = 0; at < p.size();) {
      size_t next = p.find('/', at);
      if (next == std::string_view::npos) next = p.size();
      if (next > at) parts.push_back(p.substr(at, next - at));
      at = next + 1;
    }
    // api/v1/... or apis/group/version/...
    size_t i = !parts.empty() && parts[0] == "api" ? 2 : 3;
    if (i + 1 < parts.size() && parts[i] == "namespaces") i += 2;
    if (i >= parts.size()) return "other";
    std::string out(parts[i]);
    if (i + 2 < parts.size()) out += "/" + std::string(parts[i + 2]);
    return out;
  }

 private:
  kube::Client& inner_;
  prometheus::Family<prometheus::Histogram>& durations_;
};

std::string Collection(const kube::Resource& r, const std::string& ns) { return kube::ResourcePath(r, ns); }

}  // namespace

struct Manager::Impl {
  Impl(kube::Client& c, kafka::TopicAdmin& t, ManagerOptions o, std::shared_ptr<prometheus::Registry> r)
      : observed_client(c, *r),
        client(observed_client),
        admin_metrics(*r),
        batching(t, kafka::BatchingOptions{.window = o.kafka_batch_window,
                                           .max_topics = o.kafka_batch_max_topics,
                                           .observer = &admin_metrics}),
        topics(batching),
        options(std::move(o)),
        registry(std::move(r)),
        channel_queue_metrics(*registry, "notificationchannel"),
        template_queue_metrics(*registry, "template"),
        channel_metrics(*registry, "notificationchannel"),
        template_metrics(*registry, "template"),
        condition_metrics(*registry),
        leader_gauge(prometheus::BuildGauge()
                         .Name("herald_operator_leader")
                         .Help("1 while this replica holds the leader Lease")
                         .Register(*registry)
                         .Add({})),
        events_dropped(prometheus::BuildCounter()
                           .Name("herald_operator_events_dropped_total")
                           .Help("Kubernetes Events not posted because the poster's queue was full")
                           .Register(*registry)
                           .Add({})),
        channel_queue(runtime::WorkQueue::Options{.observer = &channel_queue_metrics}),
        template_queue(runtime::WorkQueue::Options{.observer = &template_queue_metrics}) {
    Beat();
  }

  ObservedClient observed_client;
  kube::Client& client;
  AdminMetrics admin_metrics;
  // Every reconcile worker's admin calls go through here, so channels that
  // change together share admin requests.
  kafka::BatchingTopicAdmin batching;
  kafka::TopicAdmin& topics;
  ManagerOptions options;
  std::shared_ptr<prometheus::Registry> registry;
  QueueMetrics channel_queue_metrics, template_queue_metrics;
  ReconcileMetrics channel_metrics, template_metrics;
  ChannelConditionMetrics condition_metrics;
  prometheus::Gauge& leader_gauge;
  prometheus::Counter& events_dropped;
  runtime::WorkQueue channel_queue, template_queue;
  std::atomic<bool> synced{false};
  std::atomic<bool> standby{true};
  std::atomic<std::chrono::steady_clock::rep> last_beat{0};
  // The leading loop blocks on this between its timers; besides the stop
  // request, what it waits for (an informer synced, leadership lost) is set
  // first and then announced with Wake().
  std::mutex wake_mu;
  std::condition_variable_any wake;

  void Wake() {
    // Taking the mutex orders the change before a waiter's predicate check,
    // so a waiter about to block cannot miss it.
    { std::lock_guard<std::mutex> lock(wake_mu); }
    wake.notify_all();
  }

  void Beat() { last_beat.store(std::chrono::steady_clock::now().time_since_epoch().count()); }

  int RunLeading(std::stop_token stop) {
    // Informers and the lease holder are stopped only after the loop below
    // has ended, whatever ended it.
    std::stop_source stop_all;
    std::atomic<bool> lost{false};
    std::thread holder;
    if (leader) {
      // Renew from the start: cache sync must not eat into the lease.
      holder = std::thread([&] {
        if (!leader->HoldUntil(stop_all.get_token())) {
          lost = true;
          Wake();
        }
      });
    }
    EnsureEventsTopic();
    auto enqueue_channel = [this](const json& o) { channel_queue.Add(runtime::ObjectKey(o)); };
    auto enqueue_template = [this](const json& o) { template_queue.Add(runtime::ObjectKey(o)); };
    // A change to a child requeues its channel: the controller ownerReference
    // names it (the herald.dev/channel label may be shortened to 63 characters).
    auto enqueue_owner = [this](const json& o) {
      const auto& m = o["metadata"];
      for (const auto& ref : m.value("ownerReferences", json::array())) {
        if (ref.value("kind", "") == "NotificationChannel" && ref.value("controller", false)) {
          channel_queue.Add(m.value("namespace", "") + "/" + ref.value("name", ""));
        }
      }
    };
    const std::string& ns = options.watch_namespace;
    // Our own status writes come back as updates; reconciling again for them
    // doubles the API calls per channel and changes nothing.
    runtime::Informer channels(client, Collection(kChannels, ns), "",
                               {enqueue_channel,
                                [=](const json& o, const json& n) {
                                  if (runtime::ChangedBeyondStatus(o, n)) enqueue_channel(n);
                                },
                                enqueue_channel});
    // A Template's status is another matter: its channels read the Ready
    // condition from this cache, so they may look again only once the cache
    // holds it. Reconciling the Template for its status event requeues them
    // then (requeuing them when the write returns raced the watch, and a
    // channel could stay TemplatePending until the next resync). A relist's
    // unchanged copies are not news.
    runtime::Informer templates(client, Collection(kTemplates, ns), "",
                                {enqueue_template,
                                 [=](const json& o, const json& n) {
                                   if (runtime::ChangedBeyondStatus(o, n) || runtime::StatusChanged(o, n)) {
                                     enqueue_template(n);
                                   }
                                 },
                                 enqueue_template});
    runtime::Informer deployments(
        client, Collection(kDeployments, ns), "app.kubernetes.io/managed-by=herald-operator",
        {enqueue_owner, [=](const json&, const json& n) { enqueue_owner(n); }, enqueue_owner});
    runtime::Informer configmaps(client, Collection(kConfigMaps, ns), "app.kubernetes.io/managed-by=herald-operator",
                                 {nullptr, [=](const json&, const json& n) { enqueue_owner(n); }, enqueue_owner});

    // The children's informers route events to their channel and tell the
    // reconciler whether a child is still as it applied it (generation,
    // resourceVersion) and how a Deployment's rollout goes, so their caches
    // keep the metadata and, for Deployments, spec.replicas and the status: a ConfigMap's data (the
    // whole sidecar configuration) and a Deployment's spec would otherwise
    // be most of the operator's memory at a thousand channels.
    deployments.SetTransform([](json& o) {
      json replicas;
      if (auto spec = o.find("spec"); spec != o.end() && spec->is_object() && spec->contains("replicas")) {
        replicas = (*spec)["replicas"];
      }
      for (auto it = o.begin(); it != o.end();) {
        it = it.key() == "metadata" || it.key() == "status" || it.key() == "kind" ? std::next(it) : o.erase(it);
      }
      // What the channel's status reads (op::ObserveDeployment): the wanted replicas.
      if (!replicas.is_null()) o["spec"] = {{"replicas", std::move(replicas)}};
    });
    configmaps.SetTransform([](json& o) {
      o.erase("data");
      o.erase("binaryData");
    });

    // Events go out from their own thread: a reconcile never waits for one.
    AsyncEventPoster events(client, options.event_queue_capacity, [this] { events_dropped.Increment(); });
    ChannelReconciler channel_rec(client, topics, channels, templates, options.settings,
                                  ChildCaches{&deployments, &configmaps}, &events);
    TemplateReconciler template_rec(
        client, templates, channels, [this](const std::string& k) { channel_queue.Add(k); }, &events);

    std::vector<std::thread> threads;
    for (auto* inf : {&channels, &templates, &deployments, &configmaps}) {
      inf->OnSynced([this] { Wake(); });
      threads.emplace_back([inf, token = stop_all.get_token()] { inf->Run(token); });
    }
    {
      std::unique_lock<std::mutex> lock(wake_mu);
      wake.wait(lock, stop, [&] {
        return lost.load() ||
               (channels.HasSynced() && templates.HasSynced() && deployments.HasSynced() && configmaps.HasSynced());
      });
    }
    synced = true;
    log::Info("caches synced; reconciling",
              {{"channels", channels.List().size()}, {"templates", templates.List().size()}});

    auto worker = [](runtime::WorkQueue& q, ReconcileMetrics& m, auto reconcile) {
      std::string key;
      while (q.Get(&key)) {
        auto start = std::chrono::steady_clock::now();
        ReconcileResult r = reconcile(key);
        m.Observe(r, std::chrono::steady_clock::now() - start);
        if (!r.ok) {
          log::Warn("reconcile failed", {{"resource", key}, {"controller", m.controller_}, {"error", r.error}});
          q.AddRateLimited(key);
        } else {
          q.Forget(key);
          if (r.requeue_after.count() > 0) q.AddAfter(key, r.requeue_after);
        }
        q.Done(key);
      }
    };
    for (int i = 0; i < options.channel_workers; ++i) {
      threads.emplace_back([&] {
        worker(channel_queue, channel_metrics, [&](const std::string& k) { return channel_rec.Reconcile(k); });
      });
    }
    threads.emplace_back([&] {
      worker(template_queue, template_metrics, [&](const std::string& k) { return template_rec.Reconcile(k); });
    });

    // Periodic resync: level-triggered correction of drift nobody told us about.
    auto next_resync = std::chrono::steady_clock::now() + options.resync;
    auto next_conditions = std::chrono::steady_clock::now();
    int rc = 0;
    while (!stop.stop_requested() && !lost.load()) {
      // The 5 s condition refresh also paces the liveness heartbeat, well
      // inside Liveness()'s 60 s.
      Beat();
      if (std::chrono::steady_clock::now() >= next_conditions) {
        condition_metrics.Update(channels);
        next_conditions = std::chrono::steady_clock::now() + 5s;
      }
      if (std::chrono::steady_clock::now() >= next_resync) {
        channel_rec.ForgetAll();  // full passes: apply children, check topics
        for (const auto& o : channels.List()) channel_queue.Add(runtime::ObjectKey(o));
        for (const auto& o : templates.List()) template_queue.Add(runtime::ObjectKey(o));
        next_resync = std::chrono::steady_clock::now() + options.resync;
      }
      std::unique_lock<std::mutex> lock(wake_mu);
      wake.wait_until(lock, stop, std::min(next_conditions, next_resync), [&] { return lost.load(); });
    }
    if (lost) {
      log::Error("leadership lost: stopping so a fresh process can rejoin the election");
      rc = 1;
    }
    stop_all.request_stop();
    channel_queue.ShutDown();
    template_queue.ShutDown();
    for (auto& t : threads) t.join();
    if (holder.joinable()) holder.join();  // releases the Lease on a clean stop
    condition_metrics.Clear();
    leader_gauge.Set(0);
    return rc;
  }

  // Lifecycle events from every sidecar go to one topic that Herald owns.
  void EnsureEventsTopic() {
    if (options.settings.events_topic.empty()) return;
    auto r = topics.CreateTopics({{options.settings.events_topic, 3, -1, {{"retention.ms", "604800000"}}}});
    if (!r.empty() && r[0].status == kafka::CreateStatus::kError) {
      log::Warn("could not create the events topic; sidecars will count dropped events",
                {{"topic", options.settings.events_topic}, {"error", r[0].error->message}});
    }
  }

  std::unique_ptr<runtime::LeaderElector> leader;
};

Manager::Manager(kube::Client& client, kafka::TopicAdmin& topics, ManagerOptions options,
                 std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>(client, topics, std::move(options), std::move(registry))) {}

Manager::~Manager() = default;

int Manager::Run(std::stop_token stop) {
  if (impl_->options.leader_elect) {
    impl_->leader = std::make_unique<runtime::LeaderElector>(impl_->client, impl_->options.leader);
    // A standby is alive while it waits for the Lease, however long that takes.
    std::jthread beat([impl = impl_.get()](std::stop_token waiting) {
      do {
        impl->Beat();
      } while (!runtime::WaitForStop(waiting, 5s));
    });
    bool got = impl_->leader->Acquire(stop);
    beat.request_stop();
    beat.join();
    if (!got) return 0;
  }
  impl_->standby = false;
  impl_->leader_gauge.Set(1);
  return impl_->RunLeading(stop);
}

std::string Manager::Readiness() const {
  // A standby replica is ready: it serves probes and waits for the Lease.
  if (!impl_->standby.load() && !impl_->synced.load()) return "informer caches not synced yet";
  return Liveness();
}

std::string Manager::Liveness() const {
  auto last = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(impl_->last_beat.load()));
  if (std::chrono::steady_clock::now() - last > 60s) return "the manager loop has not turned for 60s";
  return "";
}

}  // namespace herald::controller
