// What agora-saga prints (pure: no I/O): the journal rows of a saga's timeline
// in order, the one-line summary of an event's payload, and the tables of
// `list` and `show`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::checkout {
struct state;
}

namespace agora::saga_tool {

/// One journal row as the tool reads it.
struct journal_row {
  int64_t global_offset = 0;
  std::string persistence_id;
  int64_t seq_nr = 0;
  std::string event_type;
  /// The payload as JSON object text.
  std::string payload;
  std::string correlation_id;
  /// The row's created_at (commit transaction time), µs since the epoch.
  int64_t created_at_us = 0;
};

/// The union of two sets of rows (the saga's own events, the events its
/// commands caused), in global_offset order, each offset once.
std::vector<journal_row> merge_timeline(std::vector<journal_row> a, std::vector<journal_row> b);

/// A one-line, human summary of an event payload, at most `max_width`
/// characters (longer ones end in "…"). checkout.* events get a dedicated
/// form ("reserve_inventory attempt 2: unavailable (retryable) → retry");
/// other events list their fields as key=value, leaving out "at" (shown in
/// its own column), secrets and a checkout_id equal to `checkout_id`, with
/// times as RFC 3339 and values derived from the checkout id (idempotency
/// keys and reservation ids "<checkout_id>/<step>...") shortened to
/// "…/<step>...". A payload that is not a JSON object is shown as it is.
std::string summarize_payload(std::string_view event_type, std::string_view payload,
                              std::string_view checkout_id = {}, size_t max_width = 160);

/// When the event happened: the payload's "at" when it has one, else the
/// row's created_at.
int64_t event_time(const journal_row& row);

/// The event lines of `show`: offset, time, persistence id, type, summary;
/// a line naming the date precedes the first event of each day.
std::string format_timeline(const std::vector<journal_row>& rows, std::string_view checkout_id);

/// One line of `list`.
struct saga_row {
  std::string checkout_id;
  std::string status;
  /// "reserve_inventory", "place_order (compensating)", "-" when finished.
  std::string step;
  /// The failure reason, the stuck reason or the operator's closing reason.
  std::string reason;
  int64_t started_at = 0;
  int64_t updated_at = 0;
};

saga_row to_saga_row(const checkout::state& st);

/// The `list` table (a header line, then one line per saga).
std::string format_list(const std::vector<saga_row>& rows);

/// The saga part of `show`: ids, status, next action, and one line per step.
std::string format_saga(const checkout::state& st);

} // namespace agora::saga_tool
