#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

#include "core/status.h"

namespace runnel {

// Replaces the file at `path` with `contents` so that a crash at any point leaves either the
// old file or the new one, whole, never a mix or nothing: the contents go to `<path>.tmp`,
// which is fsynced, renamed over `path`, and then the directory is fsynced so the rename
// itself survives. `mode` is the new file's permission bits (0600 for secrets). An IoError
// names the step and the file; `path` is then unchanged (a stale `.tmp` may be left behind,
// and is overwritten by the next call).
[[nodiscard]] Status replace_file_durably(const std::filesystem::path& path,
                                          std::string_view contents, mode_t mode = 0644);

}  // namespace runnel
