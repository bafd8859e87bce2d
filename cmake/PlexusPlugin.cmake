# plexus_add_plugin(KIND <protocol|storage|routing> NAME <name> SOURCES ... [DEPS ...])
# The only way to build a plugin: a MODULE library named libplexus_<kind>_<name>.so that links
# nothing of the project but plexus::sdk, exports only the entry symbol, and fails to link if it
# reaches for a symbol nobody provides (-Wl,--no-undefined).
function(plexus_add_plugin)
  cmake_parse_arguments(P "" "KIND;NAME" "SOURCES;DEPS" ${ARGN})
  set(tgt plexus_${P_KIND}_${P_NAME})
  add_library(${tgt} MODULE ${P_SOURCES})
  target_link_libraries(${tgt} PRIVATE plexus::sdk ${P_DEPS})
  set_target_properties(${tgt} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME ${tgt}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${PLEXUS_PLUGIN_OUTPUT_DIR})
  target_link_options(${tgt} PRIVATE
    -Wl,--no-undefined
    -Wl,--version-script=${PLEXUS_CMAKE_DIR}/plugin_exports.map)
  set_property(GLOBAL APPEND PROPERTY PLEXUS_PLUGIN_TARGETS ${tgt})
  install(TARGETS ${tgt} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/plexus/plugins)
endfunction()
