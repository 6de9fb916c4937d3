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
set(LUDP_TEST_ENV "LUDP_BIN=$<TARGET_FILE:ludp>"
    "LUDP_BUILD=${CMAKE_BINARY_DIR}" "LUDP_SOURCE=${CMAKE_SOURCE_DIR}"
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
    ENVIRONMENT "${LUDP_TEST_ENV}" TIMEOUT 60 LABELS example)
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
  target_link_libraries(${name} PRIVATE PkgConfig::LUA PkgConfig::UV m)
  add_test(NAME "c.${name}" COMMAND ${name})
  set_tests_properties("c.${name}" PROPERTIES TIMEOUT 60 LABELS c)
endforeach()
