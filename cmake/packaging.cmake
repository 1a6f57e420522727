# What `cmake --install` and the Debian package install besides the programs
# (systemd units, sysusers and tmpfiles snippets, the configuration, docs),
# and the package itself: `cpack -G DEB` in a tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/test's build/release) writes
# bluegreen_<version>_<arch>.deb. CPack rather than debian/ and
# dpkg-buildpackage: one build system, the package comes from the release
# build scripts/test makes anyway, and CPack runs dpkg-shlibdeps for the
# dependencies. docs/operations.md ("The Debian package") says more.

# The unit files in systemd/ are written for `cmake --install` to
# /usr/local; the package's are the same files with the install prefix's
# paths. Under /usr, Debian 12 keeps units in /lib/systemd/system.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(bluegreen_unit_dir /lib/systemd/system)
else()
  set(bluegreen_unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
foreach(unit bluegreend.service bluegreen-nginx.socket bluegreen-nginx@.service)
  set(source ${PROJECT_SOURCE_DIR}/systemd/${unit})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
  file(READ ${source} text)
  string(REPLACE "/usr/local/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" text "${text}")
  string(REPLACE "/usr/local/libexec/" "${CMAKE_INSTALL_FULL_LIBEXECDIR}/" text "${text}")
  string(REPLACE "/usr/local/share/doc/bluegreen/" "${CMAKE_INSTALL_FULL_DOCDIR}/" text "${text}")
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/systemd/${unit} CONTENT "${text}")
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${unit} DESTINATION ${bluegreen_unit_dir})
endforeach()
install(FILES systemd/bluegreen.sysusers DESTINATION lib/sysusers.d RENAME bluegreen.conf)
install(FILES systemd/bluegreen.tmpfiles DESTINATION lib/tmpfiles.d RENAME bluegreen.conf)
install(FILES cmake/debian/bluegreen.toml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/bluegreen)

# Documentation, with the changelog and copyright Debian wants there.
file(GLOB bluegreen_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md
  ${PROJECT_SOURCE_DIR}/docs/openapi.yaml)
install(FILES README.md ${bluegreen_docs} cmake/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/images DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES examples/bluegreen.toml cmake/debian/local-nginx.conf
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
  COMMAND sh -c "gzip -n9 -c \"$0\" > \"$1\"" ${PROJECT_SOURCE_DIR}/cmake/debian/changelog
          ${PROJECT_BINARY_DIR}/changelog.gz
  DEPENDS cmake/debian/changelog
  VERBATIM)
add_custom_target(package_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package.
file(STRINGS cmake/debian/changelog bluegreen_changelog_head LIMIT_COUNT 1)
string(REGEX REPLACE "^bluegreen \\(([^)]*)\\).*" "\\1" CPACK_BLUEGREEN_CHANGELOG_VERSION
  "${bluegreen_changelog_head}")
set(CPACK_BLUEGREEN_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/cpack_checks.cmake)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bluegreen)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT
  "bluegreen maintainers <maintainers@users.noreply.h-seed-c7b3db5b.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "blue/green deployments of web apps over SSH")
set(CPACK_PACKAGE_DESCRIPTION
  "bluegreend deploys a web app to the idle one of two sets of servers (blue and
green) over SSH, checks it, and moves live traffic to it through nginx,
HAProxy, a DigitalOcean reserved IP or your own scripts, with one-step
rollback. It keeps its state and history in SQLite and serves a REST API, a
dashboard, chat commands (Slack, Mattermost), GitHub push deploys and
notifications.

This package runs it as a hardened systemd service (bluegreend.service) as the
system user bluegreen, with /etc/bluegreen/bluegreen.toml, and includes
bluegreen-nginx.socket, which lets the service test and reload an nginx on the
same machine.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries it links, found by dpkg-shlibdeps. The user comes from
# systemd-sysusers, or from adduser where there is no systemd (a container):
# adduser is on every Debian system, systemd need not be.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx | haproxy, sqlite3")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/cmake/debian/conffiles ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
  ${PROJECT_SOURCE_DIR}/cmake/debian/prerm ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
