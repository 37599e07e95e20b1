// libarchive converts member names between UTF-8 and the current locale's
// charset; under the "C" locale a non-ASCII name fails to convert (and some
// libarchive versions then crash). Every libarchive call runs inside this
// scope, which switches only the calling thread to C.UTF-8 (uselocale).
#pragma once

#include <clocale>
#include <locale.h>

namespace custos::bundle {

class Utf8LocaleScope {
 public:
  Utf8LocaleScope() {
    static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (utf8 != static_cast<locale_t>(0)) previous_ = uselocale(utf8);
  }
  ~Utf8LocaleScope() {
    if (previous_ != static_cast<locale_t>(0)) uselocale(previous_);
  }
  Utf8LocaleScope(const Utf8LocaleScope&) = delete;
  Utf8LocaleScope& operator=(const Utf8LocaleScope&) = delete;

 private:
  locale_t previous_ = static_cast<locale_t>(0);
};

}  // namespace custos::bundle
