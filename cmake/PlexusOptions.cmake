# Language level, warnings, sanitizers and the compiler cache, for every target.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
endif()

find_program(PLEXUS_CCACHE ccache)
if(PLEXUS_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${PLEXUS_CCACHE})
endif()

set(PLEXUS_SANITIZE "" CACHE STRING "comma-separated sanitizers, e.g. address,undefined")
if(PLEXUS_SANITIZE)
  add_compile_options(-fsanitize=${PLEXUS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${PLEXUS_SANITIZE})
endif()

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

# Where every plugin .so lands in the build tree, so tests and plexusd find them.
set(PLEXUS_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
set(PLEXUS_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

include(GNUInstallDirs)

# Adds every direct subdirectory that has a CMakeLists.txt, so a new plugin or test folder
# joins the build without editing its parent.
macro(plexus_add_subdirectories)
  get_property(_plexus_added DIRECTORY PROPERTY SUBDIRECTORIES)
  file(GLOB _plexus_children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _plexus_children)
  foreach(_plexus_child IN LISTS _plexus_children)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_plexus_child}/CMakeLists.txt
       AND NOT ${CMAKE_CURRENT_SOURCE_DIR}/${_plexus_child} IN_LIST _plexus_added)
      add_subdirectory(${_plexus_child})
    endif()
  endforeach()
endmacro()
