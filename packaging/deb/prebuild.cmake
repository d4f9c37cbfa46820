# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS, cmake/Packaging.cmake): runs once every
# component is staged under CPACK_TEMPORARY_DIRECTORY/<component>, before the .deb files are
# made. It does what debhelper would in a debian/ build:
#   - binaries stripped as dh_strip does (CPACK_STRIP_FILES strips the debug symbols; this also
#     drops the .comment and .note sections, and the static library's debug symbols);
#   - man pages and changelog.Debian compressed with gzip -9n, the man3 links (symbolic links,
#     scripts/gen-man3.sh) pointing at the compressed pages (dh_installman, dh_compress);
#   - DEBIAN/symbols of the runtime package from the staged library's dynamic symbols: every
#     bg_ function at the first version of this ABI (MAJOR.MINOR.0: a patch release never adds
#     any, README "Versions and ABI policy"), and the upper bound of that ABI (dpkg-gensymbols'
#     job; the symbols are the library's, not a list kept by hand);
#   - a link to the staged runtime package (with that DEBIAN/symbols inside) where
#     CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS points, so dpkg-shlibdeps computes the CLI's
#     dependency on libbentogrpc0 like any other.
set(stage ${CPACK_TEMPORARY_DIRECTORY})
find_program(GZIP gzip REQUIRED)
find_program(NM nm REQUIRED)
find_program(STRIP strip REQUIRED)
set(prefix ${CPACK_PACKAGING_INSTALL_PREFIX})

macro(bg_strip)
  execute_process(COMMAND ${STRIP} --remove-section=.comment --remove-section=.note ${ARGN}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "prebuild: strip ${ARGN} failed")
  endif()
endmacro()
file(GLOB shared ${stage}/runtime${prefix}/${CPACK_BG_LIBDIR}/libbentogrpc.so.*.*)
file(GLOB static ${stage}/dev${prefix}/${CPACK_BG_LIBDIR}/libbentogrpc.a)
file(GLOB programs ${stage}/cli${prefix}/bin/*)
if(NOT shared OR NOT static OR NOT programs)
  message(FATAL_ERROR "prebuild: the shared library, static library or CLI is not staged")
endif()
bg_strip(--strip-unneeded ${shared})
bg_strip(${programs})
bg_strip(--strip-debug --enable-deterministic-archives ${static})

file(GLOB_RECURSE pages LIST_DIRECTORIES false
  ${stage}/*${prefix}/share/man/man*/*.[0-9] ${stage}/*${prefix}/share/doc/*/changelog.Debian)
foreach(page IN LISTS pages)
  if(IS_SYMLINK ${page})
    file(READ_SYMLINK ${page} target)
    file(REMOVE ${page})
    file(CREATE_LINK ${target}.gz ${page}.gz SYMBOLIC)
  else()
    execute_process(COMMAND ${GZIP} -9nf ${page} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "prebuild: gzip ${page} failed")
    endif()
  endif()
endforeach()

set(libs ${shared})
list(LENGTH libs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "prebuild: expected one libbentogrpc.so.X.Y.Z in the runtime stage, found: ${libs}")
endif()
execute_process(COMMAND ${NM} -D --defined-only ${libs} OUTPUT_VARIABLE nm RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "prebuild: nm -D ${libs} failed")
endif()
string(REGEX MATCHALL "[^\n]+" lines "${nm}")
set(symbols "")
foreach(line IN LISTS lines)
  # "ADDRESS TYPE NAME@@NODE" (functions, T) or "0 A NODE" (the version node itself)
  if(line MATCHES "^[0-9a-f]+ T (bg_[A-Za-z0-9_]+)@@([A-Z0-9_]+)$")
    list(APPEND symbols " ${CMAKE_MATCH_1}@${CMAKE_MATCH_2} ${CPACK_BG_ABI_SINCE}")
  elseif(line MATCHES "^[0-9a-f]+ A ([A-Z0-9_]+)$")
    list(APPEND symbols " ${CMAKE_MATCH_1}@${CMAKE_MATCH_1} ${CPACK_BG_ABI_SINCE}")
  else()
    message(FATAL_ERROR "prebuild: unexpected dynamic symbol in ${libs}: ${line} "
      "(libbentogrpc.so exports bg_ functions under its version node only)")
  endif()
endforeach()
list(SORT symbols)
list(JOIN symbols "\n" symbols)
get_filename_component(libname ${libs} NAME)
string(REGEX REPLACE "^(libbentogrpc\\.so\\.[0-9]+).*" "\\1" soname ${libname})
file(WRITE ${CPACK_BG_DEB_DIR}/runtime/symbols
  "${soname} ${CPACK_BG_RUNTIME_PACKAGE} #MINVER#, ${CPACK_BG_ABI_DEPENDS_BELOW}\n"
  "* Build-Depends-Package: libbentogrpc-dev\n${symbols}\n")
file(MAKE_DIRECTORY ${stage}/runtime/DEBIAN)
file(COPY ${CPACK_BG_DEB_DIR}/runtime/symbols ${CPACK_BG_DEB_DIR}/runtime/shlibs
  DESTINATION ${stage}/runtime/DEBIAN)
file(REMOVE ${CPACK_BG_DEB_DIR}/staged-runtime)
file(CREATE_LINK ${stage}/runtime ${CPACK_BG_DEB_DIR}/staged-runtime SYMBOLIC)
