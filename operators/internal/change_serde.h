#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/serde.h"
#include "core/status.h"
#include "operators/change.h"

namespace runnel::internal {

// The value format of a KTable::group_by repartition topic: a Change<V> (the value to add to
// the record's group and/or the value to subtract from it) in one record, so that the
// aggregating task sees both halves of an update that stays in its group at once. The bytes
// are Kafka Streams' ChangedSerializer format (3.5+, without the versioned-table flags), with
// each value encoded by `inner` and a trailing flag byte saying which halves are present:
//   old only:     {old}{0x00}
//   new only:     {new}{0x01}
//   both:         {uint32 big-endian length of new}{new}{old}{0x02}
// A Change with neither value cannot be written (the repartition map never produces one).
// Empty inner encodings are fine: presence is in the flag, not in the lengths.
template <typename V>
class ChangeSerde final : public Serde<Change<V>> {
 public:
  explicit ChangeSerde(std::shared_ptr<const Serde<V>> inner)
      : inner_(std::move(inner)), name_("change(" + std::string(inner_->name()) + ")") {}

  std::string_view name() const override { return name_; }

  Status serialize_to(const Change<V>& change, Bytes& out) const override {
    if (change.new_value && change.old_value) {
      const std::size_t length_at = out.size();
      out.resize(length_at + 4);
      const std::size_t new_at = out.size();
      RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(*change.new_value, out));
      const std::size_t new_length = out.size() - new_at;
      if (new_length > UINT32_MAX) {
        return invalid_argument_error(name_ + " serde: new value too large");
      }
      for (int i = 0; i < 4; ++i) {
        out[length_at + i] = static_cast<std::uint8_t>(new_length >> (8 * (3 - i)));
      }
      RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(*change.old_value, out));
      out.push_back(kBoth);
    } else if (change.new_value) {
      RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(*change.new_value, out));
      out.push_back(kNewOnly);
    } else if (change.old_value) {
      RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(*change.old_value, out));
      out.push_back(kOldOnly);
    } else {
      return invalid_argument_error(name_ + " serde: a change with neither a new nor an old value");
    }
    return ok_status();
  }

  Result<Change<V>> deserialize(BytesView data) const override {
    if (data.size() == 0) return corruption_error(name_ + " serde: got 0 bytes");
    const std::uint8_t flag = data[data.size() - 1];
    const BytesView body = data.subview(0, data.size() - 1);
    Change<V> change;
    switch (flag) {
      case kOldOnly: {
        RUNNEL_ASSIGN_OR_RETURN(V old_value, inner_->deserialize(body));
        change.old_value = std::move(old_value);
        return change;
      }
      case kNewOnly: {
        RUNNEL_ASSIGN_OR_RETURN(V new_value, inner_->deserialize(body));
        change.new_value = std::move(new_value);
        return change;
      }
      case kBoth: {
        if (body.size() < 4) {
          return corruption_error(name_ + " serde: " + std::to_string(data.size()) +
                                  " bytes, too short for a new value's length");
        }
        std::size_t new_length = 0;
        for (std::size_t i = 0; i < 4; ++i) new_length = (new_length << 8) | body[i];
        if (new_length > body.size() - 4) {
          return corruption_error(name_ + " serde: new value length " + std::to_string(new_length) +
                                  " past the " + std::to_string(data.size()) + " bytes");
        }
        RUNNEL_ASSIGN_OR_RETURN(V new_value, inner_->deserialize(body.subview(4, new_length)));
        RUNNEL_ASSIGN_OR_RETURN(V old_value, inner_->deserialize(body.subview(4 + new_length)));
        change.new_value = std::move(new_value);
        change.old_value = std::move(old_value);
        return change;
      }
      default:
        return corruption_error(name_ + " serde: unknown flag byte " + std::to_string(flag) +
                                " in " + std::to_string(data.size()) + " bytes");
    }
  }

 private:
  static constexpr std::uint8_t kOldOnly = 0;
  static constexpr std::uint8_t kNewOnly = 1;
  static constexpr std::uint8_t kBoth = 2;

  std::shared_ptr<const Serde<V>> inner_;
  std::string name_;
};

}  // namespace runnel::internal
