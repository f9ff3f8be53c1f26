#pragma once

// The NEXMark queries as a Runnel user writes them: one Topology per query, built with the
// public DSL only (StreamsBuilder, KStream, KTable, windowed_by, joins, aggregations). Each
// reads the events topic (null keys, Event values; see nexmark_events.h) and writes its own
// output topic, nexmark-<query>.
//
// What each query writes, and how it departs from NEXMark's definition where the DSL or
// Kafka Streams' semantics make it (said again beside each query in the .cc):
//   q0  <Void, Event>      every event, deserialized and serialized again (pass-through).
//   q1  <Void, Bid>        every bid, price converted to euros: price * 89 / 100 (Beam's).
//   q2  <Void, AuctionPrice>  bids on auctions whose id is a multiple of 123.
//   q3  <seller, NameCityStateId>  auctions of category 10 by sellers in OR, ID or CA: the
//       auctions re-keyed by seller joined with a table of those persons (a KStream-KTable
//       join). An auction is joined with its
//       seller's registration if that was processed first; NEXMark's incremental join also
//       matches auctions whose seller registers later (the generator lets sellers be up to
//       10 ids ahead), which a stream-table join drops.
//   q4  <category, double>  the average winning price per category: auctions joined with
//       their bids (KStream-KStream join on auction id, bids from the auction's opening to
//       its expiry, as Flink's NEXMark q4: no reserve test), the highest bid per auction
//       (aggregate), averaged per category (a KTable group_by with adder and subtractor).
//       Without suppression on a key-value table, every auction counts as soon as it has a
//       bid, not only once it has closed: at the end of the input the table holds the
//       average over every auction that had a qualifying bid.
//   q5  <window start, AuctionCount>  hot items: bids per auction in hopping windows of
//       10 s advancing by 2 s, then the auction with the most bids per window (ties: the
//       lowest auction id). Updates; the last one per window is the result.
//   q6  <seller, double>  the average selling price of each seller's last 10 auctions: the
//       same highest qualifying bid per auction as q4 (so not only closed auctions), the
//       auctions grouped by seller (a KTable group_by) into the 10 with the highest ids (the
//       most recent), averaged. NEXMark takes the last 10 auctions to close, in closing
//       order, which needs an auction's close (see q4).
//   q7  <window start, Bid>  the highest bid per 10 s tumbling window (ties: earliest, then
//       lowest auction, then lowest bidder id); one bid per window where NEXMark outputs
//       every bid at the highest price. Updates; the last per window is the result.
//   q8  <person id, IdNameReserve>  new users: persons who opened an auction in the 10 s
//       tumbling window they registered in, one record per (person, auction) pair as Beam's
//       q8. Written as a KStream-KStream join on (person id, window start) with a 10 s join
//       window, which is what a tumbling-window join is in the DSL.
//   q11 <Windowed<bidder> (session), count>  bids per bidder session (gap 10 s). Updates,
//       with tombstones for sessions merged away; the last value per session is the result.
// Not written: q9 and q10 (not asked for), q12 (bids per bidder in processing-time windows:
// a wall-clock timestamp extractor could express it, but its result depends on timing, so no
// reference could check it).
//
// Windowed operators take `QueryOptions::grace_ms` of grace: records from different input
// partitions reach a repartitioned task interleaved, so its stream time runs ahead of some
// of them; the grace keeps those records (NEXMark itself drops none). Records dropped as late
// anyway show in the tasks' dropped_late metric, which the benchmark reports.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/nexmark/nexmark_results.h"
#include "operators/topology.h"

namespace runnel::nexmark {

inline constexpr const char* kEventsTopic = "nexmark-events";

enum class Query { kQ0, kQ1, kQ2, kQ3, kQ4, kQ5, kQ6, kQ7, kQ8, kQ11 };

std::vector<Query> all_queries();
std::string_view query_name(Query query);  // "q0" ... "q11".
std::optional<Query> parse_query(std::string_view name);
std::string output_topic(Query query);  // nexmark-<name>.

struct QueryOptions {
  // q4's join of auctions with bids covers bids up to this long after an auction opened:
  // the generator's Generator::max_auction_duration_ms().
  std::int64_t max_auction_duration_ms = 1000;
  // The grace of every windowed operator (see above).
  std::int64_t grace_ms = 30'000;
};

// The window sizes of the windowed queries (NEXMark's).
inline constexpr std::int64_t kQ5WindowMs = 10'000;
inline constexpr std::int64_t kQ5AdvanceMs = 2'000;
inline constexpr std::int64_t kQ7WindowMs = 10'000;
inline constexpr std::int64_t kQ8WindowMs = 10'000;
inline constexpr std::int64_t kQ11GapMs = 10'000;

// The query's topology; check Topology::status() (runtimes do).
Topology build_query(Query query, const QueryOptions& options);

}  // namespace runnel::nexmark
