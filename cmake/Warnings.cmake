# One place for the warning set and the sanitizers, applied to every target of the project.
add_library(understudy_warnings INTERFACE)
target_compile_options(understudy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wcast-qual -Wunused)
if(UNDERSTUDY_WERROR)
  target_compile_options(understudy_warnings INTERFACE -Werror)
endif()
if(UNDERSTUDY_SANITIZE)
  target_compile_options(understudy_warnings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(understudy_warnings INTERFACE -fsanitize=address,undefined)
endif()

# Qt's moc output is generated code we do not own: compile it without our strict set.
function(understudy_target target)
  target_link_libraries(${target} PRIVATE understudy_warnings)
endfunction()
