# plexus_add_test(NAME <name> LABEL <unit|conformance|integration|...> SOURCES ... [DEPS ...])
# One Catch2 executable; each TEST_CASE becomes a ctest test carrying the label.
include(CTest)
function(plexus_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL" "SOURCES;DEPS;ENVIRONMENT" ${ARGN})
  # catch_discover_tests splits a test name at ';', and ctest then passes each half without
  # running a test: refuse such names at configure time.
  foreach(src IN LISTS T_SOURCES)
    get_filename_component(path ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(EXISTS ${path})
      file(READ ${path} text)
      if(text MATCHES "TEST_CASE\\([ \t\r\n]*\"[^\"]*;")
        message(FATAL_ERROR "${path}: a TEST_CASE name contains ';', which ctest would split into names that run no test")
      endif()
    endif()
  endforeach()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE Catch2::Catch2WithMain ${T_DEPS})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
  catch_discover_tests(${T_NAME}
    TEST_PREFIX "${T_NAME}."
    PROPERTIES LABELS "${T_LABEL}" ENVIRONMENT "${T_ENVIRONMENT}"
    DISCOVERY_MODE PRE_TEST)
endfunction()
