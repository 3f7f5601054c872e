# tpbench_add_subdirs(a b c): add each sub-folder that has a CMakeLists.txt. Folders are owned
# by separate pieces of work and land one by one.
macro(tpbench_add_subdirs)
  foreach(tpbench_subdir_ ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${tpbench_subdir_}/CMakeLists.txt)
      add_subdirectory(${tpbench_subdir_})
    endif()
  endforeach()
endmacro()
