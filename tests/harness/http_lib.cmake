# ingestd_test_http: the libcurl HTTP client and multipart bodies, shared by the integration
# tests and the benchmarks. Included from tests/ and bench/; defined once.
if(NOT TARGET ingestd_test_http)
  add_library(ingestd_test_http STATIC
    ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
    ${CMAKE_CURRENT_LIST_DIR}/multipart_body.cpp
  )
  target_include_directories(ingestd_test_http PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
  target_link_libraries(ingestd_test_http PUBLIC CURL::libcurl nlohmann_json::nlohmann_json)
endif()
