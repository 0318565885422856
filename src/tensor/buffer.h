// fp32 (and other POD) buffers: std::vector with 64-byte aligned storage so SIMD loads and
// OpenBLAS see cache-line aligned rows. Layers take raw pointers into these (llm.c style).
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace abacus::tensor {

template <class T, std::size_t Align = 64>
struct AlignedAllocator {
  using value_type = T;
  template <class U>
  struct rebind { using other = AlignedAllocator<U, Align>; };
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U, Align>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(Align)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(Align)); }
  template <class U>
  bool operator==(const AlignedAllocator<U, Align>&) const { return true; }
  template <class U>
  bool operator!=(const AlignedAllocator<U, Align>&) const { return false; }
};

template <class T>
using Buffer = std::vector<T, AlignedAllocator<T>>;
using Floats = Buffer<float>;

}  // namespace abacus::tensor
