#!/usr/bin/env bash
# A DSL call that can only use the types' default serdes (no Consumed, no Materialized, a test
# topic without serdes) must fail to compile for a type that has none, with a message that
# says how to give one; the same calls with serdes given must compile for that type, and a type
# that opted into JSON needs none. Usage: missing_serde_compile_test.sh CXX REPOSITORY_ROOT
set -euo pipefail
cxx=${1:?usage: missing_serde_compile_test.sh CXX REPOSITORY_ROOT}
root=${2:?usage: missing_serde_compile_test.sh CXX REPOSITORY_ROOT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prelude='#include <memory>
#include <string>
#include "core/json_serde.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"
using namespace runnel;
using S = std::string;
struct NoSerde {};
struct Opted { int n = 0; };
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Opted, n)
RUNNEL_JSON_DEFAULT_SERDE(Opted);
// A serde for NoSerde, to give explicitly.
struct NoSerdeSerde final : Serde<NoSerde> {
  std::string_view name() const override { return "no-serde"; }
  Status serialize_to(const NoSerde&, Bytes&) const override { return ok_status(); }
  Result<NoSerde> deserialize(BytesView) const override { return NoSerde{}; }
};
void f(TopologyTestDriver& driver) {
  StreamsBuilder builder;
  auto strings = std::make_shared<StringSerde>();
  auto mine = std::make_shared<NoSerdeSerde>();
  auto s = builder.stream<S, S>("in");'

expected_message="has no default serde (no runnel::DefaultSerde<T>), and this call gives none"
failures=0
# check NAME EXPECTATION BODY: EXPECTATION is "ok" or "missing" (the message above).
check() {
  local name=$1 expected=$2 body=$3
  printf '%s\n%s\n}\n' "$prelude" "$body" >"$work/$name.cc"
  if "$cxx" -std=c++20 -fsyntax-only -I"$root" "$work/$name.cc" >"$work/$name.log" 2>&1; then
    if [ "$expected" != ok ]; then
      echo "FAIL $name: compiled, expected: $expected_message"
      failures=$((failures + 1))
    fi
  elif [ "$expected" = ok ]; then
    echo "FAIL $name: did not compile:"; head -30 "$work/$name.log"
    failures=$((failures + 1))
  elif ! grep -qF "$expected_message" "$work/$name.log"; then
    echo "FAIL $name: error does not say: $expected_message"; head -30 "$work/$name.log"
    failures=$((failures + 1))
  elif ! grep -qF "RUNNEL_JSON_DEFAULT_SERDE" "$work/$name.log"; then
    echo "FAIL $name: error does not name the JSON opt-in"; head -30 "$work/$name.log"
    failures=$((failures + 1))
  fi
}

check serdes_given ok '
  auto n = builder.stream<S, NoSerde>("n", Consumed<S, NoSerde>::with(strings, mine));
  n.to("out", Produced<S, NoSerde>::with(strings, mine));
  n.group_by_key().reduce([](const NoSerde& a, const NoSerde&) { return a; });
  builder.table<NoSerde, S>("t", Consumed<NoSerde, S>::with(mine, strings));
  builder.global_table<S, NoSerde>("g", Consumed<S, NoSerde>::with(strings, mine));
  s.group_by_key().aggregate([] { return NoSerde{}; },
      [](const S&, const S&, const NoSerde& a) { return a; },
      Materialized<S, NoSerde>::with(strings, mine));
  s.map_values([](const S&) { return NoSerde{}; }).to("out2");  // checked when built
  driver.create_input_topic<S, NoSerde>("n", strings, mine);
  driver.create_output_topic<S, NoSerde>("n", nullptr, mine);'
check json_opted_in_needs_none ok '
  auto o = builder.stream<S, Opted>("o");
  o.group_by_key().aggregate([] { return Opted{}; },
      [](const S&, const Opted& v, const Opted& a) { return Opted{a.n + v.n}; }).to_stream().to("out");
  builder.table<Opted, Opted>("t");
  driver.create_input_topic<S, Opted>("o");
  driver.create_output_topic<S, Opted>("out");'
check stream_value missing '
  builder.stream<S, NoSerde>("n");'
check stream_key_of_several_topics missing '
  builder.stream<NoSerde, S>(std::vector<std::string>{"a", "b"});'
check table missing '
  builder.table<S, NoSerde>("t");'
check global_table missing '
  builder.global_table<NoSerde, S>("g");'
check aggregate_without_materialized missing '
  s.group_by_key().aggregate([] { return NoSerde{}; },
      [](const S&, const S&, const NoSerde& a) { return a; });'
check table_aggregate_without_materialized missing '
  builder.table<S, S>("t")
      .group_by([](const S& k, const S& v) { return make_key_value(v, k); })
      .aggregate([] { return NoSerde{}; }, [](const S&, const S&, const NoSerde& a) { return a; },
                 [](const S&, const S&, const NoSerde& a) { return a; });'
check test_input_topic missing '
  driver.create_input_topic<S, NoSerde>("n");'
check test_output_topic missing '
  driver.create_output_topic<NoSerde, S>("n");'

if [ "$failures" -gt 0 ]; then
  echo "$failures compile check(s) failed"
  exit 1
fi
echo "compile checks: a type without a default serde is refused where only the default can serve"
