# Every dependency is a Debian package (scripts/setup installs them); nothing is
# vendored and nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd>=1.5)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive>=3.6)
# ICU: NFC normalisation and NFKC case-folding of bundle paths (bundle/safe_path).
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
find_package(Protobuf 3.21 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(Threads REQUIRED)
if(CUSTOS_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
