#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace runnel::metrics {

std::size_t this_thread_cell() {
  static std::atomic<std::size_t> next_thread{0};
  thread_local const std::size_t cell =
      next_thread.fetch_add(1, std::memory_order_relaxed) % kCells;
  return cell;
}

std::uint64_t Counter::value() const {
  std::uint64_t sum = 0;
  for (const Cell& cell : cells_) sum += cell.value.load(std::memory_order_relaxed);
  return sum;
}

Histogram::Histogram(std::vector<double> upper_bounds) : upper_bounds_(std::move(upper_bounds)) {
  std::sort(upper_bounds_.begin(), upper_bounds_.end());
  for (Cell& cell : cells_) {
    cell.buckets = std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1);
  }
}

void Histogram::observe(double value) {
  // The first bound the value does not exceed; past the last bound it is the +Inf bucket.
  const std::size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  Cell& cell = cells_[this_thread_cell()];
  cell.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  cell.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative.assign(upper_bounds_.size() + 1, 0);
  for (const Cell& cell : cells_) {
    for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
      snapshot.cumulative[i] += cell.buckets[i].load(std::memory_order_relaxed);
    }
    snapshot.sum += cell.sum.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 1; i < snapshot.cumulative.size(); ++i) {
    snapshot.cumulative[i] += snapshot.cumulative[i - 1];
  }
  snapshot.count = snapshot.cumulative.back();
  return snapshot;
}

std::vector<double> Histogram::latency_ms_bounds() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
}

Registry::CollectorHandle& Registry::CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void Registry::CollectorHandle::reset() {
  if (registry_ == nullptr) return;
  std::lock_guard lock(registry_->mutex_);
  registry_->collectors_.erase(id_);
  registry_ = nullptr;
}

Registry::Entry& Registry::entry(const std::string& name, Type type, const std::string& help) {
  auto [it, inserted] = entries_.try_emplace(name);
  if (!inserted && it->second.type != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  }
  return it->second;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kCounter, help);
  if (!e.counters) {
    e.counters = std::make_unique<Family<Counter>>([] { return std::make_unique<Counter>(); });
  }
  return *e.counters;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kGauge, help);
  if (!e.gauges) {
    e.gauges = std::make_unique<Family<Gauge>>([] { return std::make_unique<Gauge>(); });
  }
  return *e.gauges;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kHistogram, help);
  if (!e.histograms) {
    e.histograms = std::make_unique<Family<Histogram>>(
        [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
  }
  return *e.histograms;
}

Registry::CollectorHandle Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return CollectorHandle(this, id);
}

Registry& Registry::global() {
  static Registry* registry = new Registry();  // never destroyed: threads may still count
  return *registry;
}

namespace {

const char* type_name(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::pair<std::string, std::string>& label) {
    if (!first) out += ',';
    first = false;
    out += sanitize_name(label.first);
    out += "=\"";
    out += escape_label_value(label.second);
    out += '"';
  };
  for (const auto& label : labels) add(label);
  if (extra != nullptr) add(*extra);
  out += '}';
  return out;
}

// One family's text as it is being assembled: its header and its sample lines.
struct FamilyText {
  Type type = Type::kGauge;
  std::string help;
  std::string samples;
};

class TextWriter final : public SampleWriter {
 public:
  void add(const std::string& name, Type type, const std::string& help, const Labels& labels,
           double value) override {
    const std::string family_name = sanitize_name(name);
    auto [it, inserted] = families_.try_emplace(family_name);
    if (inserted) {
      it->second.type = type;
      it->second.help = help;
    }
    line(it->second, family_name, labels, nullptr, value);
  }

  static void line(FamilyText& family, const std::string& name, const Labels& labels,
                   const std::pair<std::string, std::string>* extra, double value) {
    family.samples += name;
    family.samples += label_text(labels, extra);
    family.samples += ' ';
    family.samples += format_value(value);
    family.samples += '\n';
  }

  FamilyText& family(const std::string& name, Type type, const std::string& help) {
    auto [it, inserted] = families_.try_emplace(name);
    if (inserted) {
      it->second.type = type;
      it->second.help = help;
    }
    return it->second;
  }

  std::string render() const {
    std::string out;
    for (const auto& [name, family] : families_) {
      if (family.samples.empty()) continue;
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family.help), name,
                         type_name(family.type));
      out += family.samples;
    }
    return out;
  }

 private:
  std::map<std::string, FamilyText> families_;
};

}  // namespace

std::string Registry::scrape() const {
  TextWriter writer;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
      FamilyText& family = writer.family(name, e.type, e.help);
      if (e.counters) {
        for (const auto& [labels, counter] : e.counters->all()) {
          TextWriter::line(family, name, labels, nullptr, static_cast<double>(counter->value()));
        }
      }
      if (e.gauges) {
        for (const auto& [labels, gauge] : e.gauges->all()) {
          TextWriter::line(family, name, labels, nullptr, gauge->value());
        }
      }
      if (e.histograms) {
        for (const auto& [labels, histogram] : e.histograms->all()) {
          const Histogram::Snapshot s = histogram->snapshot();
          for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
            const std::pair<std::string, std::string> le{
                "le", i < s.upper_bounds.size() ? format_value(s.upper_bounds[i]) : "+Inf"};
            TextWriter::line(family, name + "_bucket", labels, &le,
                             static_cast<double>(s.cumulative[i]));
          }
          TextWriter::line(family, name + "_sum", labels, nullptr, s.sum);
          TextWriter::line(family, name + "_count", labels, nullptr, static_cast<double>(s.count));
        }
      }
    }
    for (const auto& [id, collector] : collectors_) collectors.push_back(collector);
  }
  // Collectors run outside the registry's lock: they take their own (a thread's snapshot).
  for (const Collector& collector : collectors) collector(writer);
  return writer.render();
}

std::string sanitize_name(const std::string& name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == ':';
    out += allowed ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

}  // namespace runnel::metrics
