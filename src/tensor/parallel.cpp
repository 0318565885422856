#include "src/tensor/parallel.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace abacus::tensor {
namespace {

// A fixed set of workers that run one parallel_for job at a time. Jobs are split into
// n_threads chunks; the caller runs chunk 0 itself.
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
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      begin_ = begin;
      end_ = end;
      chunks_ = chunks;
      pending_ = chunks - 1;
      error_ = nullptr;
      ++generation_;
    }
    cv_work_.notify_all();
    std::exception_ptr mine;
    try {
      run_chunk(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lk(mu_);
    cv_done_.wait(lk, [&] { return pending_ == 0; });
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
      std::unique_lock<std::mutex> lk(mu_);
      cv_work_.wait(lk, [&] { return quit_ || generation_ != seen; });
      if (quit_) return;
      seen = generation_;
      if (index >= chunks_) continue;  // this job has fewer chunks than workers
      lk.unlock();
      std::exception_ptr err;
      try {
        run_chunk(index);
      } catch (...) {
        err = std::current_exception();
      }
      lk.lock();
      if (err && !error_) error_ = err;
      if (--pending_ == 0) cv_done_.notify_all();
    }
  }

  void start(int n) {
    n_threads_ = std::max(1, n);
    quit_ = false;
    const uint64_t gen = generation_;
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i, gen] { worker(i, gen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool quit_ = false;
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

}  // namespace abacus::tensor
