// UUIDs: random v4 for new entities, name-based v5 (SHA-1) for deterministic ids such as
// chunk ids, so re-running a stage rewrites the same rows instead of adding new ones.
#pragma once

#include <string>
#include <string_view>

namespace ingestd {

std::string NewUuidV4();
// RFC 4122 v5 of name within the namespace UUID (canonical text form).
// Returns an empty string when namespace_uuid is not a valid UUID.
std::string UuidV5(std::string_view namespace_uuid, std::string_view name);
// Canonical 8-4-4-4-12 hex form, either case.
bool IsUuid(std::string_view s);

}  // namespace ingestd
