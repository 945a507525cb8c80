# Debian's libcaf-dev (0.17.6) ships no CMake package: find the pieces by hand
# and expose them as CAF::core and CAF::io.
find_package(Threads REQUIRED)
find_path(CAF_INCLUDE_DIR caf/all.hpp)
find_library(CAF_CORE_LIBRARY NAMES caf_core)
find_library(CAF_IO_LIBRARY NAMES caf_io)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)

if(CAF_FOUND AND NOT TARGET CAF::core)
  add_library(CAF::core INTERFACE IMPORTED)
  target_include_directories(CAF::core SYSTEM INTERFACE ${CAF_INCLUDE_DIR})
  target_link_libraries(CAF::core INTERFACE ${CAF_CORE_LIBRARY} Threads::Threads)
  add_library(CAF::io INTERFACE IMPORTED)
  target_link_libraries(CAF::io INTERFACE ${CAF_IO_LIBRARY} CAF::core)
endif()
