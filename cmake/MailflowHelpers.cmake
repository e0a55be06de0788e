# Small helpers so every library and test is declared the same way
# (after Abseil's CMake/AbseilHelpers.cmake).

set(MAILFLOW_WARNINGS -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)

if(MAILFLOW_SANITIZE)
  set(MAILFLOW_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_options(${MAILFLOW_SANITIZER_FLAGS})
  add_link_options(${MAILFLOW_SANITIZER_FLAGS})
endif()

# Boost 1.74's Asio needs <utility> before its headers or co_await code fails with
# "exchange is not a member of std"; force it into every translation unit.
add_compile_options(-include utility)

# mailflow_library(NAME SOURCES ... DEPS ...)
function(mailflow_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(mailflow_${name} STATIC ${ARG_SOURCES})
  target_include_directories(mailflow_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(mailflow_${name} PRIVATE ${MAILFLOW_WARNINGS})
  target_link_libraries(mailflow_${name} PUBLIC ${ARG_DEPS})
endfunction()

# mailflow_test(NAME SOURCES ... DEPS ... [LABELS ...])
# One GoogleTest executable; each TEST becomes its own ctest entry so ctest -j spreads them.
function(mailflow_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(mailflow_test_${name} ${ARG_SOURCES})
  target_compile_options(mailflow_test_${name} PRIVATE ${MAILFLOW_WARNINGS})
  target_link_libraries(mailflow_test_${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(mailflow_test_${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "MAILFLOW_SOURCE_DIR=${PROJECT_SOURCE_DIR};MAILFLOW_BINARY_DIR=${PROJECT_BINARY_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()
