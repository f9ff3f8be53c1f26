#include "broker/storage/file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

namespace runnel::broker {
namespace {

Status errno_status(int error, std::string_view what, const std::filesystem::path& path) {
  const std::string message = fmt::format("{} {}: {}", what, path.string(), std::strerror(error));
  return error == ENOSPC ? no_space_error(message) : io_error(message);
}

Status errno_error(std::string_view what, const std::filesystem::path& path) {
  return errno_status(errno, what, path);
}

class PosixFile final : public File {
 public:
  PosixFile(std::filesystem::path path, int fd) : File(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  Status read_at(uint64_t position, std::span<uint8_t> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(position + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("read", path());
      }
      if (n == 0) {
        return corruption_error(
            fmt::format("{}: unexpected end of file at byte {}", path().string(), position + done));
      }
      done += static_cast<size_t>(n);
    }
    return ok_status();
  }

  Status write_at(uint64_t position, BytesView data) override {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                                 static_cast<off_t>(position + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("write", path());
      }
      done += static_cast<size_t>(n);
    }
    return ok_status();
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return errno_error("fsync", path());
    return ok_status();
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return errno_error("truncate", path());
    return ok_status();
  }

  Result<uint64_t> size() const override {
    struct stat info;
    if (::fstat(fd_, &info) != 0) return errno_error("stat", path());
    return static_cast<uint64_t>(info.st_size);
  }

  Result<int64_t> modified_ms() const override {
    struct stat info;
    if (::fstat(fd_, &info) != 0) return errno_error("stat", path());
    return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
  }

  Status set_modified_ms(int64_t ms) override {
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;  // atime
    times[1].tv_sec = ms / 1000;
    times[1].tv_nsec = (ms % 1000) * 1000000;
    if (::futimens(fd_, times) != 0) return errno_error("futimens", path());
    return ok_status();
  }

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> open(const std::filesystem::path& path, bool create) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
      if (errno == ENOENT && !create) return not_found_error(path.string() + " does not exist");
      return errno_error("open", path);
    }
    return std::unique_ptr<File>(new PosixFile(path, fd));
  }

  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_error("rename", from);
    return ok_status();
  }

  Status remove(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("delete", path);
    return ok_status();
  }

  Result<std::vector<std::string>> list(const std::filesystem::path& dir) override {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      names.push_back(entry.path().filename().string());
    }
    if (error) return io_error(fmt::format("listing {}: {}", dir.string(), error.message()));
    return names;
  }

  Status remove_all(const std::filesystem::path& path) override {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) return io_error(fmt::format("deleting {}: {}", path.string(), error.message()));
    return ok_status();
  }

  Status create_dir(const std::filesystem::path& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir", dir);
    return ok_status();
  }

  Status create_dirs(const std::filesystem::path& dir) override {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return io_error(fmt::format("creating {}: {}", dir.string(), error.message()));
    return ok_status();
  }

  Status sync_dir(const std::filesystem::path& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("open", dir);
    const int synced = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (synced != 0) return errno_status(error, "fsync", dir);
    return ok_status();
  }

  bool exists(const std::filesystem::path& path) override {
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
  }
};

}  // namespace

FileSystem& FileSystem::posix() {
  static PosixFileSystem* const instance = new PosixFileSystem();
  return *instance;
}

Status write_file_atomically(FileSystem& fs, const std::filesystem::path& path,
                             BytesView contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.open(tmp, true));
    RUNNEL_RETURN_IF_ERROR(file->truncate(0));
    RUNNEL_RETURN_IF_ERROR(file->write_at(0, contents));
    RUNNEL_RETURN_IF_ERROR(file->sync());
  }
  RUNNEL_RETURN_IF_ERROR(fs.rename(tmp, path));
  return fs.sync_dir(path.parent_path());
}

Result<Bytes> read_whole_file(FileSystem& fs, const std::filesystem::path& path) {
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.open(path, false));
  RUNNEL_ASSIGN_OR_RETURN(uint64_t size, file->size());
  Bytes contents;
  contents.resize(size);
  RUNNEL_RETURN_IF_ERROR(file->read_at(0, std::span<uint8_t>(contents.data(), size)));
  return contents;
}

// --- FaultInjectingFileSystem ---

class FaultInjectingFileSystem::FaultyFile final : public File {
 public:
  FaultyFile(FaultInjectingFileSystem& fs, std::unique_ptr<File> base)
      : File(base->path()), fs_(fs), base_(std::move(base)) {}

  Status read_at(uint64_t position, std::span<uint8_t> out) const override {
    return base_->read_at(position, out);
  }
  Status write_at(uint64_t position, BytesView data) override {
    uint64_t allowed = data.size();
    Status fault = fs_.admit_write(path(), data.size(), allowed);
    if (allowed > 0) {
      RUNNEL_RETURN_IF_ERROR(base_->write_at(position, data.subview(0, allowed)));
    }
    return fault.ok() ? ok_status() : fault.with_context(path().string());
  }
  Status sync() override {
    RUNNEL_RETURN_IF_ERROR(fs_.admit_sync(path()).with_context(path().string()));
    return base_->sync();
  }
  Status truncate(uint64_t size) override {
    RUNNEL_RETURN_IF_ERROR(fs_.check_alive(path()));
    return base_->truncate(size);
  }
  Result<uint64_t> size() const override { return base_->size(); }
  Result<int64_t> modified_ms() const override { return base_->modified_ms(); }
  Status set_modified_ms(int64_t ms) override {
    RUNNEL_RETURN_IF_ERROR(fs_.check_alive(path()));
    return base_->set_modified_ms(ms);
  }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<File> base_;
};

Status FaultInjectingFileSystem::check_alive(const std::filesystem::path& path) const {
  if (crashed_)
    return io_error(fmt::format("{}: injected crash: the process is gone", path.string()));
  return ok_status();
}

bool FaultInjectingFileSystem::faults_apply_to(const std::filesystem::path& path) {
  std::lock_guard lock(write_mutex_);
  return path.filename().string().ends_with(fault_suffix_);
}

Status FaultInjectingFileSystem::admit_write(const std::filesystem::path& path, uint64_t size,
                                             uint64_t& allowed) {
  const bool faulty = faults_apply_to(path);
  std::lock_guard lock(write_mutex_);
  allowed = 0;
  if (crashed_) return io_error("injected crash: the process is gone");
  if (faulty && no_space_) return no_space_error("injected ENOSPC: No space left on device");
  allowed = size;
  Status fault;
  if (faulty) {
    if (const int64_t cut = short_write_bytes_.exchange(-1); cut >= 0) {
      allowed = std::min<uint64_t>(allowed, static_cast<uint64_t>(cut));
      fault = io_error(fmt::format("injected short write: {} of {} bytes", allowed, size));
    }
  }
  // A crash point counts the bytes of every file.
  if (const int64_t left = bytes_before_crash_; left >= 0) {
    if (static_cast<uint64_t>(left) < allowed) {
      allowed = static_cast<uint64_t>(left);
      crashed_ = true;
      bytes_before_crash_ = -1;
      return io_error(fmt::format("injected crash after {} of {} bytes", allowed, size));
    }
    bytes_before_crash_ = left - static_cast<int64_t>(allowed);
  }
  return fault;
}

Status FaultInjectingFileSystem::admit_sync(const std::filesystem::path& path) {
  RUNNEL_RETURN_IF_ERROR(check_alive("sync"));
  if (sync_fails_ && faults_apply_to(path))
    return io_error("injected EIO on fsync: Input/output error");
  ++syncs_;
  return ok_status();
}

Result<std::unique_ptr<File>> FaultInjectingFileSystem::open(const std::filesystem::path& path,
                                                             bool create) {
  if (create && !base_.exists(path)) RUNNEL_RETURN_IF_ERROR(check_alive(path));
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_.open(path, create));
  return std::unique_ptr<File>(new FaultyFile(*this, std::move(file)));
}

Status FaultInjectingFileSystem::rename(const std::filesystem::path& from,
                                        const std::filesystem::path& to) {
  RUNNEL_RETURN_IF_ERROR(check_alive(from));
  return base_.rename(from, to);
}

Status FaultInjectingFileSystem::remove(const std::filesystem::path& path) {
  RUNNEL_RETURN_IF_ERROR(check_alive(path));
  return base_.remove(path);
}

Result<std::vector<std::string>> FaultInjectingFileSystem::list(const std::filesystem::path& dir) {
  return base_.list(dir);
}

Status FaultInjectingFileSystem::remove_all(const std::filesystem::path& path) {
  RUNNEL_RETURN_IF_ERROR(check_alive(path));
  return base_.remove_all(path);
}

Status FaultInjectingFileSystem::create_dir(const std::filesystem::path& dir) {
  RUNNEL_RETURN_IF_ERROR(check_alive(dir));
  return base_.create_dir(dir);
}

Status FaultInjectingFileSystem::create_dirs(const std::filesystem::path& dir) {
  RUNNEL_RETURN_IF_ERROR(check_alive(dir));
  return base_.create_dirs(dir);
}

Status FaultInjectingFileSystem::sync_dir(const std::filesystem::path& dir) {
  RUNNEL_RETURN_IF_ERROR(admit_sync(dir).with_context(dir.string()));
  return base_.sync_dir(dir);
}

bool FaultInjectingFileSystem::exists(const std::filesystem::path& path) {
  return base_.exists(path);
}

}  // namespace runnel::broker
