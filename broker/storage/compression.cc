#include "broker/storage/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include <fmt/format.h>
#include <lz4frame.h>

#include "core/big_endian.h"

namespace runnel::broker {
namespace {

// The xerial snappy-java stream header: magic, then version and compatible version.
constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;

Status too_big(size_t max_size) {
  return corruption_error(fmt::format("decompressed records exceed {} bytes", max_size));
}

Result<Bytes> inflate_gzip(BytesView in, size_t max_size) {
  z_stream stream;
  std::memset(&stream, 0, sizeof stream);
  // 15 + 32: a window of 2^15 and automatic detection of the gzip or zlib header.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return internal_error("inflateInit2 failed");
  stream.next_in = const_cast<Bytef*>(in.data());
  stream.avail_in = static_cast<uInt>(in.size());
  Bytes out;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    const size_t done = out.size();
    if (done >= max_size) {
      inflateEnd(&stream);
      return too_big(max_size);
    }
    out.resize(std::min(max_size, std::max<size_t>(done * 2, 4096)));
    stream.next_out = out.data() + done;
    stream.avail_out = static_cast<uInt>(out.size() - done);
    result = inflate(&stream, Z_NO_FLUSH);
    out.resize(out.size() - stream.avail_out);
    if (result != Z_OK && result != Z_STREAM_END) {
      inflateEnd(&stream);
      return corruption_error(fmt::format("gzip: inflate failed ({})", result));
    }
    if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return corruption_error("gzip: stream truncated");
    }
  }
  inflateEnd(&stream);
  return out;
}

Result<Bytes> deflate_gzip(BytesView in) {
  z_stream stream;
  std::memset(&stream, 0, sizeof stream);
  // 15 + 16: gzip framing, as Kafka clients write.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return internal_error("deflateInit2 failed");
  }
  Bytes out;
  out.resize(deflateBound(&stream, static_cast<uLong>(in.size())) + 32);
  stream.next_in = const_cast<Bytef*>(in.data());
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return internal_error("gzip: deflate failed");
  out.resize(out.size() - stream.avail_out);
  return out;
}

Status snappy_block(BytesView in, size_t max_size, Bytes& out) {
  const char* data = reinterpret_cast<const char*>(in.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data, in.size(), &length)) {
    return corruption_error("snappy: bad block header");
  }
  if (length > max_size - std::min(max_size, out.size())) return too_big(max_size);
  const size_t done = out.size();
  out.resize(done + length);
  if (!snappy::RawUncompress(data, in.size(), reinterpret_cast<char*>(out.data() + done))) {
    return corruption_error("snappy: bad block");
  }
  return ok_status();
}

Result<Bytes> uncompress_snappy(BytesView in, size_t max_size) {
  Bytes out;
  if (in.size() >= kXerialHeaderSize && std::memcmp(in.data(), kXerialMagic, 8) == 0) {
    size_t position = kXerialHeaderSize;
    while (position < in.size()) {
      if (in.size() - position < 4) return corruption_error("snappy: truncated xerial block");
      const auto length = static_cast<uint32_t>(load_big_endian<int32_t>(in.data() + position));
      position += 4;
      if (length > in.size() - position) return corruption_error("snappy: xerial block too long");
      RUNNEL_RETURN_IF_ERROR(snappy_block(in.subview(position, length), max_size, out));
      position += length;
    }
    return out;
  }
  RUNNEL_RETURN_IF_ERROR(snappy_block(in, max_size, out));
  return out;
}

Result<Bytes> uncompress_lz4(BytesView in, size_t max_size) {
  LZ4F_dctx* context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&context, LZ4F_VERSION))) {
    return internal_error("lz4: no decompression context");
  }
  Bytes out;
  size_t position = 0;
  size_t hint = 1;
  while (position < in.size() && hint != 0) {
    const size_t done = out.size();
    if (done >= max_size) {
      LZ4F_freeDecompressionContext(context);
      return too_big(max_size);
    }
    out.resize(std::min(max_size, std::max<size_t>(done * 2, 65536)));
    size_t out_size = out.size() - done;
    size_t in_size = in.size() - position;
    hint = LZ4F_decompress(context, out.data() + done, &out_size, in.data() + position, &in_size,
                           nullptr);
    if (LZ4F_isError(hint)) {
      const std::string name = LZ4F_getErrorName(hint);
      LZ4F_freeDecompressionContext(context);
      return corruption_error(fmt::format("lz4: {}", name));
    }
    position += in_size;
    out.resize(done + out_size);
  }
  LZ4F_freeDecompressionContext(context);
  if (hint != 0) return corruption_error("lz4: frame truncated");
  return out;
}

Result<Bytes> compress_lz4(BytesView in) {
  Bytes out;
  out.resize(LZ4F_compressFrameBound(in.size(), nullptr));
  const size_t size = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
  if (LZ4F_isError(size)) return internal_error("lz4: compression failed");
  out.resize(size);
  return out;
}

Result<Bytes> uncompress_zstd(BytesView in, size_t max_size) {
  ZSTD_DStream* stream = ZSTD_createDStream();
  if (stream == nullptr) return internal_error("zstd: no stream");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  Bytes out;
  size_t result = 1;
  while (result != 0) {
    const size_t done = out.size();
    if (done >= max_size) {
      ZSTD_freeDStream(stream);
      return too_big(max_size);
    }
    out.resize(std::min(max_size, std::max<size_t>(done * 2, 65536)));
    ZSTD_outBuffer output{out.data() + done, out.size() - done, 0};
    result = ZSTD_decompressStream(stream, &output, &input);
    out.resize(done + output.pos);
    if (ZSTD_isError(result)) {
      const std::string name = ZSTD_getErrorName(result);
      ZSTD_freeDStream(stream);
      return corruption_error(fmt::format("zstd: {}", name));
    }
    if (result != 0 && input.pos == input.size && output.pos < output.size) {
      ZSTD_freeDStream(stream);
      return corruption_error("zstd: frame truncated");
    }
  }
  ZSTD_freeDStream(stream);
  return out;
}

Result<Bytes> compress_zstd(BytesView in) {
  Bytes out;
  out.resize(ZSTD_compressBound(in.size()));
  const size_t size = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(size)) return internal_error("zstd: compression failed");
  out.resize(size);
  return out;
}

}  // namespace

Result<Bytes> decompress_records(Codec codec, BytesView compressed, size_t max_size) {
  switch (codec) {
    case Codec::kNone:
      if (compressed.size() > max_size) return too_big(max_size);
      return Bytes(compressed);
    case Codec::kGzip:
      return inflate_gzip(compressed, max_size);
    case Codec::kSnappy:
      return uncompress_snappy(compressed, max_size);
    case Codec::kLz4:
      return uncompress_lz4(compressed, max_size);
    case Codec::kZstd:
      return uncompress_zstd(compressed, max_size);
  }
  return corruption_error(fmt::format("unknown codec {}", static_cast<int>(codec)));
}

Result<Bytes> compress_records(Codec codec, BytesView records) {
  switch (codec) {
    case Codec::kNone:
      return Bytes(records);
    case Codec::kGzip:
      return deflate_gzip(records);
    case Codec::kSnappy: {
      std::string out;
      snappy::Compress(reinterpret_cast<const char*>(records.data()), records.size(), &out);
      return Bytes(BytesView(out));
    }
    case Codec::kLz4:
      return compress_lz4(records);
    case Codec::kZstd:
      return compress_zstd(records);
  }
  return invalid_argument_error(fmt::format("unknown codec {}", static_cast<int>(codec)));
}

}  // namespace runnel::broker
