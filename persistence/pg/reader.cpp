#include "persistence/pg/reader.hpp"

#include <memory>

#include <caf/all.hpp>

#include "persistence/pg/connection.hpp"

namespace agora::persistence::pg {

namespace {

struct job_msg {
  read_job job;
};

} // namespace

} // namespace agora::persistence::pg

namespace caf {
template <>
struct allowed_unsafe_message_type<agora::persistence::pg::job_msg> : std::true_type {};
} // namespace caf

namespace agora::persistence::pg {

namespace {

caf::behavior reader_impl(caf::event_based_actor*, std::string conninfo) {
  auto conn = std::make_shared<connection>(std::move(conninfo), "agora-reader");
  return {
    [conn](job_msg& m) { m.job(conn->ensure_connected() ? conn.get() : nullptr); },
  };
}

} // namespace

void reader::run(read_job job) const {
  caf::anon_send(hdl_, job_msg{std::move(job)});
}

reader spawn_reader(caf::actor_system& sys, std::string conninfo) {
  return reader{sys.spawn<caf::detached>(reader_impl, std::move(conninfo))};
}

} // namespace agora::persistence::pg
