#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// The codecs of a v2 record batch (attributes & 0x07), as Kafka numbers them.
enum class Codec : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

// Decompresses the records section of a batch compressed with `codec`, in the framing Kafka
// clients write: gzip (RFC 1952), snappy (raw, or the xerial framing the Java client uses),
// LZ4 (the LZ4 frame format), zstd (a zstd frame). Never returns more than `max_size` bytes:
// a corruption_error instead, so that a hostile batch cannot make the broker allocate
// without bound. The broker's hot path never calls this; only the log cleaner does, to
// read keys.
Result<Bytes> decompress_records(Codec codec, BytesView compressed, size_t max_size);

// Compresses a records section with `codec` in the same framing (raw snappy, LZ4 frame).
// The cleaner writes its batches uncompressed; this serves tests and benchmarks that must
// produce compressed batches as a client would.
Result<Bytes> compress_records(Codec codec, BytesView records);

}  // namespace runnel::broker
