// The file behind a Verilator VCD that never reports a failed write to Verilator: Verilator
// answers one with a fatal error whose handler flushes the trace again under the lock it
// already holds (a deadlock on a full disk). The first error is kept instead, later data is
// dropped, and the owner checks error() after closing: a clear error and no partial file.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "verilated_vcd_c.h"

namespace abacus::rtl::detail {

class CheckedVcdFile final : public VerilatedVcdFile {
 public:
  bool open(const std::string& name) override {
    fd_ = ::open(name.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) err_ = errno;
    return fd_ >= 0;
  }
  void close() override {
    if (fd_ < 0) return;
    if (!err_ && ::fsync(fd_) != 0 && errno != EINVAL) err_ = errno;
    if (::close(fd_) != 0 && !err_) err_ = errno;
    fd_ = -1;
  }
  ssize_t write(const char* p, ssize_t len) override {
    for (ssize_t done = 0; !err_ && done < len;) {
      const ssize_t n = ::write(fd_, p + done, size_t(len - done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) err_ = n < 0 ? errno : ENOSPC;
      else done += n;
    }
    return len;  // always "written": see above
  }
  int error() const { return err_; }

 private:
  int fd_ = -1;
  int err_ = 0;
};

}  // namespace abacus::rtl::detail
