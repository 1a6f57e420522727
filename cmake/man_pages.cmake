# Man pages: every docs/man/NAME.N.scd is built with scdoc into NAME.N,
# gzipped reproducibly (gzip -n9, as Debian wants) and installed to
# man/manN. New pages are picked up at the next configure.
option(BLUEGREEN_MAN "Build the man pages (needs scdoc)" ON)
if(NOT BLUEGREEN_MAN)
  return()
endif()
find_program(SCDOC_EXECUTABLE scdoc)
if(NOT SCDOC_EXECUTABLE)
  message(FATAL_ERROR "scdoc builds the man pages: install it (scripts/setup, Debian package "
                      "scdoc) or configure with -DBLUEGREEN_MAN=OFF")
endif()
find_program(GZIP_EXECUTABLE gzip REQUIRED)

# The pages carry the date of the newest cmake/debian/changelog entry, not the
# day of the build, so that they are the same in every build of a release.
set(bluegreen_man_env)
find_program(DPKG_PARSECHANGELOG_EXECUTABLE dpkg-parsechangelog)
if(DPKG_PARSECHANGELOG_EXECUTABLE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/cmake/debian/changelog)
  execute_process(COMMAND ${DPKG_PARSECHANGELOG_EXECUTABLE}
    -l ${PROJECT_SOURCE_DIR}/cmake/debian/changelog -S Timestamp
    OUTPUT_VARIABLE bluegreen_release_epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(bluegreen_release_epoch MATCHES "^[0-9]+$")
    set(bluegreen_man_env SOURCE_DATE_EPOCH=${bluegreen_release_epoch})
  endif()
endif()

file(GLOB bluegreen_man_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.scd)
set(bluegreen_man_pages)
foreach(source IN LISTS bluegreen_man_sources)
  get_filename_component(page ${source} NAME_WLE)  # bluegreend.8
  if(NOT page MATCHES "\\.([1-9])$")
    message(FATAL_ERROR "${source}: a man page source is named NAME.SECTION.scd")
  endif()
  set(section ${CMAKE_MATCH_1})
  set(built ${PROJECT_BINARY_DIR}/man/${page})
  add_custom_command(OUTPUT ${built}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E env ${bluegreen_man_env}
            sh -c "\"$0\" < \"$1\" > \"$2\"" ${SCDOC_EXECUTABLE} ${source} ${built}
    COMMAND ${GZIP_EXECUTABLE} -n9 -f ${built}
    DEPENDS ${source}
    COMMENT "Building man page ${page}"
    VERBATIM)
  list(APPEND bluegreen_man_pages ${built}.gz)
  install(FILES ${built}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${bluegreen_man_pages})
