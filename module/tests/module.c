// SPDX-License-Identifier: GPL-2.0
/*
 * ktcp_kunit.ko: ktcp's KUnit suites, one file per concern.  Load it
 * after ktcp.ko; results appear in dmesg and under debugfs/kunit.
 */

#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for ktcp");
MODULE_IMPORT_NS(KTCP_KUNIT_NS);
