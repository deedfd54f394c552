# The page in headless Chromium (tests/server/browser_test.py; docs/server.md, "Tests"):
# label browser; skipped (77) when chromium is absent, failing instead when CI is set.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  set(_browser_args)
  if(EXISTS ${PROJECT_SOURCE_DIR}/apps/server/web/node_modules/uplot/dist/uPlot.iife.min.js)
    set(_browser_args --expect-charts)
  endif()
  add_test(NAME browser
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/server/browser_test.py
                   --serve $<TARGET_FILE:flopscope-serve> --cli $<TARGET_FILE:flopscope>
                   --data ${CMAKE_CURRENT_SOURCE_DIR}/data --out ${CMAKE_CURRENT_BINARY_DIR}/browser ${_browser_args})
  set_tests_properties(browser PROPERTIES LABELS "browser;server" SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
