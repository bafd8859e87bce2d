# cmake -P run_build_check.cmake: configures tests/build-checks/project (if needed), builds one
# TARGET and checks the outcome.
#   -DPROJECT_DIR= -DBINARY_DIR= -DPLEXUS_SOURCE_DIR= -DGENERATOR= -DCXX_COMPILER= -DBUILD_TYPE=
#   -DSANITIZE=  -DTARGET=  -DEXPECT=success|failure  -DEXPECT_REGEX=<must appear in the output>
#   -DEXPORTS=<for success: the only dynamic symbol the .so may define>
foreach(v PROJECT_DIR BINARY_DIR PLEXUS_SOURCE_DIR GENERATOR CXX_COMPILER TARGET EXPECT)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_build_check.cmake: -D${v}= is required")
  endif()
endforeach()

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
          -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
          -DPLEXUS_SANITIZE=${SANITIZE} -DPLEXUS_SOURCE_DIR=${PLEXUS_SOURCE_DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the build-check project failed (not the check itself):\n${out}")
endif()

execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target ${TARGET}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

if(EXPECT STREQUAL "failure")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${TARGET} built, but a plugin must not be able to do this:\n${out}")
  endif()
  if(DEFINED EXPECT_REGEX AND NOT out MATCHES "${EXPECT_REGEX}")
    message(FATAL_ERROR "${TARGET} failed, but not for the expected reason "
                        "(/${EXPECT_REGEX}/):\n${out}")
  endif()
  message(STATUS "${TARGET} failed as required: ${CMAKE_MATCH_0}")
else()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TARGET} must build:\n${out}")
  endif()
  if(DEFINED EXPORTS)
    file(GLOB so ${BINARY_DIR}/plugins/lib${TARGET}.so)
    if(NOT so)
      message(FATAL_ERROR "${TARGET} built but ${BINARY_DIR}/plugins/lib${TARGET}.so is missing")
    endif()
    execute_process(COMMAND nm -D --defined-only ${so}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE syms ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "nm -D ${so} failed: ${err}")
    endif()
    string(REGEX MATCHALL "[^\n]+" lines "${syms}")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES " ${EXPORTS}$")
        message(FATAL_ERROR "${so} exports more than ${EXPORTS}:\n${syms}")
      endif()
    endforeach()
  endif()
  message(STATUS "${TARGET} built")
endif()
