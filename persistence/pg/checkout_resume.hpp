// What a node resumes at start-up: the checkouts that began and have not
// ended. Reading every `checkout.started` ever written made start-up grow
// with history (about 17 s per million checkouts), so the scan starts after
// a mark kept in projection_offsets (name `checkout-resume`): every checkout
// whose `checkout.started` lies at or below the mark has ended (completed,
// compensated or closed). A scan moves the mark up to the first checkout that
// has not ended, a stuck one included (an operator may still resume it), and
// never moves it back; several nodes may scan at once. Offsets become visible
// in commit order (persistence/README.md), so a checkout that begins while a
// scan runs lands above everything the scan saw.
//
// Blocking (one connection): run it at start-up or on a reader's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/common/problem.hpp"

namespace agora::persistence::pg {

class connection;

struct checkout_scan {
  /// Checkouts to drive again: begun, neither ended nor stuck.
  std::vector<std::string> unfinished;
  /// The mark before and after the scan.
  int64_t mark_before = 0;
  int64_t mark = 0;
  /// `checkout.started` events read (those above the mark before).
  int64_t scanned = 0;
};

/// Reads the checkouts above the stored mark, stores the mark the scan
/// found, and returns what to resume.
result<checkout_scan> scan_checkouts(connection& conn);

} // namespace agora::persistence::pg
