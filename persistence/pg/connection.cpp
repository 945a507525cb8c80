#include "persistence/pg/connection.hpp"

#include <charconv>

#include "actors/common/log.hpp"

namespace agora::persistence::pg {

// -- errors -------------------------------------------------------------------

namespace {

std::string trim_message(const char* msg) {
  std::string out = msg ? msg : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

// Notices (e.g. "text-search query contains only stop words") would go to
// stderr by default; log them at debug level instead.
void notice_to_log(void*, const char* message) {
  persistence_log().debug("postgres notice: {}", trim_message(message));
}

} // namespace

db_error classify(const PGconn* conn, const PGresult* res) {
  db_error err;
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  err.sqlstate = state ? state : "";
  err.message = trim_message(res ? PQresultErrorMessage(res) : nullptr);
  if (err.message.empty())
    err.message = trim_message(PQerrorMessage(conn));
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    err.kind = failure_kind::unavailable;
  } else if (err.sqlstate == "23505") {
    err.kind = failure_kind::conflict;
  } else if (err.sqlstate.rfind("08", 0) == 0     // connection exception
             || err.sqlstate.rfind("57P", 0) == 0 // operator intervention (shutdown)
             || err.sqlstate == "53300"           // too many connections
             || err.sqlstate == "57014"           // cancelled: statement_timeout
             || err.sqlstate.empty()) {           // no server answer at all
    err.kind = failure_kind::unavailable;
  } else {
    err.kind = failure_kind::other;
  }
  return err;
}

// -- results ------------------------------------------------------------------

std::string_view outcome::text(int row, int col) const noexcept {
  if (!res_ || PQgetisnull(res_.get(), row, col))
    return {};
  return {PQgetvalue(res_.get(), row, col),
          static_cast<size_t>(PQgetlength(res_.get(), row, col))};
}

bool outcome::is_null(int row, int col) const noexcept {
  return !res_ || PQgetisnull(res_.get(), row, col);
}

int64_t outcome::int64(int row, int col) const noexcept {
  auto sv = text(row, col);
  int64_t v = 0;
  std::from_chars(sv.data(), sv.data() + sv.size(), v);
  return v;
}

bool outcome::boolean(int row, int col) const noexcept {
  auto sv = text(row, col);
  return !sv.empty() && sv[0] == 't';
}

outcome to_outcome(const PGconn* conn, result_ptr res) {
  if (res) {
    auto st = PQresultStatus(res.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
      return outcome{std::move(res)};
  }
  return outcome{classify(conn, res.get())};
}

// -- connection ---------------------------------------------------------------

connection::connection(std::string conninfo, std::string application_name)
  : conninfo_(std::move(conninfo)), application_name_(std::move(application_name)) {
  // nop
}

bool connection::connected() const noexcept {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

int connection::socket_fd() const noexcept {
  return conn_ ? PQsocket(conn_.get()) : -1;
}

void connection::reset() noexcept {
  conn_.reset();
}

bool connection::ensure_connected() {
  if (connected())
    return true;
  conn_.reset();
  // Defaults first: the entries of the expanded conninfo override them.
  // Keepalives and tcp_user_timeout notice a server that stops answering.
  const char* keys[] = {"connect_timeout",  "application_name", "keepalives",
                        "keepalives_idle",  "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", "dbname",           nullptr};
  const char* vals[] = {"3",     application_name_.c_str(), "1",
                        "10",    "5",                       "3",
                        "30000", conninfo_.c_str(),         nullptr};
  conn_ptr c{PQconnectdbParams(keys, vals, 1)};
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    last_error_ = db_error{failure_kind::unavailable, "",
                           c ? trim_message(PQerrorMessage(c.get())) : "out of memory"};
    return false;
  }
  PQsetNoticeProcessor(c.get(), notice_to_log, nullptr);
  conn_ = std::move(c);
  if (!session_sql_.empty()) {
    auto out = exec(session_sql_);
    if (!out) {
      last_error_ = out.error();
      conn_.reset();
      return false;
    }
  }
  for (const auto& st : statements_) {
    if (!prepare_on_server(st)) {
      conn_.reset();
      return false;
    }
  }
  return true;
}

bool connection::prepare_on_server(const statement& st) {
  result_ptr res{PQprepare(conn_.get(), st.name.c_str(), st.sql.c_str(), 0, nullptr)};
  auto out = to_outcome(conn_.get(), std::move(res));
  if (!out) {
    last_error_ = out.error();
    persistence_log().error("preparing statement {} failed: {}", st.name, out.error().message);
    return false;
  }
  return true;
}

bool connection::set_session(std::string sql) {
  session_sql_ = std::move(sql);
  return !connected() || static_cast<bool>(exec(session_sql_));
}

bool connection::prepare(std::string name, std::string sql) {
  for (auto& st : statements_) {
    if (st.name != name)
      continue;
    if (st.sql == sql)
      return true;
    st.sql = std::move(sql);
    if (!connected())
      return true;
    exec("DEALLOCATE " + quote_identifier(st.name));
    return prepare_on_server(st);
  }
  statements_.push_back(statement{std::move(name), std::move(sql)});
  return connected() ? prepare_on_server(statements_.back()) : true;
}

bool connection::has_statement(std::string_view name) const noexcept {
  for (const auto& st : statements_)
    if (st.name == name)
      return true;
  return false;
}

namespace {

/// The arrays libpq takes for `params` (values, lengths, formats), valid
/// while `params` lives.
struct param_arrays {
  param_arrays(const std::vector<std::string>& params, param_format format) {
    values.reserve(params.size());
    for (const auto& p : params)
      values.push_back(p.c_str());
    if (format == param_format::binary) {
      for (const auto& p : params)
        lengths.push_back(static_cast<int>(p.size()));
      formats.assign(params.size(), 1);
    }
  }
  int count() const noexcept { return static_cast<int>(values.size()); }
  /// Null for text parameters (libpq then needs neither).
  const int* length_data() const noexcept { return lengths.empty() ? nullptr : lengths.data(); }
  const int* format_data() const noexcept { return formats.empty() ? nullptr : formats.data(); }

  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

db_error not_connected(const db_error& last) {
  db_error err = last;
  err.kind = failure_kind::unavailable;
  if (err.message.empty())
    err.message = "not connected";
  return err;
}

} // namespace

outcome connection::exec(std::string_view sql) {
  if (!ensure_connected())
    return outcome{not_connected(last_error_)};
  std::string text{sql};
  return to_outcome(conn_.get(), result_ptr{PQexec(conn_.get(), text.c_str())});
}

outcome connection::exec_params(std::string_view sql, const std::vector<std::string>& params) {
  if (!ensure_connected())
    return outcome{not_connected(last_error_)};
  std::string text{sql};
  param_arrays ps{params, param_format::text};
  result_ptr res{PQexecParams(conn_.get(), text.c_str(), ps.count(), nullptr, ps.values.data(),
                              nullptr, nullptr, 0)};
  return to_outcome(conn_.get(), std::move(res));
}

outcome connection::exec_prepared(const std::string& name, const std::vector<std::string>& params,
                                  param_format format) {
  if (!ensure_connected())
    return outcome{not_connected(last_error_)};
  param_arrays ps{params, format};
  result_ptr res{PQexecPrepared(conn_.get(), name.c_str(), ps.count(), ps.values.data(),
                                ps.length_data(), ps.format_data(), 0)};
  return to_outcome(conn_.get(), std::move(res));
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

} // namespace agora::persistence::pg
