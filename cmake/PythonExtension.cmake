# The Python binding's _fastcall extension (bindings/python/README.md "The _fastcall
# extension"): built next to libbentogrpc.so, where the package looks for it when it loads the
# library from a build tree (the bindings_python tests); bindings/python/setup.py builds this
# target into the wheel. Optional: without Python's development headers (Debian: python3-dev)
# or numpy's, nothing is built and the package calls through ctypes alone. Not in the
# sanitizer and fuzz builds: an instrumented module cannot be loaded into an uninstrumented
# Python. The module is not linked against libbentogrpc: the package hands it the addresses
# of the library's functions it loaded (one library instance in the process).
option(BG_PYTHON_EXTENSION "Build the Python binding's _fastcall extension (needs python3-dev, numpy)" ON)
if(BG_PYTHON_EXTENSION AND NOT BG_SANITIZE AND NOT BG_SANITIZE_THREAD AND NOT BG_FUZZ)
  # The interpreter the tests run (tests/CMakeLists.txt) and Debian's numpy loads under, not
  # whichever python3 comes first on PATH; setup.py passes the one building the wheel.
  if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3)
  endif()
  find_package(Python3 COMPONENTS Interpreter Development.Module NumPy)
  if(Python3_Development.Module_FOUND AND Python3_NumPy_FOUND)
    Python3_add_library(bentogrpc_fastcall MODULE WITH_SOABI
                        bindings/python/bentogrpc/_fastcall.c
                        bindings/python/bentogrpc/_fastcall_route.c
                        bindings/python/bentogrpc/_fastcall_input.c
                        bindings/python/bentogrpc/_fastcall_output.c
                        bindings/python/bentogrpc/_fastcall_strings.c)
    target_include_directories(bentogrpc_fastcall PRIVATE
      "${BGI_PUBLIC_INCLUDES}" ${Python3_NumPy_INCLUDE_DIRS})
    set_target_properties(bentogrpc_fastcall PROPERTIES
      OUTPUT_NAME _fastcall PREFIX "" C_VISIBILITY_PRESET hidden
      LIBRARY_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    message(STATUS "Python extension _fastcall: built (Python ${Python3_VERSION})")
  else()
    message(STATUS "Python extension _fastcall: not built (no Python development headers or "
                   "numpy headers: apt-get install python3-dev python3-numpy)")
  endif()
endif()
