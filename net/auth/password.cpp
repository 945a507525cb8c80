#include "net/auth/password.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <crypt.h>

#include "actors/common/log.hpp"

namespace agora::net::auth {

namespace {

/// crypt_rn's scratch area is ~32 KiB and must start zeroed: one per thread.
crypt_data& scratch() {
  thread_local auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  return *data;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool is_bcrypt(std::string_view h) noexcept {
  return h.size() == 60
         && (h.substr(0, 4) == "$2b$" || h.substr(0, 4) == "$2a$" || h.substr(0, 4) == "$2y$");
}

} // namespace

// -- blocking primitives ------------------------------------------------------

std::optional<std::string> password_hasher::hash_blocking(std::string_view password, int cost) {
  if (password.find('\0') != std::string_view::npos)
    return std::nullopt;
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt)
      == nullptr)
    return std::nullopt;
  std::string pw{password};
  auto& data = scratch();
  const char* h = crypt_rn(pw.c_str(), salt, &data, sizeof data);
  if (h == nullptr || h[0] == '*')
    return std::nullopt;
  return std::string{h};
}

bool password_hasher::verify_blocking(std::string_view password, std::string_view stored_hash) {
  // A fixed, valid cost-10 hash of a throwaway string: unknown accounts and
  // corrupt hashes are checked against it so they take as long as real ones.
  static constexpr std::string_view dummy =
    "$2b$10$bkLacXxcZc6qovQbelTcuetUARBg2IizDN2Fnow97l2gCoY7okKBK";
  bool usable = is_bcrypt(stored_hash) && password.find('\0') == std::string_view::npos;
  std::string setting{usable ? stored_hash : dummy};
  std::string pw{password.substr(0, password.find('\0'))};
  auto& data = scratch();
  const char* h = crypt_rn(pw.c_str(), setting.c_str(), &data, sizeof data);
  if (h == nullptr || h[0] == '*')
    return false;
  return constant_time_equal(h, setting) && usable;
}

// -- the pool -----------------------------------------------------------------

struct password_hasher::impl {
  int cost;
  mutable std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  size_t running = 0;
  bool stopping = false;
  std::vector<std::thread> threads;

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock guard{mtx};
        cv.wait(guard, [this] { return stopping || !jobs.empty(); });
        if (jobs.empty())
          return; // stopping and drained
        job = std::move(jobs.front());
        jobs.pop_front();
        ++running;
      }
      try {
        job();
      } catch (const std::exception& e) {
        net_log().error("password hashing callback threw: {}", e.what());
      } catch (...) {
        net_log().error("password hashing callback threw a non-exception");
      }
      std::lock_guard guard{mtx};
      --running;
    }
  }

  void push(std::function<void()> job) {
    {
      std::lock_guard guard{mtx};
      jobs.push_back(std::move(job));
    }
    cv.notify_one();
  }
};

password_hasher::password_hasher(int cost, size_t threads) : impl_(std::make_unique<impl>()) {
  if (cost < 4 || cost > 31)
    throw std::invalid_argument("bcrypt cost must be within 4..31");
  impl_->cost = cost;
  if (threads == 0)
    threads = 1;
  for (size_t i = 0; i < threads; ++i)
    impl_->threads.emplace_back([this] { impl_->run(); });
}

password_hasher::~password_hasher() {
  {
    std::lock_guard guard{impl_->mtx};
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->threads)
    t.join();
}

void password_hasher::hash(std::string password,
                           std::function<void(std::optional<std::string>)> done) {
  int cost = impl_->cost;
  impl_->push([cost, pw = std::move(password), done = std::move(done)] {
    done(hash_blocking(pw, cost));
  });
}

void password_hasher::verify(std::string password, std::string stored_hash,
                             std::function<void(bool)> done) {
  impl_->push([pw = std::move(password), h = std::move(stored_hash), done = std::move(done)] {
    done(verify_blocking(pw, h));
  });
}

size_t password_hasher::pending() const {
  std::lock_guard guard{impl_->mtx};
  return impl_->jobs.size() + impl_->running;
}

} // namespace agora::net::auth
