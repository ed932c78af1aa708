/* Moved: the overlay's helpers are declared in
 * examples/bpf/include/overlay_helpers.h (also included by graft_helpers.h);
 * this forwarder keeps older include paths (-Itests/overlay_bpf) working. */
#include "../../examples/bpf/include/overlay_helpers.h"
