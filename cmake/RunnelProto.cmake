# runnel_proto_library(<target> <file.proto> ...)
#
# Compiles .proto files (paths relative to the current source directory) into a static
# library. Generated headers land under the build tree at the same path as the .proto, so
# they are included rooted at the repository like every other header:
# core/foo.proto -> #include "core/foo.pb.h".
function(runnel_proto_library TARGET)
  add_library(${TARGET} STATIC ${ARGN})
  # protoc names outputs relative to the first -I, which protobuf_generate makes the current
  # source directory; mirror that directory under the build tree to keep repository paths.
  file(RELATIVE_PATH rel_dir ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  protobuf_generate(TARGET ${TARGET} LANGUAGE cpp
                    IMPORT_DIRS ${PROJECT_SOURCE_DIR}
                    PROTOC_OUT_DIR ${PROJECT_BINARY_DIR}/${rel_dir})
  target_include_directories(${TARGET} SYSTEM PUBLIC ${PROJECT_BINARY_DIR})
  target_link_libraries(${TARGET} PUBLIC protobuf::libprotobuf)
  # Generated code is not ours to keep warning-free.
  target_compile_options(${TARGET} PRIVATE -Wno-error)
  # protoc gives every generated file the same file-scope names (schemas, ...): they cannot
  # share a translation unit.
  set_target_properties(${TARGET} PROPERTIES UNITY_BUILD OFF)
endfunction()
