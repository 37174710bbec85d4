#include "services/router/service_mode.h"

#include <string>

namespace ingestd {

const char* ToString(ServiceMode mode) {
  switch (mode) {
    case ServiceMode::kMock:
      return "mock";
    case ServiceMode::kLocal:
      return "local";
    case ServiceMode::kReal:
      return "real";
    case ServiceMode::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

Result<ServiceMode> ParseServiceMode(std::string_view text) {
  for (ServiceMode m :
       {ServiceMode::kMock, ServiceMode::kLocal, ServiceMode::kReal, ServiceMode::kHybrid}) {
    if (text == ToString(m)) return m;
  }
  return Status::InvalidArgument(
      "SERVICE_MODE_UNKNOWN",
      "unknown service mode '" + std::string(text) + "' (mock, local, real or hybrid)");
}

}  // namespace ingestd
