# custos_set_warnings(target): the project's warning set, per target.
function(custos_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
  # GCC 12 at -O3 (the Release build scripts/bench uses) reports
  # "'x' + std::string&&" as overlapping memcpy (GCC bug 105651, a false
  # positive in libstdc++'s own code); it would only bury real warnings.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(CUSTOS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CUSTOS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(CUSTOS_FUZZ)
    # Coverage for libFuzzer in every library, not only in the fuzz targets.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  target_compile_definitions(${target} PRIVATE _FILE_OFFSET_BITS=64)
endfunction()
