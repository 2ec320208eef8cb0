#include "herald/kafka_properties.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace herald::kafka {
namespace {

struct ParseCase {
  std::string name;
  std::string text;
  KafkaProperties want;
};
// Names the case in test listings (CMake turns ".../0  # GetParam() = X" into ".../X").
void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.name; }

class ParseOk : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseOk, Parses) {
  const auto got = ParseKafkaProperties(GetParam().text, "kafka.properties");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseOk,
    ::testing::Values(
        ParseCase{"Empty", "", {}},
        ParseCase{"OnlyCommentsAndBlanks", "# TLS\n! also a comment\n\n   \n\t# indented comment\n", {}},
        ParseCase{"Simple",
                  "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n",
                  {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}}},
        ParseCase{"NoTrailingNewline", "a=b", {{"a", "b"}}},
        ParseCase{"TrimsAroundKeyAndValue", "  sasl.username =  herald  \n", {{"sasl.username", "herald"}}},
        ParseCase{"ValueKeepsInnerSpacesAndEquals", "sasl.password= p=ss w0rd= \n", {{"sasl.password", "p=ss w0rd="}}},
        ParseCase{
            "EmptyValue", "ssl.endpoint.identification.algorithm=\n", {{"ssl.endpoint.identification.algorithm", ""}}},
        ParseCase{"HashInsideValueIsNotAComment", "sasl.password=a#b\n", {{"sasl.password", "a#b"}}},
        ParseCase{"CrLf", "a=1\r\nb=2\r\n", {{"a", "1"}, {"b", "2"}}}));

struct ErrorCase {
  std::string name;
  std::string text;
  std::string want;  // the whole message
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ParseError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseError, NamesTheLine) {
  const auto got = ParseKafkaProperties(GetParam().text, "/etc/herald/kafka.properties");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error(), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseError,
    ::testing::Values(ErrorCase{"NoEquals", "# c\nsecurity.protocol SSL\n",
                                "/etc/herald/kafka.properties:2: expected key=value, got a line without '='"},
                      ErrorCase{"EmptyKey", "a=1\n  = x\n",
                                "/etc/herald/kafka.properties:2: empty property name before '='"},
                      ErrorCase{"Duplicate", "sasl.username=a\n\nsasl.username = b\n",
                                "/etc/herald/kafka.properties:3: property sasl.username is already set on line 1"}));

TEST(ParseKafkaPropertiesTest, ErrorsNeverQuoteValues) {
  const auto got = ParseKafkaProperties("sasl.password=hunter2\nsasl.password=hunter3\n", "f");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().find("hunter"), std::string::npos) << got.error();
}

TEST(LoadKafkaPropertiesTest, ReadsAFile) {
  char path[] = "/tmp/herald-kafka-props-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "# from a Secret\nsecurity.protocol=SSL\nssl.ca.location=/etc/herald/kafka/ca.crt\n";
  const auto got = LoadKafkaProperties(path);
  std::remove(path);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, (KafkaProperties{{"security.protocol", "SSL"}, {"ssl.ca.location", "/etc/herald/kafka/ca.crt"}}));
}

TEST(LoadKafkaPropertiesTest, MissingFileNamesThePath) {
  const auto got = LoadKafkaProperties("/nonexistent/kafka.properties");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error(), "/nonexistent/kafka.properties: No such file or directory");
}

}  // namespace
}  // namespace herald::kafka
