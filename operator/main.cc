// herald-operator: reconciles NotificationChannel and Template resources into
// Kafka topics, worker Deployments, autoscalers and status. This file only
// wires: flags (controller-runtime style), clients, endpoints, the manager.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stop_token>
#include <string>
#include <thread>

#include "controller/manager.h"
#include "herald/duration.h"
#include "herald/kafka_properties.h"
#include "herald/log.h"
#include "kube/client.h"
#include "observability/http_endpoints.h"
#include "operator/kafka/rdkafka_topic_admin.h"

// After the standard headers: Boost.Asio, under it, needs <utility> first.
#include <pplx/threadpool.h>

namespace {

constexpr const char* kUsage = R"(usage: herald-operator [flags]

Reconciles herald.dev NotificationChannels and Templates.

flags:
  --kubeconfig PATH                   kubeconfig (default: $KUBECONFIG, then in-cluster, then ~/.kube/config)
  --kafka-bootstrap-servers LIST      Kafka bootstrap servers (default: $HERALD_KAFKA_BOOTSTRAP)
  --kafka-properties-file PATH        librdkafka properties (TLS, SASL) for the admin client
  --sidecar-image IMAGE               image of the worker Deployments (default herald-sidecar:<version>)
  --watch-namespace NS                only this namespace (default: all)
  --leader-elect                      run leader election (needed with more than one replica)
  --leader-election-namespace NS      where the Lease lives (default: the pod's namespace)
  --metrics-bind-address ADDR         /metrics (default ":8080"; "0" disables)
  --health-probe-bind-address ADDR    /healthz, /readyz (default ":8081")
  --resync-period DURATION            re-reconcile everything this often (default 5m)
  --max-concurrent-reconciles N       channels reconciled at once (default 8)
  --kafka-admin-batch-window DURATION merge Kafka admin calls of concurrent reconciles arriving
                                      within this window into one request (default 50ms; 0: only
                                      calls made while a request is in flight are merged)
  --events-topic TOPIC                lifecycle events topic for the workers (default herald.events)
  --log-level LEVEL                   debug | info | warn | error
  --version, --help
)";

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "herald-operator: %s\n", why.c_str());
  std::exit(2);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  // Block SIGTERM and SIGINT before any thread exists (the Kubernetes and
  // Kafka clients start their own): threads inherit the mask, so the signal
  // reaches only the sigwait below and shutdown is graceful (Lease released,
  // exit code 0) instead of the default action killing the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Memory at a thousand channels: glibc gives every thread that allocates
  // its own arena (up to 8 per core), and cpprestsdk starts 40 pool threads,
  // so the informers' and reconcilers' JSON ends up spread, fragmented,
  // over dozens of arenas. Two arenas and a pool of four (it only runs
  // asio's I/O handlers: every blocking wait is on our own threads) keep
  // the resident set close to what the caches really hold.
  mallopt(M_ARENA_MAX, 2);
  crossplat::threadpool::initialize_with_threads(4);

  std::string kubeconfig, bootstrap = Env("HERALD_KAFKA_BOOTSTRAP"), props_file, log_level = "info";
  std::string metrics_addr = ":8080", probe_addr = ":8081", lease_ns, resync = "5m", batch_window = "50ms";
  std::string workers = std::to_string(herald::controller::ManagerOptions{}.channel_workers);
  herald::controller::ManagerOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto is = [&](const std::string& flag) { return a == flag || a.rfind(flag + "=", 0) == 0; };
    auto value = [&](const std::string& flag) -> std::string {
      if (auto eq = a.find('='); eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) Fail(flag + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("herald-operator %s\n", HERALD_VERSION);
      return 0;
    } else if (a == "--leader-elect" || a == "--leader-elect=true") {
      opts.leader_elect = true;
    } else if (a == "--leader-elect=false") {
      opts.leader_elect = false;
    } else if (is("--kubeconfig")) {
      kubeconfig = value("--kubeconfig");
    } else if (is("--kafka-bootstrap-servers")) {
      bootstrap = value("--kafka-bootstrap-servers");
    } else if (is("--kafka-properties-file")) {
      props_file = value("--kafka-properties-file");
    } else if (is("--sidecar-image")) {
      opts.settings.sidecar_image = value("--sidecar-image");
    } else if (is("--watch-namespace")) {
      opts.watch_namespace = value("--watch-namespace");
    } else if (is("--leader-election-namespace")) {
      lease_ns = value("--leader-election-namespace");
    } else if (is("--metrics-bind-address")) {
      metrics_addr = value("--metrics-bind-address");
    } else if (is("--health-probe-bind-address")) {
      probe_addr = value("--health-probe-bind-address");
    } else if (is("--resync-period")) {
      resync = value("--resync-period");
    } else if (is("--max-concurrent-reconciles")) {
      workers = value("--max-concurrent-reconciles");
    } else if (is("--kafka-admin-batch-window")) {
      batch_window = value("--kafka-admin-batch-window");
    } else if (is("--events-topic")) {
      opts.settings.events_topic = value("--events-topic");
    } else if (is("--log-level")) {
      log_level = value("--log-level");
    } else {
      Fail("unknown flag " + a + " (see --help)");
    }
  }
  herald::log::Level level;
  if (!herald::log::ParseLevel(log_level, &level))
    Fail("--log-level: \"" + log_level + "\" is not one of debug, info, warn, error");
  herald::log::SetLevel(level);
  opts.settings.log_level = log_level;
  if (bootstrap.empty()) Fail("no Kafka: pass --kafka-bootstrap-servers or set HERALD_KAFKA_BOOTSTRAP");
  opts.settings.bootstrap_servers = bootstrap;
  auto period = herald::ParseDuration(resync);
  if (!period || *period < std::chrono::seconds(10))
    Fail("--resync-period: \"" + resync + "\" is not a duration of at least 10s");
  opts.resync = std::chrono::duration_cast<std::chrono::seconds>(*period);
  try {
    size_t used = 0;
    opts.channel_workers = std::stoi(workers, &used);
    if (used != workers.size() || opts.channel_workers < 1 || opts.channel_workers > 256) throw std::out_of_range("");
  } catch (const std::exception&) {
    Fail("--max-concurrent-reconciles: \"" + workers + "\" is not a number from 1 to 256");
  }
  auto window = herald::ParseDuration(batch_window);
  if (!window || *window > std::chrono::seconds(1))
    Fail("--kafka-admin-batch-window: \"" + batch_window + "\" is not a duration of at most 1s");
  opts.kafka_batch_window = std::chrono::duration_cast<std::chrono::milliseconds>(*window);

  auto cluster = herald::kube::ResolveClusterConfig(kubeconfig);
  if (!cluster) Fail(cluster.error());
  auto client = herald::kube::NewRestClient(*cluster);
  if (!client) Fail(client.error());

  herald::kafka::KafkaProperties props;
  if (!props_file.empty()) {
    auto p = herald::kafka::LoadKafkaProperties(props_file);
    if (!p) Fail("--kafka-properties-file: " + p.error());
    props = *p;
    opts.settings.kafka_properties = true;
    std::ifstream in(props_file, std::ios::binary);
    opts.settings.kafka_properties_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto admin = herald::kafka::RdKafkaTopicAdmin::Create(bootstrap, props);
  if (!admin) Fail(admin.error());

  char host[256] = "herald-operator";
  gethostname(host, sizeof host);
  opts.leader.identity = std::string(host) + "_" + std::to_string(std::random_device{}() % 1000000);
  opts.leader.lease_namespace = lease_ns.empty() ? cluster->default_namespace : lease_ns;

  auto registry = std::make_shared<prometheus::Registry>();
  herald::controller::Manager manager(**client, **admin, opts, registry);
  herald::observability::EndpointsConfig ep;
  ep.metrics_address = metrics_addr;
  ep.probe_address = probe_addr;
  ep.registry = registry;
  ep.liveness = [&] { return manager.Liveness(); };
  ep.readiness = [&] { return manager.Readiness(); };
  auto endpoints = herald::observability::StartHttpEndpoints(ep);
  if (!endpoints) Fail(endpoints.error());

  std::stop_source stop;
  std::thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    herald::log::Info("signal received, shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop.request_stop();
  }).detach();

  herald::log::Info("herald-operator started", {{"version", HERALD_VERSION},
                                                {"server", cluster->server},
                                                {"kafka", bootstrap},
                                                {"leaderElect", opts.leader_elect},
                                                {"identity", opts.leader.identity}});
  int rc = manager.Run(stop.get_token());
  herald::log::Info("herald-operator stopped", {{"exitCode", rc}});
  return rc;
}
