# `cmake --build build --target bench`: builds the host, then runs bench/run
# on it (ludp's echo benchmark next to plain C libuv and Node.js; see
# bench/README.md). Knobs come from the environment, as for bench/run:
#   SIZES="64 512 1200 4096 8192" cmake --build build --target bench
add_custom_target(bench
  COMMAND ${CMAKE_COMMAND} -E env "LUDP=$<TARGET_FILE:ludp>"
          "${CMAKE_SOURCE_DIR}/bench/run"
  DEPENDS ludp
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
  USES_TERMINAL
  VERBATIM
  COMMENT "bench/run: UDP echo benchmark of ludp, plain C libuv and Node.js")
