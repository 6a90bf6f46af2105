#include "pipeline/thread_pool.hpp"

#if !defined(_WIN32)
#include <pthread.h>  // pthread_atfork
#endif
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(_MSC_VER)
#include <intrin.h>  // _mm_pause, __yield
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace fastaug {

namespace {

// How long an idle worker, or a caller waiting for its helpers, polls before it blocks.
// Waking a blocked thread takes tens of microseconds (about 100 on this VM, a tenth of a
// two-thread 32-image batch), paid on every call once the Python work between two calls
// has let the workers fall asleep. Polling for a bounded time first, as OpenMP runtimes do,
// spares back-to-back batches that cost; an idle process burns at most this much per call.
constexpr std::chrono::microseconds kSpinBeforeBlocking{1000};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#elif defined(_MSC_VER) && defined(_M_ARM64)
  __yield();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

// Polls `ready` for up to kSpinBeforeBlocking, yielding the CPU now and then in case it is
// oversubscribed; true once it holds.
template <class Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeBlocking;
  for (;;) {
    for (int i = 0; i < 256; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
    std::this_thread::yield();
  }
}

// Indices are claimed `grain` at a time: with many cheap tasks (a batch of 256 CIFAR
// images, about a microsecond each) a claim and a finish per index moved the counters'
// cache line between the cores on every image.
class Job {
 public:
  Job(const std::function<void(int64_t)>& task, int64_t count, int64_t grain)
      : task_(task), count_(count), grain_(grain) {}

  void work() {
    for (;;) {
      const int64_t first = next_.fetch_add(grain_);
      if (first >= count_) return;
      const int64_t end = std::min(first + grain_, count_);
      for (int64_t i = first; i < end && !failed_.load(); ++i) {
        try {
          task_(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (!error_) error_ = std::current_exception();
          failed_.store(true);
        }
      }
      if (finished_.fetch_add(end - first) + (end - first) == count_) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
      }
    }
  }

  // Blocks until every index has finished, then rethrows a task's exception if any.
  void wait() {
    spin_until([this] { return finished_.load() == count_; });
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return finished_.load() == count_; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Only dereferenced for a claimed index < count_, which finishes before wait() returns,
  // so a worker holding a stale ticket never touches the caller's (gone) task.
  const std::function<void(int64_t)>& task_;
  const int64_t count_, grain_;
  // Apart, so that claiming work does not contend with reporting it done.
  alignas(64) std::atomic<int64_t> next_{0};
  alignas(64) std::atomic<int64_t> finished_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  std::exception_ptr error_;
};

class Pool {
 public:
  explicit Pool(int workers) {
    try {
      for (int t = 0; t < workers; ++t) threads_.emplace_back([this] { run(); });
    } catch (...) {
      stop();
      throw;
    }
  }
  ~Pool() { stop(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }

  // Queues `tickets` invitations for idle workers to help with `job`.
  void submit(const std::shared_ptr<Job>& job, int tickets) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int t = 0; t < tickets; ++t) queue_.push_back(job);
      queued_.store(queue_.size());
    }
    if (tickets == 1)
      wake_.notify_one();
    else
      wake_.notify_all();
  }

 private:
  void run() {
    for (;;) {
      std::shared_ptr<Job> job;
      spin_until([this] { return queued_.load() > 0 || stopping_.load(); });
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(queue_.size());
      }
      job->work();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::atomic<bool> stopping_{false};  // atomic (and queued_) for the spinning workers to poll
  std::atomic<size_t> queued_{0};      // queue_.size(), written under mutex_
};

// The shared pool. The holder is never freed: at exit, static destructors must not join
// threads that a still-running caller may be using (its workers are simply ended with the
// process). g_pool_mutex is held only briefly (never while tasks run), and across fork() so
// the child sees a consistent g_pool.
std::mutex g_pool_mutex;
std::shared_ptr<Pool>* g_pool = new std::shared_ptr<Pool>();

#if !defined(_WIN32)  // Windows has no fork()

void before_fork() { g_pool_mutex.lock(); }
void after_fork_in_parent() { g_pool_mutex.unlock(); }
// The child has only the forking thread: the pool's workers do not exist there, so its
// mutexes may be held forever and joining would hang. Abandon it (leak the holder and
// its reference, so no destructor ever runs) and let the next call build a new one.
void after_fork_in_child() {
  g_pool = new std::shared_ptr<Pool>();
  g_pool_mutex.unlock();
}

// Registered at load time, before any pool can exist.
const int g_atfork_registered = pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
#endif

// Starts a pool of `workers` threads; a failure names what was asked for (the OS error
// alone, "Resource temporarily unavailable", does not say which threads).
std::shared_ptr<Pool> make_pool(int workers) {
  try {
    return std::make_shared<Pool>(workers);
  } catch (const std::system_error& e) {
    throw std::runtime_error("fastaug could not start " + std::to_string(workers) +
                             " worker threads (num_threads=" + std::to_string(workers + 1) +
                             "): " + e.code().message() + "; use a smaller num_threads");
  }
}

std::shared_ptr<Pool> acquire_pool(int workers) {
  std::shared_ptr<Pool> replaced;  // joined after the lock is released
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  std::shared_ptr<Pool>& pool = *g_pool;
  // Grow only: a call never gets more helpers than it asks for (see parallel_for's tickets),
  // so a larger pool serves smaller requests and concurrent callers don't thrash it.
  if (!pool || pool->workers() < workers) {
    std::shared_ptr<Pool> larger = make_pool(workers);  // on failure the old pool stays
    replaced = std::move(pool);
    pool = std::move(larger);
  }
  return pool;
}

}  // namespace

int available_cpus() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void parallel_for(int64_t count, int num_threads, const std::function<void(int64_t)>& task) {
#if !defined(_WIN32)
  (void)g_atfork_registered;
#endif
  if (count <= 0) return;
  const int threads = num_threads > 0 ? num_threads : available_cpus();
  const int64_t helpers = std::min<int64_t>(threads - 1, count - 1);
  if (helpers <= 0) {
    for (int64_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::shared_ptr<Pool> pool = acquire_pool(threads - 1);
  // About eight claims per thread: few enough for cheap tasks, enough to balance uneven ones.
  const int64_t grain = std::max<int64_t>(1, count / (8 * (helpers + 1)));
  auto job = std::make_shared<Job>(task, count, grain);
  pool->submit(job, static_cast<int>(helpers));
  job->work();
  job->wait();
}

}  // namespace fastaug
