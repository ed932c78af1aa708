/* Internal to lib/overlay: starting and ending one reply. */
#ifndef GRAFT_OVERLAY_OUT_H
#define GRAFT_OVERLAY_OUT_H

#include "graft/overlay.h"

void ovl_out_begin(struct ovl_out *out, const struct ovl_chan *chan);

/* Close the data, write the status line (cmd may be NULL) and flush. */
void ovl_out_end(struct ovl_out *out, enum graft_status st, const char *cmd,
		 const char *msg);

/*
 * The command layer: run one split request. *known says whether argv[0]
 * named a command (errors then carry its name); *quit asks to close.
 */
enum graft_status ovl_dispatch(const struct ovl_services *svc, int argc,
			       char **argv, struct ovl_out *out, bool *known,
			       bool *quit, struct graft_err *err);

#endif
