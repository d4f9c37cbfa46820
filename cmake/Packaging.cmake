# Debian packages with CPack's DEB generator, one package per install component
# (cmake/Install.cmake names them): `bash scripts/package-deb.sh` configures a build with
# CMAKE_INSTALL_PREFIX=/usr (GNUInstallDirs then gives the multiarch lib/<triplet>) and runs
# `cpack -G DEB`. docs/PACKAGING.md says what each package holds and why CPack.
#   runtime -> libbentogrpc0        the shared library by SONAME; shlibs + symbols control files
#   dev     -> libbentogrpc-dev     headers, libbentogrpc.so, libbentogrpc.a, bentogrpc.pc, the
#                                   CMake package, man3
#   cli     -> bentogrpc            the CLI, bentogrpc(1), bash completion, the docs
#   python  -> python3-bentogrpc    bindings/python in /usr/lib/python3/dist-packages
# Dependencies on shared libraries are computed by dpkg-shlibdeps from the binaries; typed here
# are only those no binary shows: -dev on the -dev packages bentogrpc.pc requires, and the
# Python package on what its ctypes code loads.
if(CMAKE_VERSION VERSION_LESS 3.19)
  return() # CPACK_PRE_BUILD_SCRIPTS (3.19) compresses the man pages and writes the symbols file
endif()

set(BGI_DEB_DIR ${CMAKE_CURRENT_BINARY_DIR}/packaging/deb)
set(BGI_DEB_SOURCE ${PROJECT_SOURCE_DIR}/packaging/deb)
set(BGI_SOVERSION ${PROJECT_VERSION_MAJOR})
set(BGI_DEB_RUNTIME libbentogrpc${BGI_SOVERSION})
set(BG_DEB_MAINTAINER "libbentogrpc maintainers <maintainers@users.noreply.r-seed-97fbf156.example>"
  CACHE STRING "Maintainer field of the Debian packages")
set(BG_DEB_RELEASE 1 CACHE STRING "Debian revision of the packages (VERSION-RELEASE)")
# The ABI range a binary built against this version may use (README, "Versions and ABI policy"):
# in 0.x a minor release may break the ABI under the same SONAME, so up to the next minor; from
# 1.0 on, a new SONAME breaks it, so up to the next major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  math(EXPR BGI_NEXT_MINOR "${PROJECT_VERSION_MINOR} + 1")
  set(BGI_ABI_BELOW "0.${BGI_NEXT_MINOR}~")
  set(BGI_ABI_SINCE "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}.0")
else()
  math(EXPR BGI_NEXT_MAJOR "${PROJECT_VERSION_MAJOR} + 1")
  set(BGI_ABI_BELOW "${BGI_NEXT_MAJOR}~")
  set(BGI_ABI_SINCE "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}.0")
endif()
set(BGI_ABI_DEPENDS "${BGI_DEB_RUNTIME} (>= ${BGI_ABI_SINCE}), ${BGI_DEB_RUNTIME} (<< ${BGI_ABI_BELOW})")

# The CLI installed into the system's library directory needs no RPATH (lintian: an RPATH to a
# system directory is an error); elsewhere it keeps $ORIGIN/../lib (cmake/Install.cmake).
if(CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
  set_target_properties(bentogrpc_cli PROPERTIES INSTALL_RPATH "")
endif()

# Per package: /usr/share/doc/<package>/copyright and changelog.Debian (gzipped at packaging),
# only for the packages (EXCLUDE_FROM_ALL: `cmake --install` does not install them).
string(TIMESTAMP BGI_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
file(WRITE ${BGI_DEB_DIR}/changelog.Debian
  "bentogrpc (${PROJECT_VERSION}-${BG_DEB_RELEASE}) unstable; urgency=medium\n\n"
  "  * libbentogrpc ${PROJECT_VERSION}, packaged from its source tree by\n"
  "    scripts/package-deb.sh (CPack).\n\n"
  " -- ${BG_DEB_MAINTAINER}  ${BGI_DEB_DATE}\n")
set(BGI_DEB_PACKAGES runtime:${BGI_DEB_RUNTIME} dev:libbentogrpc-dev cli:bentogrpc
  python:python3-bentogrpc)
foreach(pair IN LISTS BGI_DEB_PACKAGES)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 component)
  list(GET pair 1 package)
  string(TOUPPER ${component} COMPONENT)
  set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_NAME ${package})
  install(FILES ${BGI_DEB_SOURCE}/copyright ${BGI_DEB_DIR}/changelog.Debian
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

# The Python package where Debian's python3 finds it, with its metadata (a dist-info, so that
# importlib.metadata and pip see it as installed); _lib.py loads the library by its SONAME.
set(BGI_PY_DIR lib/python3/dist-packages)
file(GLOB BGI_PY_MODULES ${PROJECT_SOURCE_DIR}/bindings/python/bentogrpc/*.py)
install(FILES ${BGI_PY_MODULES} ${PROJECT_SOURCE_DIR}/bindings/python/bentogrpc/py.typed
  DESTINATION ${BGI_PY_DIR}/bentogrpc COMPONENT python EXCLUDE_FROM_ALL)
file(READ ${PROJECT_SOURCE_DIR}/bindings/python/pyproject.toml BGI_PYPROJECT)
string(REGEX MATCH "description = \"([^\"]*)\"" _ "${BGI_PYPROJECT}")
set(BGI_PY_SUMMARY "${CMAKE_MATCH_1}")
set(BGI_DIST_INFO ${BGI_DEB_DIR}/bentogrpc-${PROJECT_VERSION}.dist-info)
file(WRITE ${BGI_DIST_INFO}/METADATA
  "Metadata-Version: 2.1\nName: bentogrpc\nVersion: ${PROJECT_VERSION}\n"
  "Summary: ${BGI_PY_SUMMARY}\nLicense: Apache-2.0\nRequires-Python: >=3.9\n"
  "Requires-Dist: numpy\n")
file(WRITE ${BGI_DIST_INFO}/INSTALLER "dpkg\n")
install(DIRECTORY ${BGI_DIST_INFO} DESTINATION ${BGI_PY_DIR} COMPONENT python EXCLUDE_FROM_ALL)

# Control files: the runtime package's shlibs (symbols is written at packaging from the staged
# library, packaging/deb/prebuild.cmake) and ldconfig trigger; the Python package's maintainer
# scripts (byte-compile on install, clean on removal).
file(WRITE ${BGI_DEB_DIR}/runtime/shlibs "libbentogrpc ${BGI_SOVERSION} ${BGI_ABI_DEPENDS}\n")
configure_file(${BGI_DEB_SOURCE}/libbentogrpc.triggers ${BGI_DEB_DIR}/runtime/triggers COPYONLY)
configure_file(${BGI_DEB_SOURCE}/python3-bentogrpc.postinst ${BGI_DEB_DIR}/python/postinst COPYONLY)
configure_file(${BGI_DEB_SOURCE}/python3-bentogrpc.prerm ${BGI_DEB_DIR}/python/prerm COPYONLY)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bentogrpc)
set(CPACK_PACKAGE_VENDOR libbentogrpc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${BG_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev cli python)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${BG_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SOURCE bentogrpc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The CLI's dependency on libbentogrpc0 is computed too: dpkg-shlibdeps finds the staged
# library here (a link made by prebuild.cmake) and its package's DEBIAN/symbols.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
  ${BGI_DEB_DIR}/staged-runtime/${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
set(CPACK_PRE_BUILD_SCRIPTS ${BGI_DEB_SOURCE}/prebuild.cmake)
# read by prebuild.cmake
set(CPACK_BG_DEB_DIR ${BGI_DEB_DIR})
set(CPACK_BG_RUNTIME_PACKAGE ${BGI_DEB_RUNTIME})
set(CPACK_BG_ABI_DEPENDS_BELOW "${BGI_DEB_RUNTIME} (<< ${BGI_ABI_BELOW})")
set(CPACK_BG_ABI_SINCE ${BGI_ABI_SINCE})
set(CPACK_BG_LIBDIR ${CMAKE_INSTALL_LIBDIR})

set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "C client library for BentoML's gRPC protocol
libbentogrpc calls model servers that speak BentoML's gRPC protocol: discovery
of a server's APIs, every BentoML IO descriptor (ndarray, dataframe, series,
JSON, text, file, image, multipart), synchronous and asynchronous calls, TLS
and mutual TLS, health checks, interceptors.

This package contains the shared library.")
# The ldconfig trigger replaces the postinst/postrm that call ldconfig, which CPack writes unless
# the control files name a postinst and a postrm: these two names are given and do not exist,
# so CPack writes none and adds none (lintian: maintscript-calls-ldconfig).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${BGI_DEB_DIR}/runtime/shlibs
  ${BGI_DEB_DIR}/runtime/symbols ${BGI_DEB_DIR}/runtime/triggers
  ${BGI_DEB_DIR}/runtime/none/postinst ${BGI_DEB_DIR}/runtime/none/postrm)

set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "C client library for BentoML's gRPC protocol - development files
libbentogrpc calls model servers that speak BentoML's gRPC protocol.

This package contains the headers, the static library, the pkg-config file
(bentogrpc.pc), the CMake package (find_package(bentogrpc)) and the man pages
of the C API.")
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
# bentogrpc.pc's Requires.private (pkg-config --cflags reads them) and the static library's links
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libgrpc-dev, libprotobuf-c-dev, libjansson-dev, libssl-dev")

set(CPACK_DEBIAN_CLI_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CLI_DESCRIPTION "command-line client for BentoML gRPC model servers
bentogrpc describes a BentoML server's APIs, calls them with any input kind,
checks health, waits for readiness and runs load tests (bench), with TLS,
JSON output and script-friendly exit codes. Built on libbentogrpc.")

set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_DESCRIPTION "Python client for BentoML gRPC model servers (libbentogrpc)
The bentogrpc module calls BentoML model servers over gRPC through
libbentogrpc (ctypes): numpy arrays without copies, pandas dataframes and
series, images, files, JSON, and an asyncio client.")
# typed by hand: ctypes loads libbentogrpc.so.0 at import, which no binary records
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3:any, python3-numpy, ${BGI_ABI_DEPENDS}")
set(CPACK_DEBIAN_PYTHON_PACKAGE_SUGGESTS "python3-pandas, python3-pil")
set(CPACK_DEBIAN_PYTHON_PACKAGE_CONTROL_EXTRA ${BGI_DEB_DIR}/python/postinst
  ${BGI_DEB_DIR}/python/prerm)

include(CPack)
