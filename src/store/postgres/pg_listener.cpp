#include "store/postgres/pg_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "core/last_resort.h"
#include "core/log.h"
#include "db/pg_conn.h"

namespace ingestd::pg {

class PgListener::Subscription final : public StoreSubscription {
 public:
  Subscription(PgListener* listener, int64_t id) : listener_(listener), id_(id) {}
  ~Subscription() override { listener_->Unsubscribe(id_); }

 private:
  PgListener* listener_;
  int64_t id_;
};

PgListener::PgListener(std::string url, std::string channel, int64_t reconnect_ms)
    : url_(std::move(url)), channel_(std::move(channel)), reconnect_ms_(reconnect_ms) {
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) wake_fds_[0] = wake_fds_[1] = -1;
}

PgListener::~PgListener() {
  if (wake_fds_[1] >= 0) {
    char b = 1;
    (void)!write(wake_fds_[1], &b, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

std::unique_ptr<StoreSubscription> PgListener::Subscribe(std::function<void()> fn) {
  if (wake_fds_[0] < 0) return nullptr;  // no pipe: callers poll
  std::lock_guard lock(mu_);
  const int64_t id = next_id_++;
  subscribers_.emplace(id, std::move(fn));
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  return std::make_unique<Subscription>(this, id);
}

void PgListener::Unsubscribe(int64_t id) {
  std::lock_guard lock(mu_);
  subscribers_.erase(id);
}

void PgListener::Fire() {
  std::lock_guard lock(mu_);
  for (auto& [id, fn] : subscribers_) fn();
}

bool PgListener::Pause(int64_t ms) {
  pollfd p{wake_fds_[0], POLLIN, 0};
  return poll(&p, 1, static_cast<int>(ms)) == 0;
}

void PgListener::Run() {
  // The last resort: a listen loop that threw starts again on a fresh connection.
  while (RunGuarded("postgres listener", [&] { Listen(); }, {{"channel", channel_}})) {
    if (!Pause(reconnect_ms_)) return;
  }
}

void PgListener::Listen() {
  const std::string listen = "LISTEN " + channel_;
  std::unique_ptr<PgConn> conn;
  for (;;) {
    if (!conn) {
      Result<std::unique_ptr<PgConn>> c = PgConn::Connect(url_);
      if (!c.ok() || !(*c)->Exec(listen.c_str()).ok()) {
        if (!Pause(reconnect_ms_)) return;
        continue;
      }
      conn = std::move(*c);
      Fire();  // anything queued while we were not listening
    }
    pollfd fds[2] = {{PQsocket(conn->raw()), POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return;
    if (PQconsumeInput(conn->raw()) == 0) {
      log::Warn("postgres listener connection lost; reconnecting", {{"channel", channel_}});
      conn.reset();
      continue;
    }
    bool notified = false;
    while (PGnotify* n = PQnotifies(conn->raw())) {
      notified = true;
      PQfreemem(n);
    }
    if (notified) Fire();
  }
}

}  // namespace ingestd::pg
