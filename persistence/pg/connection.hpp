// RAII around libpq: one PostgreSQL connection with prepared statements that
// survive reconnects, result handles that free themselves, and the
// classification of errors into what callers act on (conflict, unavailable,
// anything else). Every call blocks: use a connection only from a detached
// actor or a thread of its own, never from a CAF scheduler or Beast I/O thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

namespace agora::persistence::pg {

// -- handles ------------------------------------------------------------------

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};

struct conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

/// An owned PGresult (PQclear on destruction).
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// An owned PGconn (PQfinish on destruction).
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;

// -- errors -------------------------------------------------------------------

/// What a failure means for the caller.
enum class failure_kind {
  /// A unique constraint fired (SQLSTATE 23505): an optimistic-concurrency
  /// conflict for the journal.
  conflict,
  /// The server cannot be reached, the connection broke, or a statement
  /// was cancelled by statement_timeout (57014); retry later.
  unavailable,
  /// Anything else (bad SQL, bad data): a bug or invalid input.
  other,
};

/// A failed libpq call.
struct db_error {
  failure_kind kind = failure_kind::other;
  /// The five-character SQLSTATE, empty when the failure had none.
  std::string sqlstate;
  std::string message;
};

/// Classifies a failed result (or a failed call without result when `res` is
/// null) on `conn`.
db_error classify(const PGconn* conn, const PGresult* res);

// -- parameters ----------------------------------------------------------------

/// How a statement's parameters are sent: as text, or each in its type's
/// binary format.
enum class param_format { text = 0, binary = 1 };

// -- results ------------------------------------------------------------------

/// The outcome of one statement: a result when it succeeded, the error
/// otherwise.
class outcome {
public:
  outcome(result_ptr res) : res_(std::move(res)) {}
  outcome(db_error err) : err_(std::move(err)) {}

  explicit operator bool() const noexcept { return res_ != nullptr; }

  PGresult* get() const noexcept { return res_.get(); }
  const db_error& error() const noexcept { return err_; }

  /// Rows and columns of a tuples result.
  int rows() const noexcept { return res_ ? PQntuples(res_.get()) : 0; }
  /// The text of a field ("" for NULL).
  std::string_view text(int row, int col) const noexcept;
  bool is_null(int row, int col) const noexcept;
  /// A field parsed as int64 (0 for NULL).
  int64_t int64(int row, int col) const noexcept;
  bool boolean(int row, int col) const noexcept;

private:
  result_ptr res_;
  db_error err_;
};

/// Turns a result into an outcome: success for COMMAND_OK / TUPLES_OK,
/// the classified error otherwise.
outcome to_outcome(const PGconn* conn, result_ptr res);

// -- connection ---------------------------------------------------------------

/// One connection. Not thread-safe; owned by one actor.
class connection {
public:
  /// `conninfo` is a libpq keyword/value string or URI. Unless it says
  /// otherwise, connect_timeout is 3 s, application_name "agora", and a
  /// server that stops answering is noticed within about 30 s: TCP
  /// keepalives (10 s idle, 3 probes 5 s apart) for an idle connection,
  /// tcp_user_timeout 30 s for one waiting on unacknowledged data. A call
  /// then fails with `unavailable` instead of blocking its actor forever.
  explicit connection(std::string conninfo, std::string application_name = "agora");

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Connects if not connected (or if the connection broke). Re-prepares the
  /// registered statements. Returns false and sets last_error() on failure.
  bool ensure_connected();

  /// True when a connection exists and its status is CONNECTION_OK.
  bool connected() const noexcept;

  /// Drops the connection (the next ensure_connected() reconnects).
  void reset() noexcept;

  /// Runs `sql` (session settings such as `SET ...`) on every (re)connection,
  /// before the statements are prepared; now too, if connected.
  bool set_session(std::string sql);

  /// Registers a statement to prepare on every (re)connection under `name`.
  /// Prepares it now if connected. Returns false if preparing failed.
  bool prepare(std::string name, std::string sql);

  /// True when a statement of that name is registered.
  bool has_statement(std::string_view name) const noexcept;

  /// The connection's socket (-1 when not connected), for inspection only:
  /// the tests read the TCP options set on it.
  int socket_fd() const noexcept;

  /// Runs one or more statements with the simple protocol (no parameters).
  outcome exec(std::string_view sql);

  /// Runs one statement with text parameters (extended protocol).
  outcome exec_params(std::string_view sql, const std::vector<std::string>& params);

  /// Runs a registered prepared statement with text parameters, or with
  /// binary ones (each in its type's binary format, e.g. from
  /// binary_array_builder) when `format` is param_format::binary.
  outcome exec_prepared(const std::string& name, const std::vector<std::string>& params,
                        param_format format = param_format::text);

  /// The error of the last failed connect.
  const db_error& last_error() const noexcept { return last_error_; }

  const std::string& conninfo() const noexcept { return conninfo_; }

private:
  struct statement {
    std::string name;
    std::string sql;
  };

  bool prepare_on_server(const statement& st);

  std::string conninfo_;
  std::string application_name_;
  conn_ptr conn_;
  std::vector<statement> statements_;
  std::string session_sql_;
  db_error last_error_;
};

/// Quotes a value as a PostgreSQL identifier ("a""b"), for DDL in tools and
/// tests (CREATE DATABASE cannot take parameters).
std::string quote_identifier(std::string_view name);

} // namespace agora::persistence::pg
