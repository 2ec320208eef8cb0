// herald-sidecar: consumes one NotificationChannel's topic and delivers each
// message at least once (see docs/sidecar-config.md and the runtime/ folder).
// This file only wires: flags, configuration, signals, endpoints, the worker.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "config/sidecar_config.h"
#include "dispatch/curl_dispatcher.h"
#include "herald/log.h"
#include "observability/http_endpoints.h"
#include "runtime/metrics.h"
#include "runtime/prepare.h"
#include "runtime/worker.h"

// After the standard headers: Boost.Asio, under it, needs <utility> first.
#include <pplx/threadpool.h>

namespace {

constexpr const char* kUsage = R"(usage: herald-sidecar --config PATH [flags]

Consumes a Herald channel's Kafka topic and delivers each notification.

flags:
  --config PATH                     the configuration file (required; docs/sidecar-config.md)
  --metrics-bind-address ADDR       serve /metrics here (default from the config, ":8080"; "0" disables)
  --health-probe-bind-address ADDR  serve /healthz and /readyz here (default ":8081")
  --log-level LEVEL                 debug | info | warn | error
  --version                         print the version and exit
  --help                            print this help and exit
)";

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "herald-sidecar: %s\n", why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, metrics_addr, probe_addr, log_level;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& flag) -> std::string {
      if (auto eq = a.find('='); eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) Fail(flag + " needs a value");
      return argv[++i];
    };
    auto is = [&](const std::string& flag) { return a == flag || a.rfind(flag + "=", 0) == 0; };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("herald-sidecar %s\n", HERALD_VERSION);
      return 0;
    } else if (is("--config")) {
      config_path = value("--config");
    } else if (is("--metrics-bind-address")) {
      metrics_addr = value("--metrics-bind-address");
    } else if (is("--health-probe-bind-address")) {
      probe_addr = value("--health-probe-bind-address");
    } else if (is("--log-level")) {
      log_level = value("--log-level");
    } else {
      Fail("unknown flag " + a + " (see --help)");
    }
  }
  if (config_path.empty()) Fail("--config is required (see --help)");

  auto cfg = herald::config::LoadSidecarConfig(config_path);
  if (!cfg) Fail(cfg.error());
  if (!metrics_addr.empty()) cfg->metrics_address = metrics_addr;
  if (!probe_addr.empty()) cfg->probe_address = probe_addr;
  if (!log_level.empty()) cfg->log_level = log_level;
  herald::log::Level level;
  if (!herald::log::ParseLevel(cfg->log_level, &level))
    Fail("--log-level: \"" + cfg->log_level + "\" is not one of debug, info, warn, error");
  herald::log::SetLevel(level);

  auto secrets = herald::sidecar::LoadSecrets(*cfg);
  if (!secrets) Fail(secrets.error());
  if (auto st = herald::sidecar::ValidateStatic(*cfg, *secrets); !st.ok()) Fail(st.error());

  // Signals are taken by one thread with sigwait, so the handler can do real
  // work (stop the worker) instead of only async-signal-safe calls. The mask is
  // set before any thread starts so every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // cpprestsdk's pool (40 threads by default) only serves the probes and
  // /metrics here: two threads are plenty and save a few MiB of stacks.
  crossplat::threadpool::initialize_with_threads(2);

  herald::sidecar::Metrics metrics(cfg->ChannelId());
  herald::dispatch::CurlDispatcherOptions dopts;
  dopts.max_in_flight = static_cast<size_t>(cfg->delivery.concurrency);
  auto dispatcher = herald::dispatch::CurlDispatcher::Create(dopts);
  if (!dispatcher) Fail(dispatcher.error());
  auto worker = herald::sidecar::Worker::Create(*cfg, *secrets, std::move(*dispatcher), &metrics);
  if (!worker) Fail(worker.error());
  herald::sidecar::Worker* w = worker->get();

  herald::observability::EndpointsConfig ep;
  ep.metrics_address = cfg->metrics_address;
  ep.probe_address = cfg->probe_address;
  ep.registry = metrics.registry();
  ep.liveness = [w] { return w->Liveness(); };
  ep.readiness = [w] { return w->Readiness(); };
  auto endpoints = herald::observability::StartHttpEndpoints(ep);
  if (!endpoints) Fail(endpoints.error());

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    herald::log::Info("signal received, shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    w->Stop();
  });
  signal_thread.detach();

  herald::log::Info("herald-sidecar started", {{"channel", cfg->ChannelId()},
                                               {"version", HERALD_VERSION},
                                               {"metrics", cfg->metrics_address},
                                               {"probes", cfg->probe_address}});
  auto st = w->Run();
  if (!st.ok()) {
    herald::log::Error("stopped with an error", {{"error", st.error()}});
    return 1;
  }
  return 0;
}
