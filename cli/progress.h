// A progress bar on stderr (bytes, rate, ETA, current file) when stderr is a
// terminal; silent otherwise or with --quiet.
#pragma once

#include <chrono>
#include <string>

#include "custos/seal.h"

namespace custos::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool quiet);
  ~ProgressBar();
  // A callback for the library; cheap when nothing is printed.
  ProgressCallback Callback();
  void Done();

 private:
  void Draw(const Progress& p);
  bool enabled_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace custos::cli
