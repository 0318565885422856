// Device queries, device memory, bf16 conversion and the cuBLASLt GEMMs (INT8 forward, BF16 backward).
#include <cuda_bf16.h>

#include <mutex>

#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/check.h"

namespace abacus::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::string device_name(int device) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, device) != cudaSuccess) {
    cudaGetLastError();
    return "";
  }
  return p.name;
}

void synchronize() { check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes) check_cuda(cudaMalloc(&ptr_, bytes), "cudaMalloc");
}
DeviceBuffer::~DeviceBuffer() {
  if (ptr_) cudaFree(ptr_);
}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = o.ptr_;
    bytes_ = o.bytes_;
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}
void DeviceBuffer::upload(const void* host, size_t bytes) {
  if (bytes > bytes_) fail("", "DeviceBuffer", "upload larger than the buffer");
  if (bytes) check_cuda(cudaMemcpy(ptr_, host, bytes, cudaMemcpyHostToDevice), "upload");
}
void DeviceBuffer::download(void* host, size_t bytes) const {
  if (bytes > bytes_) fail("", "DeviceBuffer", "download larger than the buffer");
  if (bytes) check_cuda(cudaMemcpy(host, ptr_, bytes, cudaMemcpyDeviceToHost), "download");
}
void DeviceBuffer::zero() {
  if (bytes_) check_cuda(cudaMemset(ptr_, 0, bytes_), "cudaMemset");
}

namespace {

__global__ void to_bf16_kernel(const float* __restrict__ x, __nv_bfloat16* __restrict__ y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}
__global__ void from_bf16_kernel(const __nv_bfloat16* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __bfloat162float(x[i]);
}

// One cuBLASLt handle and workspace for the process (created on first use).
struct Lt {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = size_t(32) << 20;
};
Lt& lt() {
  static Lt l;
  static std::once_flag once;
  std::call_once(once, [] {
    check_cublas(cublasLtCreate(&l.handle), "cublasLtCreate");
    check_cuda(cudaMalloc(&l.workspace, l.workspace_bytes), "cuBLASLt workspace");
  });
  return l;
}

// Row-major C [M, N] = op(A) [M, K] . op(B) [K, N] seen column-major as C^T = op(B)^T op(A)^T,
// i.e. a column-major matmul with the operands swapped (m = N, n = M).
void lt_matmul(cublasComputeType_t compute, cudaDataType_t scale_type, cudaDataType_t ab_type, cudaDataType_t c_type,
               bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* alpha, const void* A,
               const void* B, const void* beta, void* C, cudaStream_t stream) {
  Lt& l = lt();
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  check_cublas(cublasLtMatmulDescCreate(&desc, compute, scale_type), "MatmulDescCreate");
  const cublasOperation_t op_a = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;  // first operand: B
  const cublasOperation_t op_b = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;  // second operand: A
  cublasStatus_t st = cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof(op_a));
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof(op_b));
  // Stored shapes (column-major rows, cols, ld) of the swapped operands.
  if (st == CUBLAS_STATUS_SUCCESS)
    st = trans_b ? cublasLtMatrixLayoutCreate(&la, ab_type, uint64_t(K), uint64_t(N), K)
                 : cublasLtMatrixLayoutCreate(&la, ab_type, uint64_t(N), uint64_t(K), N);
  if (st == CUBLAS_STATUS_SUCCESS)
    st = trans_a ? cublasLtMatrixLayoutCreate(&lb, ab_type, uint64_t(M), uint64_t(K), M)
                 : cublasLtMatrixLayoutCreate(&lb, ab_type, uint64_t(K), uint64_t(M), K);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatrixLayoutCreate(&lc, c_type, uint64_t(N), uint64_t(M), N);
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmul(l.handle, desc, alpha, B, la, A, lb, beta, C, lc, C, lc, nullptr, l.workspace,
                        l.workspace_bytes, stream);
  if (lc) cublasLtMatrixLayoutDestroy(lc);
  if (lb) cublasLtMatrixLayoutDestroy(lb);
  if (la) cublasLtMatrixLayoutDestroy(la);
  cublasLtMatmulDescDestroy(desc);
  check_cublas(st, "cublasLtMatmul");
}

}  // namespace

void float_to_bf16(const float* x, uint16_t* y, int64_t n, void* stream) {
  if (n <= 0) return;
  to_bf16_kernel<<<blocks_for(n, 256), 256, 0, as_stream(stream)>>>(x, reinterpret_cast<__nv_bfloat16*>(y), n);
  check_launch("float_to_bf16");
}
void bf16_to_float(const uint16_t* x, float* y, int64_t n, void* stream) {
  if (n <= 0) return;
  from_bf16_kernel<<<blocks_for(n, 256), 256, 0, as_stream(stream)>>>(reinterpret_cast<const __nv_bfloat16*>(x), y, n);
  check_launch("bf16_to_float");
}

void int8_gemm(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N, void* stream) {
  if (K % 4 != 0) fail("", "int8_gemm", "K = " + std::to_string(K) + " must be a multiple of 4 for INT8 tensor cores");
  if (T <= 0 || N <= 0) return;
  const int32_t alpha = 1, beta = 0;
  // x_q [T, K] . w_q [N, K]^T: the "TN" int8 layout cuBLASLt runs on tensor cores.
  lt_matmul(CUBLAS_COMPUTE_32I, CUDA_R_32I, CUDA_R_8I, CUDA_R_32I, false, true, T, N, K, &alpha, x_q, w_q, &beta, acc,
            as_stream(stream));
}

void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A,
               const uint16_t* B, float beta, float* C, void* stream) {
  if (M <= 0 || N <= 0) return;
  lt_matmul(CUBLAS_COMPUTE_32F, CUDA_R_32F, CUDA_R_16BF, CUDA_R_32F, trans_a, trans_b, M, N, K, &alpha, A, B, &beta, C,
            as_stream(stream));
}

void bitlinear_backward_bf16(const uint16_t* dy, const uint16_t* x_tilde, const uint16_t* w_tilde, int64_t T, int64_t K,
                             int64_t N, float* dx_tilde, float* dW, void* stream) {
  // STE: the quantizers' Jacobians are the identity, so the backward is that of y = x~ W~^T.
  if (dx_tilde) gemm_bf16(false, false, T, K, N, 1.f, dy, w_tilde, 0.f, dx_tilde, stream);  // dy [T,N] . W~ [N,K]
  if (dW) gemm_bf16(true, false, N, K, T, 1.f, dy, x_tilde, 1.f, dW, stream);               // dy^T [N,T] . x~ [T,K]
}

}  // namespace abacus::cuda
