// Service modes (DESIGN.md §5): mock | local | real | hybrid.
#pragma once

#include <string_view>

#include "core/status.h"

namespace ingestd {

enum class ServiceMode { kMock, kLocal, kReal, kHybrid };

const char* ToString(ServiceMode mode);
// kInvalidArgument / "SERVICE_MODE_UNKNOWN" for anything else.
Result<ServiceMode> ParseServiceMode(std::string_view text);

}  // namespace ingestd
