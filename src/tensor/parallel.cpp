#include "src/tensor/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace abacus::tensor {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins until pred() or about `budget` has passed; true when pred() held. A wake-up by
// spinning costs well under a microsecond where a condition variable costs a futex round
// trip (several microseconds), which dominated small GEMVs. The budget is short so an
// oversubscribed machine loses little to spinning before the thread sleeps.
template <class Pred>
bool spin_until(Pred pred, std::chrono::microseconds budget) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() - start > budget) return pred();
  }
}

constexpr std::chrono::microseconds kSpin{50};

// A fixed set of workers that run one parallel_for job at a time. Jobs are split into
// `chunks` ranges; the caller runs chunk 0 itself. Workers first spin on the job generation,
// then sleep on a condition variable; the generation is published under the mutex so a
// sleeping worker never misses it.
class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return n_threads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> run_lock(run_mu_);
    stop();
    start(n);
  }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t n = end - begin;
    int64_t chunks = std::min<int64_t>(n_threads_, grain > 0 ? (n + grain - 1) / grain : n);
    if (chunks <= 1 || in_worker_) {
      fn(begin, end);
      return;
    }
    std::unique_lock<std::mutex> run_lock(run_mu_, std::try_to_lock);
    if (!run_lock.owns_lock()) {  // another thread is using the pool: run serially
      fn(begin, end);
      return;
    }
    job_ = &fn;
    begin_ = begin;
    end_ = end;
    chunks_ = chunks;
    error_ = nullptr;
    // Every worker checks in, even one without a chunk: no worker can still be reading this
    // job's fields when the next job overwrites them.
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_work_.notify_all();
    std::exception_ptr mine;
    try {
      run_chunk(0);
    } catch (...) {
      mine = std::current_exception();
    }
    auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(done, kSpin)) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, done);
    }
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_chunk(int64_t c) {
    const int64_t n = end_ - begin_;
    const int64_t lo = begin_ + n * c / chunks_, hi = begin_ + n * (c + 1) / chunks_;
    if (lo < hi) (*job_)(lo, hi);
  }

  // `seen` starts at the generation current when the worker was created: a worker started by
  // resize() must not mistake the last finished job for a new one.
  void worker(int index, uint64_t seen) {
    in_worker_ = true;
    for (;;) {
      auto fresh = [&] {
        return quit_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
      };
      if (!spin_until(fresh, kSpin)) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_work_.wait(lk, fresh);
      }
      if (quit_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      if (index < chunks_) {  // a job may have fewer chunks than workers
        try {
          run_chunk(index);
        } catch (...) {
          std::lock_guard<std::mutex> lk(mu_);
          if (!error_) error_ = std::current_exception();
        }
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);  // pairs with the caller's wait: no lost wake-up
        cv_done_.notify_all();
      }
    }
  }

  void start(int n) {
    n_threads_ = std::max(1, n);
    quit_.store(false);
    const uint64_t gen = generation_.load();
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i, gen] { worker(i, gen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_.store(true, std::memory_order_release);
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_work_, cv_done_;
  // Written by the caller before the generation is published (release), read after (acquire).
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunks_ = 0;
  std::atomic<int64_t> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  std::exception_ptr error_;
  static thread_local bool in_worker_;
};
thread_local bool Pool::in_worker_ = false;

int default_threads() {
  if (const char* env = std::getenv("ABACUS_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? int(hc) : 1;
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  pool().run(begin, end, grain, fn);
}

double parallel_sum(int64_t n, int64_t block, const std::function<double(int64_t, int64_t)>& block_sum) {
  if (n <= 0) return 0.0;
  block = std::max<int64_t>(1, block);
  const int64_t blocks = (n + block - 1) / block;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) partial[size_t(b)] = block_sum(b * block, std::min(n, (b + 1) * block));
  });
  double total = 0.0;
  for (double p : partial) total += p;  // block order, whatever thread computed each
  return total;
}

}  // namespace abacus::tensor
