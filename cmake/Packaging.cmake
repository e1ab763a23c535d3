# The Debian packages (see README.md, "Installing on a real appliance"), built with
# `cpack` in a build folder:
#   understudy          the service, its unit and config, the sizing tool, the simulator
#   understudy-agents   what runs on the cluster nodes: OCF agents, fence agent, understudyctl
#   understudy-console  the desktop console
# Every installed file names its component here or in its folder's install() rule, and each
# component is one package, so each file is in exactly one package (tests/installer/ checks).
# Packages need CMAKE_INSTALL_PREFIX=/usr (the presets set it): understudyd finds its shipped
# files under the prefix it was built for.

set(UNDERSTUDY_PACKAGE_COMPONENTS understudy agents console)
set(installer_dir ${PROJECT_SOURCE_DIR}/installer)

# --- understudy: the appliance (the simulator's rule is in agents/simulate/) ---
install(TARGETS understudyd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT understudy)
install(TARGETS understudy-size RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT understudy)
install(FILES ${PROJECT_SOURCE_DIR}/appliance/data/demo-appliance.xml
              ${PROJECT_SOURCE_DIR}/appliance/data/passive-node.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/understudy COMPONENT understudy)
# A conffile, mode 0640; the package's postinst gives it to group understudy (dpkg-statoverride).
install(FILES ${installer_dir}/understudyd.conf
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/understudy
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT understudy)
# Debian 12 keeps units of packages in /lib/systemd/system (merged /usr or not).
install(FILES ${installer_dir}/understudyd.service DESTINATION /lib/systemd/system
        COMPONENT understudy)

# --- understudy-agents: the cluster nodes (the agents' rules are in agents/fence/ and ocf/) ---
install(TARGETS understudyctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agents)
install(FILES ${PROJECT_SOURCE_DIR}/agents/ctl/understudyctl.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME understudyctl
        COMPONENT agents)

# --- understudy-console ---
install(TARGETS understudy-console RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT console)
install(FILES ${installer_dir}/understudy-console.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT console)

# --- manual pages: hand-written roff in docs/man, gzip -9n at build time (reproducible, as
# Debian wants), each in the package of the program or file it documents ---
set(man_pages
    understudyd.8=understudy understudyd.conf.5=understudy understudy-size.1=understudy
    understudy-simulate.1=understudy understudyctl.1=agents fence_understudy.8=agents
    ocf_understudy_takeover.7=agents ocf_understudy_readiness.7=agents
    ocf_understudy_understudyd.7=understudy understudy-alert.8=understudy
    understudy-console.1=console)
set(man_pages_gz)
foreach(entry IN LISTS man_pages)
  string(REPLACE "=" ";" page_and_component ${entry})
  list(GET page_and_component 0 page)
  list(GET page_and_component 1 component)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
  set(page_gz ${CMAKE_CURRENT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${page_gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
    COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${page_gz}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}
    COMMENT "Manual page ${page}")
  list(APPEND man_pages_gz ${page_gz})
  install(FILES ${page_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          COMPONENT ${component})
endforeach()
add_custom_target(understudy_man_pages ALL DEPENDS ${man_pages_gz})

# --- each package's /usr/share/doc: copyright, changelog (gzip -9n, as Debian wants) ---
set(changelog_gz ${CMAKE_CURRENT_BINARY_DIR}/installer/changelog.gz)
add_custom_command(OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/installer
  COMMAND gzip -9n -c ${installer_dir}/debian/changelog > ${changelog_gz}
  DEPENDS ${installer_dir}/debian/changelog
  COMMENT "Debian changelog")
add_custom_target(understudy_changelog ALL DEPENDS ${changelog_gz})
foreach(component IN LISTS UNDERSTUDY_PACKAGE_COMPONENTS)
  if(component STREQUAL "understudy")
    set(package understudy)
  else()
    set(package understudy-${component})
  endif()
  install(FILES ${installer_dir}/debian/copyright ${changelog_gz}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
endforeach()
# The manual pages point to these for the HTTP API and the sizing method.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/http-api.md
              ${PROJECT_SOURCE_DIR}/docs/sizing-method.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/understudy COMPONENT understudy)

# --- CPack ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME understudy)
set(CPACK_PACKAGE_VENDOR "Understudy")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's synopsis is the first line of its component's description: CPackDeb would put
# the project's one summary in front of all three, so it is unset when cpack runs.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/installer/cpack_project_config.cmake)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE} "unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)\n")
set(CPACK_PACKAGE_CONTACT "Understudy maintainers <maintainers@understudy.example.org>")
# Absolute destinations (/etc, /lib/systemd) go into the package, not onto the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL ${UNDERSTUDY_PACKAGE_COMPONENTS})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_UNDERSTUDY_PACKAGE_NAME understudy)
set(CPACK_COMPONENT_UNDERSTUDY_DESCRIPTION
    "Passive-node appliance manager for active/passive HA clusters
Understudy hosts the standby nodes of many physical active/passive HA
clusters as virtual machines on one appliance, overbooks it safely,
sizes it for a chosen risk, grows a standby VM live at takeover and lets
a physical node fence only its own virtual peer.

This package holds the service understudyd (HTTP API, systemd unit), the
sizing tool understudy-size and the fleet simulator; for a pool of
appliances run by Pacemaker, the resource agent ocf:understudy:understudyd
and the alert agent understudy-alert.")
# adduser: the postinst makes the service's user. qt6-qpa-plugins: the offscreen platform
# understudy-size renders PDF reports with (not a shared-library dependency).
set(CPACK_DEBIAN_UNDERSTUDY_PACKAGE_DEPENDS "adduser, qt6-qpa-plugins")
set(CPACK_DEBIAN_UNDERSTUDY_PACKAGE_RECOMMENDS
    "libvirt-daemon-system, understudy-agents, fonts-dejavu-core")
set(CPACK_DEBIAN_UNDERSTUDY_PACKAGE_CONTROL_EXTRA
    ${installer_dir}/debian/conffiles ${installer_dir}/debian/postinst
    ${installer_dir}/debian/prerm ${installer_dir}/debian/postrm)

set(CPACK_DEBIAN_AGENTS_PACKAGE_NAME understudy-agents)
set(CPACK_COMPONENT_AGENTS_DESCRIPTION
    "Understudy agents for the cluster nodes
The OCF resource agents ocf:understudy:takeover and
ocf:understudy:readiness for Pacemaker, the fence agent
fence_understudy, and understudyctl, the command line for the Understudy
service's API.")
set(CPACK_DEBIAN_AGENTS_PACKAGE_RECOMMENDS "resource-agents, pacemaker-cli-utils")

set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME understudy-console)
set(CPACK_COMPONENT_CONSOLE_DESCRIPTION
    "Understudy desktop console
A Qt console for the appliance administrator: headroom, overbooking and
overflow risk, nodes and failovers live, the event log, sizing what-ifs
and reports; offline, it sizes a fleet file.")
# The platform plugins (xcb, wayland) are not a shared-library dependency.
set(CPACK_DEBIAN_CONSOLE_PACKAGE_DEPENDS "qt6-qpa-plugins")
set(CPACK_DEBIAN_CONSOLE_PACKAGE_SECTION x11)

include(CPack)
