/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters of /proc/net/ktcp_snmp, per network namespace.  Names and
 * meanings follow the kernel's Tcp: and TcpExt: counters.
 */
#ifndef _KTCP_MIB_H
#define _KTCP_MIB_H

#define KTCP_MIB_LIST(X)					\
	X(ACTIVE_OPENS,		"ActiveOpens")			\
	X(PASSIVE_OPENS,	"PassiveOpens")			\
	X(ATTEMPT_FAILS,	"AttemptFails")			\
	X(ESTAB_RESETS,		"EstabResets")			\
	X(CURR_ESTAB,		"CurrEstab")			\
	X(IN_SEGS,		"InSegs")			\
	X(OUT_SEGS,		"OutSegs")			\
	X(RETRANS_SEGS,		"RetransSegs")			\
	X(IN_ERRS,		"InErrs")			\
	X(IN_CSUM_ERRORS,	"InCsumErrors")			\
	X(OUT_RSTS,		"OutRsts")			\
	X(LISTEN_OVERFLOWS,	"ListenOverflows")		\
	X(LISTEN_DROPS,		"ListenDrops")			\
	X(SYNCOOKIES_SENT,	"SyncookiesSent")		\
	X(SYNCOOKIES_RECV,	"SyncookiesRecv")		\
	X(SYNCOOKIES_FAILED,	"SyncookiesFailed")		\
	X(CHALLENGE_ACKS,	"TCPChallengeACK")		\
	X(BACKLOG_DROPS,	"TCPBacklogDrop")		\
	X(BAD_OPTIONS,		"KtcpBadOptions")		\
	X(TIMEOUTS,		"TCPTimeouts")			\
	X(ABORT_ON_DATA,	"TCPAbortOnData")		\
	X(ABORT_ON_LINGER,	"TCPAbortOnLinger")		\
	X(ABORT_ON_CLOSE,	"TCPAbortOnClose")

#define KTCP_MIB_ENUM(id, name)	KTCP_MIB_##id,
enum ktcp_mib {
	KTCP_MIB_LIST(KTCP_MIB_ENUM)
	KTCP_MIB_MAX
};

#undef KTCP_MIB_ENUM

#endif /* _KTCP_MIB_H */
