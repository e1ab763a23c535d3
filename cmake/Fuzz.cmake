# The fuzz build (UNDERSTUDY_FUZZ, preset `fuzz`): clang with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer over every target, so the parsers the fuzzers drive are
# instrumented for coverage as well as checked. Only the libraries the fuzzers link are built
# (the build preset names the aggregate target understudy_fuzzers; the GUI and the other
# targets are configured but not built).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "UNDERSTUDY_FUZZ needs clang (libFuzzer): configure with the `fuzz` preset "
                      "or -DCMAKE_CXX_COMPILER=clang++-14; install clang-14 and libclang-rt-14-dev")
endif()
if(UNDERSTUDY_SANITIZE)
  message(FATAL_ERROR "UNDERSTUDY_FUZZ brings its own sanitizers; leave UNDERSTUDY_SANITIZE off")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
