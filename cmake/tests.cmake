# Tests: every busted spec in spec/ is one ctest test, run under lua5.4 with
# the project's lua/ and build/lib on the paths (the .busted file), and with
# LUDP_BIN pointing at the host for specs that run it as a process. Every
# example runs as a smoke test through tests/run_example.sh.

find_program(BUSTED busted)
# Under the sanitizers the specs run inside the instrumented host itself
# (busted --lua=ludp): stock lua5.4 cannot load an ASan-built core.so.
if(LUDP_SANITIZE)
  set(LUDP_SPEC_LUA "$<TARGET_FILE:ludp>")
  list(APPEND LUDP_TEST_ENV_EXTRA
       "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23"
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
else()
  set(LUDP_SPEC_LUA lua5.4)
endif()
file(GLOB LUDP_SPECS CONFIGURE_DEPENDS RELATIVE "${CMAKE_SOURCE_DIR}"
     "${CMAKE_SOURCE_DIR}/spec/*_spec.lua")
list(SORT LUDP_SPECS)
# systemd's side of $NOTIFY_SOCKET, for spec/readiness_spec.lua.
add_executable(notify_listen tests/notify/notify_listen.c)
set(LUDP_TEST_ENV "LUDP_BIN=$<TARGET_FILE:ludp>"
    "LUDP_BUILD=${CMAKE_BINARY_DIR}" "LUDP_SOURCE=${CMAKE_SOURCE_DIR}"
    "LUDP_NOTIFY_LISTEN=$<TARGET_FILE:notify_listen>"
    ${LUDP_TEST_ENV_EXTRA})
if(BUSTED)
  foreach(spec IN LISTS LUDP_SPECS)
    get_filename_component(name "${spec}" NAME_WE)
    add_test(NAME "spec.${name}"
             COMMAND ${BUSTED} --lua=${LUDP_SPEC_LUA} -o utfTerminal
                     "--cpath=${CMAKE_BINARY_DIR}/lib/?.so" "${spec}"
             WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
    set_tests_properties("spec.${name}" PROPERTIES
      ENVIRONMENT "${LUDP_TEST_ENV}" TIMEOUT 120 LABELS spec)
  endforeach()
else()
  message(WARNING "busted not found: the specs will not run")
endif()

file(GLOB LUDP_EXAMPLE_TESTS CONFIGURE_DEPENDS
     "${CMAKE_SOURCE_DIR}/tests/examples/*.sh")
foreach(t IN LISTS LUDP_EXAMPLE_TESTS)
  get_filename_component(name "${t}" NAME_WE)
  add_test(NAME "example.${name}" COMMAND bash "${t}"
           WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
  set_tests_properties("example.${name}" PROPERTIES
    ENVIRONMENT "${LUDP_TEST_ENV}" TIMEOUT 60 LABELS example
    SKIP_RETURN_CODE 77)
endforeach()

# Lint (tests/lint/*.sh: luacheck, clang-format, cppcheck) and install
# checks (tests/install/*.sh: cmake --install and luarocks make into
# temporary prefixes). They look at the sources, not at the instrumented
# binaries, so they run in the normal build only.
if(NOT LUDP_SANITIZE)
  foreach(kind IN ITEMS lint install)
    file(GLOB LUDP_SH_TESTS CONFIGURE_DEPENDS
         "${CMAKE_SOURCE_DIR}/tests/${kind}/*.sh")
    foreach(t IN LISTS LUDP_SH_TESTS)
      get_filename_component(name "${t}" NAME_WE)
      add_test(NAME "${kind}.${name}" COMMAND bash "${t}"
               WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
      set_tests_properties("${kind}.${name}" PROPERTIES
        ENVIRONMENT "${LUDP_TEST_ENV}" TIMEOUT 300 LABELS ${kind}
        SKIP_RETURN_CODE 77)
    endforeach()
  endforeach()
endif()

# C-level tests: the C machinery itself (handle lifetime), built with the
# core sources and, in the sanitizer build, instrumented like the rest.
file(GLOB LUDP_C_TESTS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/c/test_*.c")
foreach(t IN LISTS LUDP_C_TESTS)
  get_filename_component(name "${t}" NAME_WE)
  add_executable(${name} "${t}" ${LUDP_CORE_SOURCES})
  target_compile_options(${name} PRIVATE ${LUDP_WARNINGS})
  target_include_directories(${name} PRIVATE src)
  ludp_build_id(${name})
  target_link_libraries(${name} PRIVATE PkgConfig::LUA PkgConfig::UV m)
  add_test(NAME "c.${name}" COMMAND ${name})
  set_tests_properties("c.${name}" PROPERTIES TIMEOUT 60 LABELS c)
endforeach()

# --- Reliability (docs/reliability.md) -----------------------------------
# GC stress: every spec and C test once more with LUDP_GC_STRESS=1, which
# makes the core run a full collection after every callback and at every
# call of the handle API (in both builds: under ASan it finds use after
# free, under stock lua5.4 it checks core.so reads the variable too).
if(BUSTED)
  foreach(spec IN LISTS LUDP_SPECS)
    get_filename_component(name "${spec}" NAME_WE)
    add_test(NAME "gcstress.${name}"
             COMMAND ${BUSTED} --lua=${LUDP_SPEC_LUA} -o utfTerminal
                     "--cpath=${CMAKE_BINARY_DIR}/lib/?.so" "${spec}"
             WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
    set_tests_properties("gcstress.${name}" PROPERTIES
      ENVIRONMENT "${LUDP_TEST_ENV};LUDP_GC_STRESS=1" TIMEOUT 300
      LABELS gcstress)
  endforeach()
endif()
foreach(t IN LISTS LUDP_C_TESTS)
  get_filename_component(name "${t}" NAME_WE)
  add_test(NAME "gcstress.c.${name}" COMMAND ${name})
  set(env LUDP_GC_STRESS=1 ${LUDP_TEST_ENV_EXTRA})
  set_tests_properties("gcstress.c.${name}" PROPERTIES
    ENVIRONMENT "${env}" TIMEOUT 120 LABELS gcstress)
endforeach()

# Valgrind memcheck (normal build; it cannot run ASan binaries): the C
# tests, and the specs that do their work inside the busted process, run
# inside the host under valgrind (tests/valgrind/ludp-valgrind): any error,
# or memory definitely or indirectly lost, fails. Left out as too slow
# under valgrind for what they add (their work is mostly child processes,
# which the ASan build checks): docs_examples, host_cli, repl_*,
# reliability_startup (whose children also preload an allocator that
# fails). The signals spec runs its child hosts under valgrind too.
find_program(VALGRIND valgrind)
if(VALGRIND AND BUSTED AND NOT LUDP_SANITIZE)
  set(LUDP_VG_WRAPPER "${CMAKE_SOURCE_DIR}/tests/valgrind/ludp-valgrind")
  foreach(t IN LISTS LUDP_C_TESTS)
    get_filename_component(name "${t}" NAME_WE)
    add_test(NAME "valgrind.c.${name}"
             COMMAND ${VALGRIND} --quiet --error-exitcode=99
                     --leak-check=full --show-leak-kinds=definite,indirect
                     --errors-for-leak-kinds=definite,indirect
                     $<TARGET_FILE:${name}>)
    set_tests_properties("valgrind.c.${name}" PROPERTIES TIMEOUT 300
      LABELS valgrind)
  endforeach()
  foreach(spec IN LISTS LUDP_SPECS)
    get_filename_component(name "${spec}" NAME_WE)
    if(name MATCHES "^(docs_examples|host_cli|repl_|reliability_startup)")
      continue()
    endif()
    set(env "${LUDP_TEST_ENV};LUDP_VALGRIND=1"
        "LUDP_VALGRIND_BIN=$<TARGET_FILE:ludp>")
    if(name MATCHES "^reliability_signals")
      list(APPEND env "LUDP_BIN=${LUDP_VG_WRAPPER}")
    endif()
    add_test(NAME "valgrind.${name}"
             COMMAND ${BUSTED} --lua=${LUDP_VG_WRAPPER} -o utfTerminal
                     "--cpath=${CMAKE_BINARY_DIR}/lib/?.so" "${spec}"
             WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
    set_tests_properties("valgrind.${name}" PROPERTIES
      ENVIRONMENT "${env}" TIMEOUT 300 LABELS valgrind)
  endforeach()
endif()

# libFuzzer (tests/fuzz/): the sanitizer build runs both targets for a
# short while on a copy of the seed corpus. tests/fuzz/run.sh configures
# and builds them with clang in <build>/fuzz (-DLUDP_FUZZ=ON, below) as
# the fixture of the two runs.
find_program(CLANG clang)
if(LUDP_SANITIZE AND CLANG)
  set(LUDP_FUZZ_DIR "${CMAKE_BINARY_DIR}/fuzz")
  add_test(NAME fuzz.build
           COMMAND sh "${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh" build
                   "${LUDP_FUZZ_DIR}")
  set_tests_properties(fuzz.build PROPERTIES TIMEOUT 300 LABELS fuzz
    FIXTURES_SETUP fuzz_build)
  foreach(target IN ITEMS dgram addr)
    add_test(NAME "fuzz.${target}"
             COMMAND sh "${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh" short
                     ${target} "${LUDP_FUZZ_DIR}" 30)
    set_tests_properties("fuzz.${target}" PROPERTIES TIMEOUT 180
      LABELS fuzz FIXTURES_REQUIRED fuzz_build)
  endforeach()
endif()

# The fuzz targets themselves, in a build configured with clang and
# -DLUDP_FUZZ=ON (tests/fuzz/run.sh build): the core, instrumented with
# libFuzzer, ASan and UBSan, and the harness; the drivers are Lua files
# read from the source tree.
if(LUDP_FUZZ)
  foreach(target IN ITEMS dgram addr)
    add_executable(fuzz_${target} tests/fuzz/fuzz.c ${LUDP_CORE_SOURCES})
    target_include_directories(fuzz_${target} PRIVATE src)
    ludp_build_id(fuzz_${target})
    target_compile_definitions(fuzz_${target} PRIVATE
      "LUDP_ROOT=\"${CMAKE_SOURCE_DIR}\"" "FUZZ_DRIVER=\"${target}.lua\"")
    target_compile_options(fuzz_${target} PRIVATE -g -O1
      -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
      -fno-sanitize-recover=undefined)
    target_link_options(fuzz_${target} PRIVATE
      -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${target} PRIVATE PkgConfig::LUA PkgConfig::UV m)
  endforeach()
endif()

# The soak (bench/soak.sh: a million datagrams through an echo server,
# counted on both sides, RSS and send queue watched): not a test, as it
# takes a minute and both cores; `cmake --build build --target soak`.
add_custom_target(soak
  COMMAND ${CMAKE_COMMAND} -E env "LUDP=$<TARGET_FILE:ludp>"
          sh "${CMAKE_SOURCE_DIR}/bench/soak.sh"
  DEPENDS ludp
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
  USES_TERMINAL
  VERBATIM)
