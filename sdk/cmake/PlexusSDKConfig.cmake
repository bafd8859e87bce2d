# find_package(PlexusSDK): the SDK headers as plexus::sdk and plexus_add_plugin() for plugins
# built outside the Plexus tree. The plugin must be built with the same toolchain and flags as
# the broker; the build fingerprint makes the loader refuse it otherwise.
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.81 EXACT)
find_dependency(fmt)
include(${CMAKE_CURRENT_LIST_DIR}/PlexusSDKTargets.cmake)
set(PLEXUS_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT PLEXUS_PLUGIN_OUTPUT_DIR)
  set(PLEXUS_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
endif()
include(GNUInstallDirs)
include(${CMAKE_CURRENT_LIST_DIR}/PlexusPlugin.cmake)
set(PlexusSDK_FOUND TRUE)
