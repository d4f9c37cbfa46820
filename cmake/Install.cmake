# Install rules: headers, shared + static library, bentogrpc.pc, the CMake package
# (bentogrpc::bentogrpc, bentogrpc::bentogrpc_static, bentogrpc::bentogrpc_cpp: the header-only
# C++ API), bentogrpc-cpp.pc, the CLI with its man page and bash completion, LICENSE and the
# docs. Everything is relative to the prefix, so an installed tree can be moved (cmake --install build --prefix ANYWHERE).
include(CMakePackageConfigHelpers)

set_target_properties(bentogrpc PROPERTIES EXPORT_NAME bentogrpc)
set_target_properties(bentogrpc_static PROPERTIES EXPORT_NAME bentogrpc_static)
# Each rule names its component, the unit cmake/Packaging.cmake makes a Debian package of:
# runtime (the shared library by SONAME), dev (headers, the C++ header, libbentogrpc.so link,
# static library, bentogrpc.pc, the CMake package, man3), cli (the CLI, its man page, completion,
# the docs), license (LICENSE; the packages carry a Debian copyright file instead).
set_target_properties(bentogrpc_cpp PROPERTIES EXPORT_NAME bentogrpc_cpp)
install(TARGETS bentogrpc bentogrpc_static bentogrpc_cpp EXPORT bentogrpcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS bentogrpc_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
install(DIRECTORY include/bentogrpc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/bentogrpc/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bentogrpc COMPONENT dev)

# bentogrpc.pc finds its prefix from its own place: ${pcfiledir} is LIBDIR/pkgconfig, so as many
# ".." as LIBDIR/pkgconfig has components.
string(REGEX REPLACE "[^/]+" ".." BGI_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(cmake/bentogrpc.pc.in ${CMAKE_CURRENT_BINARY_DIR}/bentogrpc.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bentogrpc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
# bentogrpc-cpp.pc: the C++ API (header-only: bentogrpc.pc's flags; the compiler must be at C++17
# or later: GCC >= 11 is by default, Clang 14 needs -std=c++17). No -std flag here: it would
# override a caller's -std=c++20.
configure_file(cmake/bentogrpc-cpp.pc.in ${CMAKE_CURRENT_BINARY_DIR}/bentogrpc-cpp.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bentogrpc-cpp.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

set(BGI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bentogrpc)
install(EXPORT bentogrpcTargets NAMESPACE bentogrpc:: DESTINATION ${BGI_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/bentogrpcConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bentogrpcConfig.cmake INSTALL_DESTINATION ${BGI_CMAKE_DIR})
# 0.x: a new minor version may change the ABI (README, "ABI policy"), so only the same
# major.minor is compatible; from 1.0 on, the same major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(BGI_COMPAT SameMinorVersion)
else()
  set(BGI_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bentogrpcConfigVersion.cmake
  COMPATIBILITY ${BGI_COMPAT})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bentogrpcConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/bentogrpcConfigVersion.cmake DESTINATION ${BGI_CMAKE_DIR} COMPONENT dev)

install(FILES ${BGI_CLI_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
install(FILES ${BGI_CLI_COMPLETION} DESTINATION
  ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT cli)
install(FILES README.md docs/PROTOCOL.md docs/INTERNALS.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT cli)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT license)

# Reference docs from the public headers: `cmake --build build --target docs` writes
# build/docs/html (Doxygen's warnings in build/docs/warnings.log).
find_program(BGI_DOXYGEN doxygen)
if(BGI_DOXYGEN)
  configure_file(docs/Doxyfile.in ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/docs
    COMMAND ${BGI_DOXYGEN} ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
    COMMENT "Doxygen: build/docs/html" VERBATIM)
endif()
