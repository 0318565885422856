// The data-parallel communicator: the few collectives data-parallel training and sharded
// sweeps need, behind one small interface so the process launcher and the transport can
// change without touching the trainer. Backends:
//   SingleProcess  (this file)               size 1, every collective is the identity;
//   MPI            (mpi_communicator.cpp)    processes started by mpirun (Debian OpenMPI);
//   NCCL           the GPU backend (issue 19) implements this same interface: rank() and
//                  size() from the process launcher, allreduce_sum_f32 keeping the tree order
//                  below (ncclSend/ncclRecv up the tree, then ncclBroadcast), broadcast,
//                  barrier. Nothing above this header changes for it.
//
// Determinism: allreduce_sum_f32 adds the ranks' vectors in one fixed order, the midpoint
// binary tree over ranks (see tree_order.h): sum[lo, hi) = sum[lo, mid) + sum[mid, hi),
// mid = lo + (hi - lo) / 2, on every rank the same bits. A backend must keep this order
// (MPI_Allreduce and ncclAllReduce leave it unspecified, so neither is used directly for sums).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace abacus::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // data[i] <- sum over ranks of data[i], in the fixed tree order above; every rank ends with
  // the same bits.
  virtual void allreduce_sum_f32(float* data, int64_t count) = 0;
  // Copies `bytes` bytes from rank `root` to every rank.
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // "single", "mpi", "nccl".
  virtual std::string backend() const = 0;
};

class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum_f32(float*, int64_t) override {}
  void broadcast(void*, int64_t, int) override {}
  void barrier() override {}
  std::string backend() const override { return "single"; }
};

// True when this process was started by an MPI launcher (OpenMPI, MPICH/Hydra, Slurm PMI).
bool launched_by_mpi();
// Whether this build has the MPI backend.
bool have_mpi();

// The MPI communicator (MPI_Init on first use, MPI_Finalize at exit); Error when the build
// has no MPI. Every call returns the same process-wide instance.
Communicator& mpi_world();

// The MPI world when launched by mpirun (and built with MPI), else a single process. An
// mpirun launch of a build without MPI is an Error (N copies would silently run alone).
Communicator& world();

// Every rank's text, in rank order, on every rank (one broadcast per rank).
std::vector<std::string> all_gather_text(Communicator& comm, const std::string& mine);

}  // namespace abacus::dist
