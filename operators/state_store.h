#pragma once

#include <string>

#include "state/key_value_store.h"
#include "state/session_store.h"
#include "state/window_store.h"

namespace runnel {

// The three kinds of state store a topology can declare.
enum class StoreKind { kKeyValue, kWindow, kSession };

// A task's instance of one declared store, as ProcessorContext::get_state_store returns it:
// exactly the pointer of `kind` is set. The store is the outermost decorator (caching, then
// change-logging, then the RocksDB or in-memory store), so every write through it is cached
// and logged as the store's definition asks. Typed access: wrap it in
// state::TypedKeyValueStore / TypedWindowStore / TypedSessionStore with the store's serdes.
//
// Borrowed from the task: valid from the processor's init until its close returns; used from
// the task's thread only.
struct StateStore {
  std::string name;
  StoreKind kind = StoreKind::kKeyValue;
  state::KeyValueStore* key_value = nullptr;
  state::WindowStore* window = nullptr;
  state::SessionStore* session = nullptr;
};

}  // namespace runnel
