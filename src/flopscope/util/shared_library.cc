#include "flopscope/util/shared_library.h"

namespace flopscope {

SharedLibrary::SharedLibrary(std::initializer_list<const char*> names, const char* what) : what_(what) {
  std::string tried;
  for (const char* name : names) {
    if (name == nullptr || *name == '\0') continue;
    handle_ = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      name_ = name;
      return;
    }
    const char* why = dlerror();
    tried += (tried.empty() ? "" : "; ") + std::string(why != nullptr ? why : name);
  }
  error_ = std::string(what) + " could not be loaded (" + tried + ")";
}

}  // namespace flopscope
