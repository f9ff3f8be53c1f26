#!/usr/bin/env bash
# A DSL callable with the wrong signature must fail to compile with a message that names the
# method and the expected signature (the static_asserts in operators/kstream.h), and a right
# one must compile. Usage: compile_fail_test.sh CXX REPOSITORY_ROOT
set -euo pipefail
cxx=${1:?usage: compile_fail_test.sh CXX REPOSITORY_ROOT}
root=${2:?usage: compile_fail_test.sh CXX REPOSITORY_ROOT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prelude='#include <memory>
#include <string>
#include "operators/streams_builder.h"
using namespace runnel;
using S = std::string;
void f() {
  StreamsBuilder builder;
  auto s = builder.stream<S, S>("in");'

failures=0
# check NAME EXPECTATION BODY: EXPECTATION is "ok" or a message the compiler must print.
check() {
  local name=$1 expected=$2 body=$3
  printf '%s\n%s\n}\n' "$prelude" "$body" >"$work/$name.cc"
  if "$cxx" -std=c++20 -fsyntax-only -I"$root" "$work/$name.cc" >"$work/$name.log" 2>&1; then
    if [ "$expected" != ok ]; then
      echo "FAIL $name: compiled, expected an error containing: $expected"
      failures=$((failures + 1))
    fi
  elif [ "$expected" = ok ]; then
    echo "FAIL $name: did not compile:"; head -20 "$work/$name.log"
    failures=$((failures + 1))
  elif ! grep -qF "$expected" "$work/$name.log"; then
    echo "FAIL $name: error does not say: $expected"; head -20 "$work/$name.log"
    failures=$((failures + 1))
  fi
}

check right_signatures ok '
  s.filter([](const S&, const S& v) { return v.empty(); })
      .map_values([](const S& v) { return v.size(); })
      .flat_map_values([](std::size_t n) { return std::vector<std::size_t>(n, n); })
      .map([](const S& k, std::size_t n) { return std::make_pair(n, k); })
      .select_key([](std::size_t, const S& v) { return v; });'
check map_values_arity "map_values: the mapper must be callable as V2(const V&) or V2(const K&, const V&)" '
  s.map_values([](int, int, int) { return 1; });'
check map_values_void "map_values: the mapper must return the new value" '
  s.map_values([](const S&) {});'
check filter_result "filter/filter_not: the predicate must return bool" '
  s.filter([](const S&, const S& v) { return v; });'
check filter_argument_type "filter/filter_not: the predicate must be callable" '
  s.filter([](const S&, const std::vector<int>&) { return true; });'
check map_result "map: the mapper must return KeyValue<K2, V2> or std::pair<K2, V2>" '
  s.map([](const S& k, const S&) { return k; });'
check flat_map_values_result "flat_map_values: the mapper must return a range" '
  s.flat_map_values([](const S&) { return 1; });'
check process_input_types "process: the processor" '
  struct P : Processor<int, int, int, int> { void process(Record<int, int>) override {} };
  s.process([] { return std::make_unique<P>(); });'
check peek_signature "peek: the action must be callable as void(const K&, const V&)" '
  s.peek([](int) {});'
check table_group_by_right ok '
  builder.table<S, S>("t")
      .group_by([](const S& k, const S& v) { return make_key_value(v, k); })
      .reduce([](const S& a, const S& b) { return a + b; }, [](const S& a, const S&) { return a; });'
check table_group_by_result "KTable::group_by: the selector must be callable as KeyValue<K2, V2>" '
  builder.table<S, S>("t").group_by([](const S& k, const S&) { return k; });'
check table_group_by_subtractor "reduce: the adder and subtractor must be callable" '
  builder.table<S, S>("t")
      .group_by([](const S& k, const S& v) { return make_key_value(v, k); })
      .reduce([](const S& a, const S& b) { return a + b; }, [](int) { return 1; });'

check sliding_windows_right_signatures ok '
  using namespace std::chrono_literals;
  auto w = s.group_by_key().windowed_by(SlidingWindows::of_time_difference_and_grace(5s, 1s));
  KTable<Windowed<S>, std::int64_t> c = w.count();
  KTable<Windowed<S>, S> r = w.reduce([](const S& a, const S& b) { return a + b; });
  KTable<Windowed<S>, S> a = w.aggregate([] { return S(); },
      [](const S&, const S& v, const S& agg) { return agg + v; },
      Materialized<S, S>::with(std::make_shared<StringSerde>(), std::make_shared<StringSerde>()));
  c.suppress(Suppressed::until_window_closes());'
check sliding_aggregate_signature "aggregate: the aggregator must be callable as VA(const K&, const V&, const VA&)" '
  using namespace std::chrono_literals;
  s.group_by_key().windowed_by(SlidingWindows::of_time_difference_without_grace(5s))
      .aggregate([] { return 0; }, [](int) { return 0; });'
check windowed_by_window_type "windowed_by: takes TimeWindows, SlidingWindows or SessionWindows" '
  s.group_by_key().windowed_by(42);'
check suppress_strict_buffer_configs ok '
  using namespace std::chrono_literals;
  auto c = s.group_by_key().windowed_by(TimeWindows::of_size(5s)).count();
  c.suppress(Suppressed::until_window_closes(BufferConfig::max_records(5).shut_down_when_full()));
  c.suppress(Suppressed::until_window_closes(BufferConfig::max_bytes(1 << 20).shut_down_when_full()));
  c.suppress(Suppressed::until_window_closes(BufferConfig::unbounded()));'
# A final result must never come early: until_window_closes takes no emit-early buffer.
check suppress_eager_buffer "StrictBufferConfig" '
  using namespace std::chrono_literals;
  s.group_by_key().windowed_by(TimeWindows::of_size(5s)).count()
      .suppress(Suppressed::until_window_closes(BufferConfig::max_records(5)));'
# until_time_limit takes either kind of bound, on any table, windowed or not.
check suppress_time_limit_buffer_configs ok '
  using namespace std::chrono_literals;
  auto t = builder.table<S, S>("t");
  t.suppress(Suppressed::until_time_limit(5s, BufferConfig::max_records(5)));
  t.suppress(Suppressed::until_time_limit(5s, BufferConfig::max_bytes(1 << 20).emit_early_when_full()));
  t.suppress(Suppressed::until_time_limit(500ms, BufferConfig::max_records(5).shut_down_when_full()));
  t.suppress(Suppressed::until_time_limit(0ms, BufferConfig::unbounded()).with_name("rate"));
  s.group_by_key().windowed_by(TimeWindows::of_size(5s)).count()
      .suppress(Suppressed::until_time_limit(1s, BufferConfig::max_records(5)));'
# Foreign-key joins: every overload beside the KTable-KTable joins of the same name; an
# extractor returning something else than the other table's key is refused by name.
check fk_join_overloads ok '
  auto t = builder.table<S, S>("t");
  auto o = builder.table<std::int64_t, S>("o");
  auto j = [](const S& a, const S& b) { return a + b; };
  auto lj = [](const S& a, const std::optional<S>& b) { return a + b.value_or(""); };
  t.join(o, [](const S& v) { return static_cast<std::int64_t>(v.size()); }, j);
  t.join(o, [](const S&, const S& v) -> std::optional<std::int64_t> { return std::nullopt; }, j,
         Named::as("n1"));
  t.join(o, [](const S& v) { return static_cast<std::int64_t>(v.size()); }, j,
         Materialized<S, S>::as("m1"));
  t.left_join(o, [](const S& v) { return static_cast<std::int64_t>(v.size()); }, lj);
  t.left_join(o, [](const S& v) { return static_cast<std::int64_t>(v.size()); }, lj,
              Named::as("n2"), Materialized<S, S>::as("m2"));
  t.join(t, j);
  t.left_join(t, lj, Named::as("n3"));'
check fk_join_extractor_key_type "the extractor must return the other table's key type" '
  auto t = builder.table<S, S>("t");
  auto o = builder.table<std::int64_t, S>("o");
  t.join(o, [](const S& v) { return v; }, [](const S& a, const S& b) { return a + b; });'
if [ "$failures" -gt 0 ]; then
  echo "$failures compile check(s) failed"
  exit 1
fi
echo "compile checks: wrong DSL signatures are refused with their messages"
