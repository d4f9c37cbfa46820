# bg_protoc_c(<out-var> PROTO_DIR <dir> PROTOS <rel.proto>... WELL_KNOWN <rel.proto>...)
# Runs protoc-c at build time; the generated .pb-c.c/.h files live only in the build tree.
# WELL_KNOWN protos (google/protobuf/*.proto) come from the system's protobuf include dir,
# because libprotobuf-c ships no C code for them.
find_program(PROTOC_C_EXECUTABLE NAMES protoc-c protoc-gen-c REQUIRED)
find_path(BGI_PROTOBUF_INCLUDE google/protobuf/struct.proto
  HINTS /usr/include /usr/local/include REQUIRED)
set(BGI_PROTO_INCLUDE_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)

function(bg_protoc_c out_var)
  cmake_parse_arguments(ARG "" "PROTO_DIR" "PROTOS;WELL_KNOWN" ${ARGN})
  set(outputs)
  file(MAKE_DIRECTORY ${BGI_PROTO_INCLUDE_DIR})
  foreach(rel IN LISTS ARG_PROTOS ARG_WELL_KNOWN)
    if(rel IN_LIST ARG_WELL_KNOWN)
      set(src_dir ${BGI_PROTOBUF_INCLUDE})
    else()
      set(src_dir ${ARG_PROTO_DIR})
    endif()
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(gen_c ${BGI_PROTO_INCLUDE_DIR}/${stem}.pb-c.c)
    set(gen_h ${BGI_PROTO_INCLUDE_DIR}/${stem}.pb-c.h)
    add_custom_command(
      OUTPUT ${gen_c} ${gen_h}
      COMMAND ${PROTOC_C_EXECUTABLE} -I${ARG_PROTO_DIR} -I${BGI_PROTOBUF_INCLUDE}
              --c_out=${BGI_PROTO_INCLUDE_DIR} ${src_dir}/${rel}
      DEPENDS ${src_dir}/${rel}
      COMMENT "protoc-c ${rel}"
      VERBATIM)
    list(APPEND outputs ${gen_c})
  endforeach()
  set_source_files_properties(${outputs} PROPERTIES COMPILE_OPTIONS "-Wno-error;-w")
  set(${out_var} ${outputs} PARENT_SCOPE)
endfunction()
