// Buf<T>: an allocation in a Backend's memory (zero-filled), freed with its owner; move-only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "src/device/backend.h"

namespace abacus::device {

template <class T>
class Buf {
 public:
  Buf() = default;
  Buf(Backend& be, int64_t n) : be_(&be), n_(n), p_(static_cast<T*>(be.alloc(size_t(n > 0 ? n : 1) * sizeof(T)))) {}
  ~Buf() { if (p_) be_->release(p_); }
  Buf(Buf&& o) noexcept : be_(o.be_), n_(o.n_), p_(o.p_) { o.p_ = nullptr; o.n_ = 0; }
  Buf& operator=(Buf&& o) noexcept {
    if (this != &o) {
      if (p_) be_->release(p_);
      be_ = o.be_; n_ = o.n_; p_ = o.p_;
      o.p_ = nullptr; o.n_ = 0;
    }
    return *this;
  }
  T* get() const { return p_; }
  int64_t size() const { return n_; }
  void zero() { if (p_) be_->zero(p_, size_t(n_) * sizeof(T)); }

 private:
  Backend* be_ = nullptr;
  int64_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace abacus::device
