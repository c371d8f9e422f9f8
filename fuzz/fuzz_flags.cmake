# Compiler flags of the fuzzing build (-DCAIRN_FUZZ=ON, docs/fuzzing.md). Included by the top
# CMakeLists.txt before any target is defined, so every library of the build (the engine, the
# CLI parser, any server library) is instrumented for coverage with ASan and UBSan; the fuzz
# targets themselves add libFuzzer's main in fuzz/CMakeLists.txt.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "CAIRN_FUZZ=ON needs clang (libFuzzer); configure with "
                      "-DCMAKE_CXX_COMPILER=clang++ (Debian: clang, libclang-rt-14-dev)")
endif()
if(NOT CAIRN_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CAIRN_FUZZ=ON already uses ASan+UBSan; leave CAIRN_SANITIZE empty")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
# Assertions stay on: an assert reached from bytes read from disk is a bug the fuzzer should
# report (DESIGN.md: assertions are for programmer errors, never for disk data).
add_compile_options(-UNDEBUG)
add_link_options(-fsanitize=address,undefined)
