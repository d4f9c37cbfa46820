# Man pages of the C API (section 3), generated at build time from the public headers' Doxygen
# documentation by scripts/gen-man3.sh (one page per header, a link for every bg_/BG_ name, so
# `man 3 bg_client_call` works), and installed into share/man/man3 with the -dev files. Never
# committed: they cannot drift from the headers. Off (with a message) when doxygen is missing;
# the CLI's page (section 1, made from docs/bentogrpc.1.in by cmake/CliDocs.cmake) is installed
# by cmake/Install.cmake.
option(BG_BUILD_MAN "Generate and install the C API's man pages (section 3; needs doxygen)"
  ${BGI_TOP_LEVEL})
if(BG_BUILD_MAN AND NOT BGI_DOXYGEN)
  message(STATUS "doxygen not found: the C API's man pages (man3) are not generated")
  set(BG_BUILD_MAN OFF)
endif()
if(BG_BUILD_MAN)
  # The `docs` configuration (build/Doxyfile, the same headers and macros) with man output:
  # the headers only (not README.md as main page), warnings left to the `docs` test.
  set(BGI_MAN_DOXYFILE ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile.man)
  file(WRITE ${BGI_MAN_DOXYFILE}
    "@INCLUDE = ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile\n"
    "INPUT = ${PROJECT_SOURCE_DIR}/include/bentogrpc ${CMAKE_CURRENT_BINARY_DIR}/include/bentogrpc/version.h\n"
    "USE_MDFILE_AS_MAINPAGE =\n"
    "GENERATE_HTML = NO\n"
    "GENERATE_MAN = YES\n"
    "MAN_LINKS = YES\n"
    "WARNINGS = NO\n"
    "WARN_LOGFILE =\n")
  file(GLOB BGI_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/bentogrpc/*.h)
  set(BGI_MAN_DIR ${CMAKE_CURRENT_BINARY_DIR}/man)
  add_custom_command(OUTPUT ${BGI_MAN_DIR}/man3.stamp
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/gen-man3.sh ${BGI_MAN_DOXYFILE} ${BGI_MAN_DIR}
    COMMAND ${CMAKE_COMMAND} -E touch ${BGI_MAN_DIR}/man3.stamp
    DEPENDS ${BGI_PUBLIC_HEADERS} ${CMAKE_CURRENT_BINARY_DIR}/include/bentogrpc/version.h
            ${PROJECT_SOURCE_DIR}/scripts/gen-man3.sh ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile
    COMMENT "Doxygen: man pages of the C API (build/man/man3)" VERBATIM)
  add_custom_target(man3 ALL DEPENDS ${BGI_MAN_DIR}/man3.stamp)
  install(DIRECTORY ${BGI_MAN_DIR}/man3 DESTINATION ${CMAKE_INSTALL_MANDIR} COMPONENT dev)
endif()
