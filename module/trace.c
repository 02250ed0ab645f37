// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of ktcp_trace.h, defined once. */

#define CREATE_TRACE_POINTS
#include "ktcp_trace.h"
