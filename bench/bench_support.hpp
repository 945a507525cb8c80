// Shared by the agora-microbench sources: deterministic test data (ids that
// look like the real ones) and the one-time result check every benchmark
// makes before it measures.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace agora::bench {

/// A fixed "now" (2025-10-09T08:53:20Z in microseconds), so renderings and
/// payloads have realistic timestamps without reading the clock.
inline constexpr int64_t fixed_now_us = 1'760'000'000'000'000;

/// A UUID v4-shaped id derived from `n` (distinct `n` give distinct ids whose
/// first characters differ, as random UUIDs do, so ordered lookups compare
/// like they do on real ids).
inline std::string fake_uuid(uint64_t n) {
  // splitmix64: cheap, well-spread bits from a counter.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t a = mix(n * 2);
  uint64_t b = mix(n * 2 + 1);
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

/// A catalogue SKU like the demo seed's (`EL-0001`).
inline std::string fake_sku(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "EL-%04d", n);
  return buf;
}

/// Checks a benchmark's result once, before the timed loop. On failure the
/// run is reported as an error (main.cpp then exits non-zero) and the caller
/// must return without entering the loop.
inline bool verify(benchmark::State& state, bool ok, const char* what) {
  if (!ok)
    state.SkipWithError(what);
  return ok;
}

} // namespace agora::bench
