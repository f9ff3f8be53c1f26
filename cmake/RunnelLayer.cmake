# runnel_layer(NAME <target> [SOURCES ...] [DEPENDS ...])
#
# Declares one layer of Runnel as a static library. DEPENDS lists what the layer may use:
# lower layers and third-party targets, as ../shared/DESIGN.md allows. A layer that has no
# source file yet is an INTERFACE library carrying the same dependency edges, so that the
# targets above it link the same way before and after it gains code.
function(runnel_layer)
  cmake_parse_arguments(LAYER "" "NAME" "SOURCES;DEPENDS" ${ARGN})
  if(LAYER_SOURCES)
    add_library(${LAYER_NAME} STATIC ${LAYER_SOURCES})
    target_link_libraries(${LAYER_NAME} PUBLIC ${LAYER_DEPENDS})
  else()
    add_library(${LAYER_NAME} INTERFACE)
    target_link_libraries(${LAYER_NAME} INTERFACE ${LAYER_DEPENDS})
  endif()
endfunction()
