// Data-parallel communication between GPUs through NCCL: the NCCL backend of the communicator
// interface of the CPU data-parallel work (src/dist/communicator.h on the issue-18 branch:
// rank(), size(), fixed-order allreduce, broadcast, barrier). Buffers are device memory.
// One process per GPU, launched by the MPI launcher; the NCCL unique id is created on rank 0 and
// handed to the others through `host_broadcast` (the MPI communicator's broadcast of host bytes).
// Allreduce order: NCCL's ring/tree reduction is the same on every call for a fixed rank count
// and topology, so runs repeat bit for bit, but its order is not the CPU backend's.
// Built only where NCCL's header and library are found (ABACUS_HAVE_NCCL).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace abacus::cuda {

class NcclCommunicator {
 public:
  using HostBroadcast = std::function<void(void* bytes, size_t n, int root)>;
  // Uses CUDA device `device` (cudaSetDevice) for this rank.
  NcclCommunicator(int rank, int size, int device, const HostBroadcast& host_broadcast);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // In place, sum over ranks; synchronizes the stream (the result is ready on return).
  void allreduce_sum(float* data, int64_t n);
  // Sum then divide by size(): the data-parallel mean of gradients.
  void allreduce_mean(float* data, int64_t n);
  void broadcast(void* data, size_t bytes, int root);
  void barrier();

 private:
  int rank_ = 0, size_ = 1;
  void* comm_ = nullptr;    // ncclComm_t
  void* stream_ = nullptr;  // cudaStream_t
  float* one_ = nullptr;    // device scalar for the barrier
};

}  // namespace abacus::cuda
