#include "operators/topology.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <set>
#include <sstream>

namespace runnel {

using internal::NodeDef;
using internal::NodeKind;

namespace {

// Java's List/Set toString: "[a, b]".
std::string bracketed(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + "]";
}

// Kafka's nodeNames(): comma-separated, or "none".
std::string node_names(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::string TopologyDescription::to_string() const {
  // Byte for byte the format of Kafka Streams' InternalTopologyBuilder.TopologyDescription:
  // a space after "Topologies:\n", two before each sub-topology, a blank line after each
  // but a global store's (Kafka's GlobalStore.toString ends with its processor's line).
  std::string out = "Topologies:\n ";
  for (const Subtopology& sub : subtopologies) {
    out += "  Sub-topology: " + std::to_string(sub.id) +
           (sub.global ? " for global store (will not generate tasks)\n" : "\n");
    for (const Node& node : sub.nodes) {
      out += "    ";
      switch (node.kind) {
        case NodeKind::kSource:
          out += "Source: " + node.name + " (topics: " + bracketed(node.topics) + ")\n      --> " +
                 node_names(node.successors);
          break;
        case NodeKind::kProcessor:
          out += "Processor: " + node.name + " (stores: " + bracketed(node.stores) +
                 ")\n      --> " + node_names(node.successors) + "\n      <-- " +
                 node_names(node.predecessors);
          break;
        case NodeKind::kSink:
          if (node.extractor.empty()) {
            out += "Sink: " + node.name + " (topic: " + node.topic + ")\n      <-- " +
                   node_names(node.predecessors);
          } else {
            out += "Sink: " + node.name + " (extractor class: " + node.extractor + ")\n      <-- " +
                   node_names(node.predecessors);
          }
          break;
      }
      out += "\n";
    }
    if (!sub.global) out += "\n";
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const TopologyDescription& description) {
  return os << description.to_string();
}

const NodeDef* Topology::node(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

std::map<std::string, std::vector<std::string>> Topology::store_users() const {
  std::map<std::string, std::vector<std::string>> users;
  for (const NodeDef& node : nodes_) {
    for (const std::string& store : node.stores) users[store].push_back(node.name);
  }
  return users;
}

bool Topology::is_internal_topic(const std::string& topic) const {
  return std::any_of(internal_topics_.begin(), internal_topics_.end(),
                     [&](const internal::InternalTopicDef& t) { return t.name == topic; });
}

std::vector<std::string> Topology::global_store_names() const {
  std::vector<std::string> out;
  for (const auto& [name, def] : stores_) {
    if (def.global) out.push_back(name);
  }
  return out;
}

const internal::StoreDef* Topology::store(const std::string& name) const {
  auto it = stores_.find(name);
  return it == stores_.end() ? nullptr : &it->second;
}

void Topology::add_store(internal::StoreDef store) {
  if (store.name.empty()) {
    set_error(invalid_argument_error("a state store needs a name"));
    return;
  }
  if (store.kind != StoreKind::kKeyValue && store.retention_ms <= 0) {
    set_error(invalid_argument_error("store '" + store.name + "': retention must be positive"));
    return;
  }
  const std::string name = store.name;
  if (!stores_.emplace(name, std::move(store)).second) {
    set_error(invalid_argument_error("state store '" + name + "' is defined twice"));
  }
}

void Topology::add_node(NodeDef node) {
  if (index_.count(node.name) != 0) {
    set_error(
        invalid_argument_error("processor name '" + node.name + "' is used twice in the topology"));
    return;
  }
  for (const std::string& parent : node.predecessors) {
    if (index_.count(parent) == 0) {
      set_error(internal_error("node " + node.name + " has unknown parent " + parent));
      return;
    }
  }
  index_.emplace(node.name, nodes_.size());
  nodes_.push_back(std::move(node));
}

void Topology::replace_nodes(const std::vector<std::string>& replaced, NodeDef replacement,
                             const std::string& dropped_store) {
  if (replaced.empty()) return;
  for (const std::string& name : replaced) {
    if (index_.count(name) == 0) {
      set_error(internal_error("rewrite: no node " + name + " to replace"));
      return;
    }
  }
  if (stores_.erase(dropped_store) == 0) {
    set_error(internal_error("rewrite: no store " + dropped_store + " to drop"));
    return;
  }
  const std::size_t first = index_.at(replaced.front());
  std::vector<NodeDef> kept;
  kept.reserve(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i == first) {
      kept.push_back(std::move(replacement));
    } else if (std::find(replaced.begin(), replaced.end(), nodes_[i].name) == replaced.end()) {
      kept.push_back(std::move(nodes_[i]));
    }
  }
  nodes_ = std::move(kept);
  index_.clear();
  for (std::size_t i = 0; i < nodes_.size(); ++i) index_.emplace(nodes_[i].name, i);
}

void Topology::finish() {
  // Union-find over edges and shared stores: a sub-topology is a connected component.
  std::vector<std::size_t> parent(nodes_.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<std::size_t(std::size_t)> find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  auto unite = [&](std::size_t a, std::size_t b) { parent[find(a)] = find(b); };
  std::map<std::string, std::size_t> store_owner;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    for (const std::string& p : nodes_[i].predecessors) unite(i, index_.at(p));
    for (const std::string& store : nodes_[i].stores) {
      auto [it, inserted] = store_owner.emplace(store, i);
      if (!inserted) unite(i, it->second);
    }
  }
  // Numbered as Kafka Streams numbers node groups: by source node name, then the rest.
  std::vector<std::size_t> order(nodes_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const bool sa = nodes_[a].kind == NodeKind::kSource;
    const bool sb = nodes_[b].kind == NodeKind::kSource;
    if (sa != sb) return sa;
    return nodes_[a].name < nodes_[b].name;
  });
  std::map<std::size_t, std::int32_t> group_id;
  for (std::size_t i : order) {
    group_id.emplace(find(i), static_cast<std::int32_t>(group_id.size()));
  }
  subtopologies_.assign(group_id.size(), Subtopology{});
  for (std::size_t g = 0; g < subtopologies_.size(); ++g) {
    subtopologies_[g].id = static_cast<std::int32_t>(g);
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Subtopology& sub = subtopologies_[group_id.at(find(i))];
    sub.nodes.push_back(nodes_[i].name);
    if (nodes_[i].kind == NodeKind::kSource) {
      for (const std::string& t : nodes_[i].topics) sub.source_topics.push_back(t);
    }
  }
  // Every store a processor uses must be defined; a logged store gets its changelog topic.
  for (const NodeDef& n : nodes_) {
    for (const std::string& s : n.stores) {
      auto def = stores_.find(s);
      if (def == stores_.end()) {
        set_error(invalid_argument_error("processor " + n.name + " uses state store '" + s +
                                         "', which is not defined (StreamsBuilder::"
                                         "add_state_store)"));
      } else if (def->second.global) {
        subtopologies_[group_id.at(find(index_.at(n.name)))].global = true;
      }
    }
  }
  // A global sub-topology is a global table's source and store processor, nothing else:
  // processors read a global store without declaring it, which keeps them out of it.
  for (const Subtopology& sub : subtopologies_) {
    if (sub.global && (sub.nodes.size() != 2 || sub.source_topics.size() != 1)) {
      set_error(invalid_argument_error(
          "sub-topology " + std::to_string(sub.id) +
          " updates a global store and so may hold only the global table's source and its "
          "store processor; processors read global stores without declaring them"));
    }
  }
  for (const auto& [name, def] : stores_) {
    if (!def.logging) continue;
    internal::InternalTopicDef topic;
    topic.name = name + "-changelog";
    topic.changelog = true;
    topic.store = name;
    internal_topics_.push_back(std::move(topic));
  }
  check_copartitioning();
  std::map<std::string, std::size_t> readers;
  for (const NodeDef& n : nodes_) {
    if (n.kind != NodeKind::kSource) continue;
    for (const std::string& t : n.topics) {
      if (++readers[t] > 1) {
        set_error(invalid_argument_error("topic " + t + " is read by more than one source"));
      }
    }
  }
}

void Topology::check_copartitioning() {
  // The source topics upstream of a node.
  std::function<void(const std::string&, std::set<std::string>&)> sources =
      [&](const std::string& name, std::set<std::string>& out) {
        const NodeDef* n = node(name);
        if (n == nullptr) return;
        if (n->kind == NodeKind::kSource) out.insert(n->topics.begin(), n->topics.end());
        for (const std::string& p : n->predecessors) sources(p, out);
      };
  copartition_topics_.clear();
  for (const std::vector<std::string>& group : copartition_nodes_) {
    std::set<std::string> topics;
    for (const std::string& name : group) sources(name, topics);
    copartition_topics_.emplace_back(topics.begin(), topics.end());
    // Internal topics with a fixed partition count must agree.
    std::string first;
    std::int32_t count = 0;
    for (const std::string& t : topics) {
      for (const internal::InternalTopicDef& def : internal_topics_) {
        if (def.name != t || !def.partitions) continue;
        if (first.empty()) {
          first = t;
          count = *def.partitions;
        } else if (*def.partitions != count) {
          set_error(invalid_argument_error(
              "join of " + group.front() + " and " + group.back() +
              ": its inputs are not co-partitioned: topic " + first + " has " +
              std::to_string(count) + " partitions and topic " + t + " has " +
              std::to_string(*def.partitions) + "; repartition one side to the other's count"));
        }
      }
    }
  }
}

TopologyDescription Topology::describe() const {
  TopologyDescription description;
  for (const Subtopology& sub : subtopologies_) {
    TopologyDescription::Subtopology out;
    out.id = sub.id;
    out.global = sub.global;
    std::map<std::string, std::vector<std::string>> successors;
    for (const std::string& name : sub.nodes) {
      for (const std::string& p : node(name)->predecessors) successors[p].push_back(name);
    }
    // Size of the sub-graph below each node, counted per path as Kafka's updateSize does.
    std::map<std::string, std::int64_t> size;
    for (auto it = sub.nodes.rbegin(); it != sub.nodes.rend(); ++it) {
      std::int64_t s = 1;
      for (const std::string& child : successors[*it]) s += size[child];
      size[*it] = s;
    }
    auto kafka_order = [&](const std::string& a, const std::string& b) {
      if (size[a] != size[b]) return size[a] > size[b];
      return a < b;
    };
    for (const std::string& name : sub.nodes) {
      const NodeDef& def = *node(name);
      TopologyDescription::Node n;
      n.kind = def.kind;
      n.name = def.name;
      n.topics = def.topics;
      n.stores = def.stores;
      std::sort(n.stores.begin(), n.stores.end());
      n.topic = def.sink_topic;
      n.extractor = def.extractor_description;
      n.predecessors = def.predecessors;
      n.successors = successors[name];
      std::sort(n.predecessors.begin(), n.predecessors.end(), kafka_order);
      std::sort(n.successors.begin(), n.successors.end(), kafka_order);
      out.nodes.push_back(std::move(n));
    }
    std::sort(out.nodes.begin(), out.nodes.end(),
              [&](const TopologyDescription::Node& a, const TopologyDescription::Node& b) {
                return kafka_order(a.name, b.name);
              });
    description.subtopologies.push_back(std::move(out));
  }
  return description;
}

}  // namespace runnel
