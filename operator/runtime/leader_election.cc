#include "runtime/leader_election.h"

#include <ctime>

#include "herald/log.h"
#include "herald/timefmt.h"
#include "runtime/stop.h"

namespace herald::runtime {
namespace {

const kube::Resource kLeases{"coordination.k8s.io", "v1", "leases", true};

}  // namespace

std::string MicroTimeNow() { return FormatRfc3339(std::chrono::system_clock::now(), 6); }

LeaderElector::LeaderElector(kube::Client& client, LeaderElectionConfig config)
    : client_(client), cfg_(std::move(config)) {}

std::string LeaderElector::LeasePath(bool with_name) const {
  return kube::ResourcePath(kLeases, cfg_.lease_namespace, with_name ? cfg_.lease_name : "");
}

bool LeaderElector::TryAcquireOrRenew() {
  const std::string now = MicroTimeNow();
  const int duration_s = static_cast<int>(cfg_.lease_duration.count() / 1000);
  auto got = client_.Send("GET", LeasePath(true));
  if (!got) {
    log::Warn("leader election: reading the lease failed", {{"error", got.error()}});
    return false;
  }
  if (got->status == 404) {
    nlohmann::json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                            {"kind", "Lease"},
                            {"metadata", {{"name", cfg_.lease_name}, {"namespace", cfg_.lease_namespace}}},
                            {"spec",
                             {{"holderIdentity", cfg_.identity},
                              {"leaseDurationSeconds", duration_s},
                              {"acquireTime", now},
                              {"renewTime", now},
                              {"leaseTransitions", 0}}}};
    auto r = client_.Send("POST", LeasePath(false), lease.dump());
    bool ok = r && r->ok();
    if (ok) log::Info("leader election: acquired the lease", {{"identity", cfg_.identity}});
    leader_ = ok;
    return ok;
  }
  if (!got->ok() || !got->body.is_object()) {
    log::Warn("leader election: reading the lease failed", {{"status", got->status}, {"error", got->message()}});
    return false;
  }
  nlohmann::json lease = got->body;
  nlohmann::json spec = lease.value("spec", nlohmann::json::object());
  std::string holder = spec.value("holderIdentity", "");
  const bool ours = holder == cfg_.identity;
  if (!ours && !holder.empty()) {
    // Someone else holds it: expired only if unchanged for a full lease
    // duration on *our* clock.
    std::string record = spec.dump();
    auto t = std::chrono::steady_clock::now();
    if (record != observed_record_) {
      observed_record_ = record;
      observed_at_ = t;
    }
    int their_duration = spec.value("leaseDurationSeconds", duration_s);
    if (t - observed_at_ < std::chrono::seconds(their_duration)) {
      leader_ = false;
      return false;
    }
  }
  if (!ours) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = cfg_.identity;
  spec["leaseDurationSeconds"] = duration_s;
  spec["renewTime"] = now;
  lease["spec"] = spec;
  // PUT carries metadata.resourceVersion: a concurrent writer makes this 409.
  auto r = client_.Send("PUT", LeasePath(true), lease.dump());
  bool ok = r && r->ok();
  if (ok && !ours) log::Info("leader election: acquired the lease", {{"identity", cfg_.identity}});
  leader_ = ok;
  return ok;
}

bool LeaderElector::Acquire(std::stop_token stop) {
  log::Info("leader election: waiting for the lease",
            {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name}, {"identity", cfg_.identity}});
  while (!stop.stop_requested()) {
    if (TryAcquireOrRenew()) return true;
    if (WaitForStop(stop, cfg_.retry_period)) break;
  }
  return false;
}

bool LeaderElector::HoldUntil(std::stop_token stop) {
  auto last_renew = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (WaitForStop(stop, cfg_.retry_period)) break;
    if (TryAcquireOrRenew()) {
      last_renew = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_renew > cfg_.renew_deadline) {
      leader_ = false;
      log::Error("leader election: lost the lease (no renewal within the renew deadline)",
                 {{"identity", cfg_.identity}});
      return false;
    }
  }
  Release();
  return true;
}

void LeaderElector::Release() {
  if (!leader_.load()) return;
  auto got = client_.Send("GET", LeasePath(true));
  if (!got || !got->ok() || !got->body.is_object()) return;
  nlohmann::json lease = got->body;
  if (lease["spec"].value("holderIdentity", "") != cfg_.identity) return;
  // client-go's release: clear the holder and shorten the duration so a
  // standby does not wait out the full lease.
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = MicroTimeNow();
  auto r = client_.Send("PUT", LeasePath(true), lease.dump());
  if (r && r->ok()) log::Info("leader election: released the lease", {{"identity", cfg_.identity}});
  leader_ = false;
}

}  // namespace herald::runtime
