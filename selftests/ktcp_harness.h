/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every ktcp kselftest includes: the kernel's kselftest harness,
 * then the shared helpers, whose asserting half needs the harness.
 */
#ifndef _KTCP_HARNESS_H
#define _KTCP_HARNESS_H

/* The 6.12 harness's __timeout_handler() leaves a parameter unused. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "ktcp_selftest.h"

#endif /* _KTCP_HARNESS_H */
