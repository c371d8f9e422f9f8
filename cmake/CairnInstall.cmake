# Install rules: the library, the public headers, the cairn program, a CMake package
# exporting cairn::cairn for find_package(cairn), and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS cairn EXPORT cairnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/cairn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS cairn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT cairnTargets
  FILE cairnTargets.cmake
  NAMESPACE cairn::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cairn)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cairnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cairnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cairn)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cairnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cairnConfig.cmake ${PROJECT_BINARY_DIR}/cairnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cairn)

# The pkg-config file names its prefix relative to its own directory (${pcfiledir}), so it
# stays right when the prefix is chosen at install time (cmake --install --prefix P) or the
# tree is moved (DESTDIR staging). An absolute LIBDIR or INCLUDEDIR is kept as given, and an
# absolute LIBDIR pins the prefix to the configured one (the relation is then unknown).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(CAIRN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH cairn_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" cairn_pc_up "${cairn_pc_up}")
  set(CAIRN_PC_PREFIX "\${pcfiledir}/${cairn_pc_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(CAIRN_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(CAIRN_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/cairn.pc.in ${PROJECT_BINARY_DIR}/cairn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cairn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
