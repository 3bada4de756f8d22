# Helpers shared by every component's CMakeLists.txt.
#
# sim_add_model(<name> SRCS a.cc b.cc [TESTS a_test.cc] [DEPS lib...])
#   builds a static library for one component and adds its Catch2 tests (files beside the
#   component) to the single unit-test executable, tests/xpusim_unit_tests.
function(sim_add_model name)
  cmake_parse_arguments(M "" "" "SRCS;TESTS;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${M_DEPS})
  if(M_TESTS)
    foreach(t ${M_TESTS})
      get_filename_component(abs ${t} ABSOLUTE)
      set_property(GLOBAL APPEND PROPERTY XPUSIM_TEST_SOURCES ${abs})
    endforeach()
    set_property(GLOBAL APPEND PROPERTY XPUSIM_TEST_LIBS ${name})
  endif()
endfunction()
