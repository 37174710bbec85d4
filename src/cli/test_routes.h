// Routes that exist only in test builds (CMake INGESTD_TESTS=ON), for integration tests that
// must reach, over the socket, paths no client input reaches: a handler that throws at each
// point where the HTTP server calls into request handling. Release builds (`make build`,
// INGESTD_TESTS=OFF) compile none of this, so the hook is no backdoor in what ships; in a
// test build it is also off unless INGESTD_TEST_ROUTES=1.
#pragma once

#include <vector>

#include "api/router.h"
#include "cli/config.h"

namespace ingestd::cli {

// With INGESTD_TEST_ROUTES=1, open routes that throw std::runtime_error("test route threw"):
//   GET  /__test/throw           in the handler (handler thread)
//   GET  /__test/throw-on-begin  when the request header arrives (I/O thread)
//   POST /__test/throw-on-body   on the first piece of the body (I/O thread)
// and a streamed response (api::BodyStream), counted:
//   GET  /__test/stream?pieces=N&size=B&fail_at=K&throw_at=K  N pieces of B bytes, "<i>:...\n";
//        piece K fails (a Status) or throws
//   GET  /__test/stream-pieces   {"made": pieces made by every stream so far}
// Otherwise none.
std::vector<api::Route> TestRoutes(const EnvLookup& env);

}  // namespace ingestd::cli
