/* Error recording shared by every module (see graft/base.h). */
#include <stdio.h>

#include "graft/base.h"

enum graft_status graft_verrf(struct graft_err *err, enum graft_status status,
			      const char *fmt, va_list ap)
{
	if (err) {
		err->status = status;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	}
	return status;
}

enum graft_status graft_errf(struct graft_err *err, enum graft_status status,
			     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	graft_verrf(err, status, fmt, ap);
	va_end(ap);
	return status;
}

const char *graft_status_name(enum graft_status status)
{
	static const char *const names[] = {
		[GRAFT_OK] = "OK",         [GRAFT_EINVAL] = "EINVAL",
		[GRAFT_ENOMEM] = "ENOMEM", [GRAFT_ENOTSUP] = "ENOTSUP",
		[GRAFT_EFAULT] = "EFAULT", [GRAFT_EBUDGET] = "EBUDGET",
		[GRAFT_EDEPTH] = "EDEPTH", [GRAFT_EHELPER] = "EHELPER",
		[GRAFT_ENOENT] = "ENOENT", [GRAFT_EEXIST] = "EEXIST",
		[GRAFT_EPERM] = "EPERM",   [GRAFT_EIO] = "EIO",
	};
	if ((unsigned)status < sizeof names / sizeof names[0] && names[status])
		return names[status];
	return "EUNKNOWN";
}
