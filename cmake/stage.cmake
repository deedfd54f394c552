# One static library per pipeline stage (design.md): flopscope_<stage>, built from every
# src/flopscope/<stage>/*.cc, linking only the stages before it.
function(flopscope_add_stage stage)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${stage}/*.cc)
  if(NOT sources AND NOT stage STREQUAL "data")
    # A stage with headers only (or not written yet) is an interface library.
    add_library(flopscope_${stage} INTERFACE)
    target_include_directories(flopscope_${stage} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(flopscope_${stage} INTERFACE ${ARG_DEPS})
    add_library(flopscope::${stage} ALIAS flopscope_${stage})
    return()
  endif()
  add_library(flopscope_${stage} STATIC ${sources})
  target_include_directories(flopscope_${stage} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(flopscope_${stage} PUBLIC ${ARG_DEPS} PRIVATE flopscope_warnings)
  add_library(flopscope::${stage} ALIAS flopscope_${stage})
endfunction()

# One test binary per stage: tests/<stage>/*_test.cc, linked against that stage.
# PROPERTIES: more test properties for every discovered test (ledger: its PostgreSQL fixture).
function(flopscope_add_stage_tests stage)
  cmake_parse_arguments(ARG "" "" "DEPS;PROPERTIES" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${stage}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(${stage}_test ${sources})
  target_link_libraries(${stage}_test PRIVATE flopscope_${stage} ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock flopscope_warnings)
  target_include_directories(${stage}_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})  # tests/common/
  target_compile_definitions(${stage}_test PRIVATE FLOPSCOPE_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/data")
  gtest_discover_tests(${stage}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${stage} ${ARG_PROPERTIES})
endfunction()
