// A system library opened at run time by the one command that needs it, instead of linked
// into the binary: libpq (with OpenSSL, Kerberos, LDAP and GnuTLS behind it) and GLPK (with
// GMP and SuiteSparse) cost every command 15M instructions of loading and relocation at
// start-up (callgrind: `flopscope --version` 20.4M linked, 4.96M without; issue 12).
//
// The functions are declared by the library's own header (so their types are checked) and
// bound by name on first use; a library that is missing is one line naming what was tried.
#pragma once

#include <dlfcn.h>

#include <initializer_list>
#include <string>

namespace flopscope {

class SharedLibrary {
 public:
  /// Opens the first of `names` that loads (RTLD_NOW | RTLD_LOCAL); never closed.
  SharedLibrary(std::initializer_list<const char*> names, const char* what);

  /// Binds `fn` to the library's `symbol`; a missing one is recorded in error().
  template <typename Fn>
  void bind(Fn& fn, const char* symbol) {
    if (handle_ == nullptr) return;
    fn = reinterpret_cast<Fn>(dlsym(handle_, symbol));
    if (fn == nullptr && error_.empty()) error_ = std::string(what_) + ": no symbol " + symbol + " in " + name_;
  }

  /// Empty when the library loaded with every symbol bound; else why not, on one line.
  const std::string& error() const { return error_; }

 private:
  void* handle_ = nullptr;
  const char* what_;
  std::string name_;
  std::string error_;
};

}  // namespace flopscope
