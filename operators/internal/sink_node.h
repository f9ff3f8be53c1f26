#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/bytes.h"
#include "core/record.h"
#include "core/serde.h"
#include "operators/internal/processor_node.h"
#include "operators/produced.h"

namespace runnel::internal {

// Where a typed record leaves the task: serializes key and value into buffers the node reuses
// (so a steady stream allocates nothing here) and hands them to the task's RecordCollector,
// which copies what it keeps.
template <typename K, typename V>
class SinkNode final : public ProcessorNode, public Receiver<K, V> {
 public:
  // `topic` is ignored when `extractor` is set. An internal topic's name is completed with the
  // application id at init: <application.id>-<topic>.
  SinkNode(std::string name, std::string topic, bool internal_topic,
           TopicNameExtractor<K, V> extractor, std::shared_ptr<const Serde<K>> key_serde,
           std::shared_ptr<const Serde<V>> value_serde, StreamPartitioner<K, V> partitioner)
      : ProcessorNode(std::move(name)),
        topic_(std::move(topic)),
        internal_topic_(internal_topic),
        extractor_(std::move(extractor)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        partitioner_(std::move(partitioner)) {}

  Status init(TaskContext& context) override {
    if (internal_topic_) topic_ = context.application_id() + "-" + topic_;
    return ProcessorNode::init(context);
  }

  Status process(Record<K, V>&& record) override {
    std::string extracted;
    const std::string* topic = &topic_;
    if (extractor_) {
      extracted = extractor_(record);
      topic = &extracted;
    }
    NullableBytesView key;
    if (record.key) {
      key_buffer_.clear();
      Status s = key_serde_->serialize_to(*record.key, key_buffer_);
      if (!s.ok()) return s.with_context("sink " + name() + " to topic " + *topic + ": key");
      key = key_buffer_.view();
    }
    NullableBytesView value;
    if (record.value) {
      value_buffer_.clear();
      Status s = value_serde_->serialize_to(*record.value, value_buffer_);
      if (!s.ok()) return s.with_context("sink " + name() + " to topic " + *topic + ": value");
      value = value_buffer_.view();
    }
    std::optional<std::int32_t> partition;
    if (partitioner_) {
      partition = partitioner_(*topic, record.key, record.value,
                               context_->collector().partition_count(*topic));
    }
    return context_->collector().send(*topic, key, value, record.timestamp, record.headers,
                                      partition);
  }

 private:
  std::string topic_;
  bool internal_topic_;
  TopicNameExtractor<K, V> extractor_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  StreamPartitioner<K, V> partitioner_;
  Bytes key_buffer_;  // Reused across records; valid until the next process().
  Bytes value_buffer_;
};

}  // namespace runnel::internal
