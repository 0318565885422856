// Threads across the cores for element-wise and row-wise loops: a small persistent pool
// (std::thread) so a loop costs a wake-up, not a thread creation. OpenBLAS keeps its own threads.
//
// Determinism contract: every result in abacus is the same at any thread count. parallel_for
// hands out disjoint ranges whose split depends on the thread count, so its callers compute
// each item independently of the others (element-wise or row-wise work). Sums across items go
// through parallel_sum, whose blocks and combining order are fixed by the item count alone.
#pragma once
#include <cstdint>
#include <functional>

namespace abacus::tensor {

// Number of worker threads used by parallel_for (default: std::thread::hardware_concurrency,
// or the ABACUS_THREADS environment variable). Setting it resizes the pool.
int num_threads();
void set_num_threads(int n);

// Calls fn(lo, hi) on disjoint sub-ranges covering [begin, end); ranges smaller than `grain`
// items run on the calling thread. Blocks until all are done; the first exception thrown by
// fn is rethrown here. Nested calls from inside fn run serially.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t lo, int64_t hi)>& fn);

// sum over [0, n) of block_sum(lo, hi), with the range cut into blocks of `block` items
// (the last one shorter) and the block sums added left to right in block order: the same
// double at any thread count. block_sum must itself be deterministic (a serial loop).
double parallel_sum(int64_t n, int64_t block, const std::function<double(int64_t lo, int64_t hi)>& block_sum);

}  // namespace abacus::tensor
