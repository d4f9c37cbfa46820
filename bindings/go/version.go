package bentogrpc

// #include "bgo.h"
import "C"

// Version is this module's version: the repository's, set in CMake's
// project(bentogrpc VERSION ...) and checked against it by scripts/check-version.sh.
const Version = "0.1.0"

// LibraryVersion is the version of the libbentogrpc this program loaded (bg_version()),
// which may differ from Version when another build of the library is found at run time.
func LibraryVersion() string { return C.GoString(C.bg_version()) }
