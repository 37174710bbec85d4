#include "api/correlation.h"

#include <gtest/gtest.h>

#include "core/ids.h"

namespace ingestd::api {
namespace {

TEST(CorrelationId, ClientIdWinsWhenSane) {
  EXPECT_EQ(CorrelationIdFrom("req-123.abc:def_9", ""), "req-123.abc:def_9");
}

TEST(CorrelationId, TraceparentTraceIdIsUsedNext) {
  EXPECT_EQ(CorrelationIdFrom("", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // An insane client id falls through to the traceparent.
  EXPECT_EQ(CorrelationIdFrom("bad id with spaces",
                              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(CorrelationId, GeneratesUuidOtherwise) {
  for (auto [x, tp] : {std::pair<std::string, std::string>{"", ""},
                       {std::string(129, 'a'), "00-zz-00"},
                       {"a\nb", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}) {
    std::string id = CorrelationIdFrom(x, tp);
    EXPECT_TRUE(IsUuid(id)) << id;
  }
}

}  // namespace
}  // namespace ingestd::api
