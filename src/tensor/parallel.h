// Threads across the cores for element-wise and row-wise loops: a small persistent pool
// (std::thread) so a loop costs a wake-up, not a thread creation. OpenBLAS keeps its own threads.
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

}  // namespace abacus::tensor
