#pragma once
// Behaviour every TopicAdmin shows, written once and run against both
// FakeTopicAdmin (unit) and RdKafkaTopicAdmin on the local stack's broker
// (integration), so the fake that reconcile tests rely on cannot drift from
// what Kafka really answers. The tests assume a one-broker cluster, as the
// local stack and the fake are.
//
// A test binary instantiates the suite with its targets:
//   INSTANTIATE_TEST_SUITE_P(Fake, TopicAdminContract, ::testing::Values(ContractTarget{"Fake", [] { ... }}));
// (No name generator: with the default "/0" suffix and PrintTo below, CMake's
// gtest_discover_tests names the tests ".../Fake" instead of quoting bytes.)
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "operator/kafka/topic_admin.h"

namespace herald::kafka::testing {

struct ContractTarget {
  std::string name;
  // Returns a fresh admin, or nullptr after reporting why with ADD_FAILURE.
  std::function<TopicAdminPtr()> make;
};
void PrintTo(const ContractTarget& target, std::ostream* os);

class TopicAdminContract : public ::testing::TestWithParam<ContractTarget> {
 protected:
  void SetUp() override;
  // Deletes every topic Name() handed out, so a failed test leaves nothing behind.
  void TearDown() override;
  // A topic name unique to this run and test, remembered for TearDown.
  std::string Name(const std::string& suffix);
  // Describes `names` until `done` holds for every description or ~15 s
  // pass; returns the last descriptions. Creation and deletion become visible
  // in metadata shortly after the admin call returns on a real cluster.
  std::vector<TopicDescription> DescribeUntil(const std::vector<std::string>& names,
                                              const std::function<bool(const TopicDescription&)>& done);

  TopicAdminPtr admin_;

 private:
  std::string prefix_;
  std::vector<std::string> names_;
};

}  // namespace herald::kafka::testing
