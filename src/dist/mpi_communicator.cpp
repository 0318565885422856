// The MPI backend of dist::Communicator (Debian OpenMPI). The sum is not MPI_Allreduce,
// whose order of addition is the library's choice: partial vectors travel up the fixed
// midpoint tree over ranks (tree_order.h) by point-to-point messages, each node adding its
// right child's vector to its own, and rank 0 broadcasts the total.
#include "src/dist/communicator.h"
#include "src/dist/tree_order.h"
#include "src/util/error.h"

#if defined(ABACUS_HAVE_MPI)
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <vector>

namespace abacus::dist {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fail("", "MPI", std::string(what) + ": " + std::string(msg, size_t(len)));
  }
}

// Messages are cut below INT_MAX elements (MPI counts are int).
constexpr int64_t kMaxChunk = int64_t(1) << 28;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owns_ = true;
    }
    // Errors come back as codes and become abacus Errors (a clear message, exit 1).
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_ && !finalized) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void allreduce_sum_f32(float* data, int64_t count) override {
    if (size_ == 1 || count <= 0) return;
    scratch_.resize(size_t(std::min(count, kMaxChunk)));
    for (int64_t off = 0; off < count; off += kMaxChunk) {
      const int64_t n = std::min(kMaxChunk, count - off);
      reduce_node(0, size_, data + off, n);
      broadcast(data + off, n * int64_t(sizeof(float)), 0);
    }
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    if (size_ == 1 || bytes <= 0) return;
    char* p = static_cast<char*>(data);
    for (int64_t off = 0; off < bytes; off += kMaxChunk)
      check(MPI_Bcast(p + off, int(std::min(kMaxChunk, bytes - off)), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

 private:
  // After this call the node's first rank `lo` holds sum[lo, hi) of the ranks' vectors.
  void reduce_node(int lo, int hi, float* data, int64_t n) {
    if (hi - lo <= 1) return;
    const int mid = int(tree_mid(lo, hi));
    if (rank_ < mid) reduce_node(lo, mid, data, n);
    else reduce_node(mid, hi, data, n);
    if (rank_ == mid) {
      check(MPI_Send(data, int(n), MPI_FLOAT, lo, 17, MPI_COMM_WORLD), "MPI_Send");
    } else if (rank_ == lo) {
      check(MPI_Recv(scratch_.data(), int(n), MPI_FLOAT, mid, 17, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
      const float* right = scratch_.data();
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] + right[i];  // left + right, as the tree says
    }
  }

  int rank_ = 0, size_ = 1;
  bool owns_ = false;
  std::vector<float> scratch_;
};

}  // namespace

bool have_mpi() { return true; }

Communicator& mpi_world() {
  static MpiCommunicator comm;
  return comm;
}

}  // namespace abacus::dist

#else  // no MPI in this build

namespace abacus::dist {
bool have_mpi() { return false; }
Communicator& mpi_world() { fail("", "MPI", "this build has no MPI backend (libopenmpi-dev was not found)"); }
}  // namespace abacus::dist

#endif
