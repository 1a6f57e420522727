// What the fuzz targets share: a check that aborts (so libFuzzer keeps the
// input as a crash) when a property of the code under test does not hold.
// Single-threaded, as libFuzzer runs a target.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
