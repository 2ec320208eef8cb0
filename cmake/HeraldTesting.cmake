# herald_discover_tests(TARGET LABELS l1 [l2 ...] [TIMEOUT seconds])
#
# gtest_discover_tests with labels that survive: CMake 3.25 flattens
# PROPERTIES LABELS "stack;integration" into LABELS=stack, so `ctest -L
# integration` would find nothing. The labels are set instead from a script
# that CTest includes after the discovery's own. Discovery runs at test time
# (PRE_TEST), so building never needs the stack.
function(herald_discover_tests target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
  file(WRITE ${script}
       "if(${target}_TESTS)\n"
       "  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()
