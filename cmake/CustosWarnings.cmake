# custos_set_warnings(target): the project's warning set, per target.
function(custos_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
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
