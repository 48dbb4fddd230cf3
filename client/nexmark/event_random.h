// The per-event random stream: a splitmix64 sequence whose start is a hash of (seed, event
// number), so every event is a pure function of the two and any range of events can be
// generated on its own (Nexmark instead draws all events from one SplittableRandom).
#pragma once

#include <cstdint>

namespace ec::nexmark {

class EventRandom {
 public:
  static constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

  // splitmix64's finaliser: a bijection of 64-bit values with good avalanche.
  static constexpr uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // The stream of event `n` under a seed key (Mix(seed) computed once per generator).
  EventRandom(uint64_t seed_key, uint64_t n) : state_(Mix(seed_key ^ Mix(n + kGolden))) {}

  uint64_t Next() {
    state_ += kGolden;
    return Mix(state_);
  }

  // Uniform in [0, bound) for bound >= 1 (multiply-shift: no division; the bias is below
  // bound / 2^64).
  uint64_t Below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }

  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // [0, bound) from 32 bits of `bits` (bits 0..31, or 32..63 with `high`): lets one draw
  // serve two small picks.
  static uint32_t Pick32(uint64_t bits, uint32_t bound, bool high) {
    const uint64_t half = high ? bits >> 32 : bits & 0xFFFFFFFFULL;
    return static_cast<uint32_t>((half * bound) >> 32);
  }

 private:
  uint64_t state_;
};

}  // namespace ec::nexmark
