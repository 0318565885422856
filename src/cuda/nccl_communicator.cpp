#include "src/cuda/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string>

#include "src/cuda/model_kernels.h"
#include "src/util/error.h"

namespace abacus::cuda {
namespace {

void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) fail("", "nccl", std::string(what) + ": " + ncclGetErrorString(r));
}
void check_rt(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail("", "cuda", std::string(what) + ": " + cudaGetErrorString(e));
}
ncclComm_t as_comm(void* c) { return static_cast<ncclComm_t>(c); }
cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

}  // namespace

NcclCommunicator::NcclCommunicator(int rank, int size, int device, const HostBroadcast& host_broadcast)
    : rank_(rank), size_(size) {
  if (size < 1 || rank < 0 || rank >= size)
    fail("", "nccl", "rank " + std::to_string(rank) + " of " + std::to_string(size) + " is out of range");
  check_rt(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id{};
  if (rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (size > 1) host_broadcast(&id, sizeof id, 0);
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitRank(&comm, size, id, rank), "ncclCommInitRank");
  comm_ = comm;
  cudaStream_t s = nullptr;
  check_rt(cudaStreamCreate(&s), "cudaStreamCreate");
  stream_ = s;
  check_rt(cudaMalloc(&one_, sizeof(float)), "cudaMalloc");
}

NcclCommunicator::~NcclCommunicator() {
  if (one_) cudaFree(one_);
  if (stream_) cudaStreamDestroy(as_stream(stream_));
  if (comm_) ncclCommDestroy(as_comm(comm_));
}

void NcclCommunicator::allreduce_sum(float* data, int64_t n) {
  if (n <= 0) return;  // one rank still goes through NCCL, so a single-GPU test exercises it
  check_rt(cudaDeviceSynchronize(), "allreduce (producers)");  // the model's kernels run on the default stream
  check_nccl(ncclAllReduce(data, data, size_t(n), ncclFloat32, ncclSum, as_comm(comm_), as_stream(stream_)),
             "ncclAllReduce");
  check_rt(cudaStreamSynchronize(as_stream(stream_)), "allreduce");
}

void NcclCommunicator::allreduce_mean(float* data, int64_t n) {
  allreduce_sum(data, n);
  if (size_ > 1) scale(data, n, 1.f / float(size_));
}

void NcclCommunicator::broadcast(void* data, size_t bytes, int root) {
  if (bytes == 0) return;
  check_rt(cudaDeviceSynchronize(), "broadcast (producers)");
  check_nccl(ncclBroadcast(data, data, bytes, ncclUint8, root, as_comm(comm_), as_stream(stream_)), "ncclBroadcast");
  check_rt(cudaStreamSynchronize(as_stream(stream_)), "broadcast");
}

void NcclCommunicator::barrier() {
  // A one-element allreduce completes only when every rank has entered it.
  check_nccl(ncclAllReduce(one_, one_, 1, ncclFloat32, ncclSum, as_comm(comm_), as_stream(stream_)), "barrier");
  check_rt(cudaStreamSynchronize(as_stream(stream_)), "barrier");
}

}  // namespace abacus::cuda
