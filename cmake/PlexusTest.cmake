# plexus_add_test(NAME <name> LABEL <unit|conformance|integration|...> SOURCES ... [DEPS ...])
# One Catch2 executable; each TEST_CASE becomes a ctest test carrying the label.
include(CTest)
function(plexus_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL" "SOURCES;DEPS;ENVIRONMENT" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE Catch2::Catch2WithMain ${T_DEPS})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
  catch_discover_tests(${T_NAME}
    TEST_PREFIX "${T_NAME}."
    PROPERTIES LABELS "${T_LABEL}" ENVIRONMENT "${T_ENVIRONMENT}"
    DISCOVERY_MODE PRE_TEST)
endfunction()
