// Leader election against the real kube-apiserver's Lease API.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "runtime/leader_election.h"
#include "stack_env.h"

namespace herald::runtime {
namespace {

using namespace std::chrono_literals;

class LeaderElectionStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = kube::LoadKubeconfig(herald::testing::StackEnv("KUBECONFIG"));
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    auto c1 = kube::NewRestClient(*cfg);
    auto c2 = kube::NewRestClient(*cfg);
    ASSERT_TRUE(c1.ok() && c2.ok());
    a_client_ = std::move(*c1);
    b_client_ = std::move(*c2);
    lease_ = "herald-le-test-" + std::to_string(std::random_device{}() % 1000000);
  }
  void TearDown() override {
    if (a_client_) (void)a_client_->Send("DELETE", "/apis/coordination.k8s.io/v1/namespaces/default/leases/" + lease_);
  }
  LeaderElectionConfig Config(const std::string& id) {
    LeaderElectionConfig c;
    c.lease_namespace = "default";
    c.lease_name = lease_;
    c.identity = id;
    c.lease_duration = 2s;
    c.renew_deadline = 1500ms;
    c.retry_period = 200ms;
    return c;
  }
  kube::ClientPtr a_client_, b_client_;
  std::string lease_;
};

TEST_F(LeaderElectionStackTest, OnlyOneHolderAndReleaseHandsOverAtOnce) {
  LeaderElector a(*a_client_, Config("a")), b(*b_client_, Config("b"));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  ASSERT_TRUE(a.TryAcquireOrRenew());  // renew
  EXPECT_FALSE(b.TryAcquireOrRenew());
  a.Release();
  EXPECT_FALSE(a.IsLeader());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(b.Acquire(std::stop_token{}));
  // Released leases are taken within about one lease second, not the full duration.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1900ms);
}

TEST_F(LeaderElectionStackTest, CrashedLeaderIsReplacedAfterTheLeaseExpires) {
  LeaderElector a(*a_client_, Config("a")), b(*b_client_, Config("b"));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  // "a" now stops renewing without releasing: as after kill -9.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(b.Acquire(std::stop_token{}));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 1900ms) << "took over a lease that had not expired";
  EXPECT_LT(waited, 6s);
  // The old leader finds out on its next renewal attempt.
  EXPECT_FALSE(a.TryAcquireOrRenew());
}

TEST_F(LeaderElectionStackTest, RacingCandidatesNeverBothWin) {
  LeaderElector a(*a_client_, Config("a")), b(*b_client_, Config("b"));
  for (int round = 0; round < 10; ++round) {
    bool ra = false, rb = false;
    std::thread ta([&] { ra = a.TryAcquireOrRenew(); });
    std::thread tb([&] { rb = b.TryAcquireOrRenew(); });
    ta.join();
    tb.join();
    EXPECT_FALSE(ra && rb) << "round " << round;
    a.Release();
    b.Release();
  }
}

}  // namespace
}  // namespace herald::runtime
