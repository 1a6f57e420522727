# Run by cpack before it packages (CPACK_PROJECT_CONFIG_FILE): the package
# needs a tree configured for /usr (its units name /usr/bin/bluegreend), and
# cmake/debian/changelog must describe this version.
if(NOT CPACK_BLUEGREEN_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "the Debian package is built from a tree configured with "
    "-DCMAKE_INSTALL_PREFIX=/usr; this one has ${CPACK_BLUEGREEN_INSTALL_PREFIX}")
endif()
if(NOT CPACK_BLUEGREEN_CHANGELOG_VERSION STREQUAL CPACK_PACKAGE_VERSION)
  message(FATAL_ERROR "cmake/debian/changelog's newest entry is for "
    "${CPACK_BLUEGREEN_CHANGELOG_VERSION}, the project's version is ${CPACK_PACKAGE_VERSION}: "
    "add an entry for ${CPACK_PACKAGE_VERSION} at its top")
endif()
