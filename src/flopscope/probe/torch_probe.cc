#include "flopscope/probe/torch_probe.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "flopscope/data/embedded.h"

extern char** environ;

namespace flopscope::probe {
namespace {

constexpr size_t kMaxOutputBytes = size_t{1} << 20;  // the script prints a few kB
constexpr size_t kMaxAttentionSamples = 1000;

Error bad(std::string_view field, std::string_view what) {
  return Error{ErrorKind::kFailure, fmt::format("PyTorch probe: {}: {}", field, what)};
}

Result<int64_t> size_field(const nlohmann::json& j, const std::string& where, const char* key, int64_t most) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return bad(where + "." + key, "expected a positive integer");
  int64_t v = it->get<int64_t>();
  if (v < 1 || v > most) return bad(where + "." + key, fmt::format("expected 1..{}, got {}", most, v));
  return v;
}

Result<bool> bool_field(const nlohmann::json& j, const std::string& where, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return bad(where + "." + key, "expected true or false");
  return it->get<bool>();
}

Result<double> seconds_field(const nlohmann::json& j, const std::string& where, const char* key, double most) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return bad(where + "." + key, "expected seconds");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < kAttentionSampleMinSeconds || v > most) {
    return bad(where + "." + key,
               fmt::format("expected seconds in [1e-9, {:g}], got {:g}", most, v));
  }
  return v;
}

// The script, written to a private temporary file for the child and removed afterwards.
class TempScript {
 public:
  explicit TempScript(std::string_view text) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string pattern = (dir / "flopscope-torch-probe-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    if (fd < 0) return;
    path_ = pattern;
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ok_ = done == text.size();
    close(fd);
  }
  ~TempScript() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempScript(const TempScript&) = delete;
  TempScript& operator=(const TempScript&) = delete;
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool ok_ = false;
};

}  // namespace

Result<TorchProbeResult> parse_torch_probe_output(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("output", "expected one JSON object");
  if (auto e = j.find("error"); e != j.end()) {
    std::string why = e->is_string() ? e->get<std::string>() : std::string("unknown error");
    if (why.size() > 300) why.resize(300);
    return Error{ErrorKind::kNotFound, "PyTorch probe: " + why};
  }
  TorchProbeResult r;
  if (auto v = j.find("torch"); v != j.end() && v->is_string()) r.torch_version = v->get<std::string>().substr(0, 64);
  if (auto v = j.find("device_name"); v != j.end() && v->is_string()) {
    r.device_name = v->get<std::string>().substr(0, 256);
  }
  auto att = j.find("attention");
  if (att == j.end() || !att->is_array()) return bad("attention", "expected a list of timed calls");
  if (att->size() > kMaxAttentionSamples) {
    return bad("attention", fmt::format("expected at most {} calls, got {}", kMaxAttentionSamples, att->size()));
  }
  for (size_t i = 0; i < att->size(); ++i) {
    const nlohmann::json& a = (*att)[i];
    std::string where = fmt::format("attention[{}]", i);
    if (!a.is_object()) return bad(where, "expected an object");
    AttentionSample s;
    // The same bounds as a profile's [[attention]] (hw/calibration.h, docs/limits.md).
    auto batch = size_field(a, where, "batch", kAttentionSampleMaxBatch);
    if (!batch) return batch.error();
    auto heads = size_field(a, where, "heads", kAttentionSampleMaxHeads);
    if (!heads) return heads.error();
    auto seq = size_field(a, where, "seq", kAttentionSampleMaxSeq);
    if (!seq) return seq.error();
    auto dim = size_field(a, where, "head_dim", kAttentionSampleMaxHeadDim);
    if (!dim) return dim.error();
    auto causal = bool_field(a, where, "causal");
    if (!causal) return causal.error();
    auto backward = bool_field(a, where, "backward");
    if (!backward) return backward.error();
    auto seconds = seconds_field(a, where, "seconds", kAttentionSampleMaxSeconds);
    if (!seconds) return seconds.error();
    s.batch = *batch;
    s.heads = *heads;
    s.seq = *seq;
    s.head_dim = *dim;
    s.causal = *causal;
    s.backward = *backward;
    s.seconds = *seconds;
    r.attention.push_back(s);
  }
  if (j.contains("seconds_host_eager")) {
    auto host = seconds_field(j, "output", "seconds_host_eager", 1e-2);
    if (!host) return host.error();
    auto kernels = size_field(j, "output", "kernels_per_layer", 100000);
    if (!kernels) return kernels.error();
    r.seconds_host_eager = *host;
    r.kernels_per_layer = *kernels;
  }
  return r;
}

Result<TorchProbeResult> run_torch_probe_script(const TorchProbeOptions& o, std::string_view script) {
  if (o.python.empty()) return Error{ErrorKind::kNotFound, "PyTorch probe: no python given"};
  if (!(o.seconds_limit > 0)) return bad("time limit", "expected a positive number of seconds");
  TempScript file(script);
  if (!file.ok()) return Error{ErrorKind::kFailure, "PyTorch probe: cannot write its script to the temp directory"};

  int out[2];
  if (pipe(out) != 0) return Error{ErrorKind::kFailure, "PyTorch probe: cannot create a pipe"};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string device = std::to_string(o.device);
  std::vector<std::string> args = {o.python, file.path(), device};
  if (o.quick) args.emplace_back("quick");
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, o.python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return Error{ErrorKind::kNotFound, fmt::format("PyTorch probe: cannot run '{}' ({})", o.python, std::strerror(rc))};
  }

  std::string text;
  bool timed_out = false, too_long = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds_limit);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its stdout
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxOutputBytes) {
      too_long = true;
      break;
    }
  }
  close(out[0]);
  if (timed_out || too_long) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error{ErrorKind::kFailure, fmt::format("PyTorch probe: stopped after {:g} s (the limit)", o.seconds_limit)};
  }
  if (too_long) return bad("output", fmt::format("more than {} bytes", kMaxOutputBytes));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return Error{ErrorKind::kNotFound, fmt::format("PyTorch probe: '{}' was not found", o.python)};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error{ErrorKind::kFailure,
                 fmt::format("PyTorch probe: '{}' {}", o.python,
                             WIFSIGNALED(status) ? fmt::format("was killed by signal {}", WTERMSIG(status))
                                                 : fmt::format("exited with status {}", WEXITSTATUS(status)))};
  }
  return parse_torch_probe_output(text);
}

Result<TorchProbeResult> run_torch_probe(const TorchProbeOptions& options) {
  auto script = data::find_embedded("probe/torch_probe.py");
  if (!script) return Error{ErrorKind::kFailure, "PyTorch probe: the embedded script is missing from this build"};
  return run_torch_probe_script(options, *script);
}

}  // namespace flopscope::probe
