// The entry point of agora-microbench: Google Benchmark's usual main, plus an
// exit status. Benchmarks check their result once and call
// state.SkipWithError() when it is wrong; Google Benchmark 1.7.1 reports that
// run as "ERROR OCCURRED" but still exits 0, so the display reporter is
// wrapped to count such runs and main fails when there was one. This is what
// makes the `microbench_smoke` ctest fail on a broken benchmark.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

namespace {

/// Forwards everything to the default display reporter, counting errors.
class error_counting_reporter : public benchmark::BenchmarkReporter {
public:
  explicit error_counting_reporter(benchmark::BenchmarkReporter* inner) : inner_(inner) {}

  bool ReportContext(const Context& context) override {
    return inner_->ReportContext(context);
  }

  void ReportRuns(const std::vector<Run>& reports) override {
    for (const auto& run : reports)
      if (run.error_occurred) {
        ++errors_;
        std::fprintf(stderr, "agora-microbench: %s failed: %s\n", run.benchmark_name().c_str(),
                     run.error_message.c_str());
      }
    inner_->ReportRuns(reports);
  }

  void Finalize() override { inner_->Finalize(); }

  int errors() const noexcept { return errors_; }

private:
  benchmark::BenchmarkReporter* inner_;
  int errors_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  // Owned by the library (a function-local static), not deleted here.
  error_counting_reporter reporter{benchmark::CreateDefaultDisplayReporter()};
  auto ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (reporter.errors() > 0) {
    std::fprintf(stderr, "agora-microbench: %d benchmark(s) reported an error\n",
                 reporter.errors());
    return 1;
  }
  if (ran == 0) {
    std::fprintf(stderr, "agora-microbench: no benchmark matched the filter\n");
    return 1;
  }
  return 0;
}
