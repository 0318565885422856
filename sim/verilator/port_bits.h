// Bit-field access to Verilated ports of any width (narrow ports are integers, wide ports are
// VlWide arrays of 32-bit words). Fields never straddle a 32-bit word: the tile's fields are
// 1, 2, 8 or 32 bits wide at multiples of their width.
#pragma once
#include <cstdint>
#include <type_traits>

#include "verilated.h"

namespace abacus::rtl::detail {

template <class T>
inline void clear_port(T& p) {
  p = 0;
}
template <std::size_t W>
inline void clear_port(VlWide<W>& p) {
  for (std::size_t i = 0; i < W; ++i) p[i] = 0;
}

template <class T>
inline void put_field(T& p, int lsb, int width, uint32_t v) {
  static_assert(std::is_integral<T>::value, "narrow port");
  const uint64_t mask = ((uint64_t(1) << width) - 1) << lsb;
  p = T((uint64_t(p) & ~mask) | ((uint64_t(v) << lsb) & mask));
}
template <std::size_t W>
inline void put_field(VlWide<W>& p, int lsb, int width, uint32_t v) {
  const int word = lsb / 32, shift = lsb % 32;
  const uint64_t mask = ((uint64_t(1) << width) - 1) << shift;
  p[word] = uint32_t((uint64_t(p[word]) & ~mask) | ((uint64_t(v) << shift) & mask));
}

template <class T>
inline uint32_t get_field(const T& p, int lsb, int width) {
  return uint32_t((uint64_t(p) >> lsb) & ((uint64_t(1) << width) - 1));
}
template <std::size_t W>
inline uint32_t get_field(const VlWide<W>& p, int lsb, int width) {
  return uint32_t((uint64_t(p[lsb / 32]) >> (lsb % 32)) & ((uint64_t(1) << width) - 1));
}

}  // namespace abacus::rtl::detail
