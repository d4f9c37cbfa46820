# Makes the CLI's man page and bash completion from the CLI's own option table, so that neither
# can drift from it: runs the built CLI with --print-man-options (spliced into the page's
# template at @CLI_MAN_OPTIONS@) and --print-completion.
# usage: cmake -DCLI=PATH -DTEMPLATE=docs/bentogrpc.1.in -DMAN_OUT=PATH -DCOMPLETION_OUT=PATH
#              -P cmake/CliDocs.cmake
foreach(var CLI TEMPLATE MAN_OUT COMPLETION_OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CliDocs.cmake: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${CLI}" --print-man-options OUTPUT_VARIABLE options
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CLI} --print-man-options failed (${rc})")
endif()
file(READ "${TEMPLATE}" page)
string(FIND "${page}" "@CLI_MAN_OPTIONS@\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TEMPLATE} has no @CLI_MAN_OPTIONS@ line")
endif()
string(REPLACE "@CLI_MAN_OPTIONS@\n" "${options}" page "${page}")
file(WRITE "${MAN_OUT}" "${page}")
execute_process(COMMAND "${CLI}" --print-completion OUTPUT_VARIABLE completion
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CLI} --print-completion failed (${rc})")
endif()
file(WRITE "${COMPLETION_OUT}" "${completion}")
