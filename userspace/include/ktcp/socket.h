/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: open sockets on the ktcp stack.
 *
 * ktcp has no fixed address family number: the module borrows a free
 * slot (KTCP_FAMILY_DEFAULT unless its "family" parameter moves it) and
 * publishes the one it uses in sysfs.  These helpers look it up so that
 * applications never hard-code it.  Everything after socket() is
 * ordinary BSD socket code with struct sockaddr_in addresses.
 *
 * All functions return a negative errno value on failure; use
 * strerror(-err) to describe it.  Nothing is cached: every call reads
 * the family again, because the module may have been reloaded with a
 * different one.
 */
#ifndef KTCP_SOCKET_H
#define KTCP_SOCKET_H

#include <sys/socket.h>	/* SOCK_NONBLOCK, SOCK_CLOEXEC for ktcp_socket() */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Environment variable that, when set to a non-empty path, replaces
 * KTCP_FAMILY_PARAM_PATH in ktcp_family().  Meant for tests and for
 * chroots or containers where /sys is not the host's.  Ignored in
 * set-user-ID and similar secure-execution programs.
 */
#define KTCP_FAMILY_PATH_ENV	"KTCP_FAMILY_PATH"

/**
 * ktcp_family_from_path() - Read a ktcp address family number from a file.
 * @path: file holding the number in decimal, in the form the kernel
 *        prints module parameters: digits without sign, blanks or
 *        leading zeros, optionally followed by a single newline.
 *
 * Return: the family, 1..255, on success;
 * -ENOENT if @path does not exist (for the sysfs path: ktcp is not loaded);
 * -EINVAL if @path is NULL or the content is not a family number as
 * described above (empty, other characters, out of range);
 * any other negative errno from open() or read(), e.g. -EISDIR or -EACCES.
 */
int ktcp_family_from_path(const char *path);

/**
 * ktcp_family() - Address family of the loaded ktcp module.
 *
 * Reads KTCP_FAMILY_PARAM_PATH, or the file named by the environment
 * variable KTCP_FAMILY_PATH_ENV if that is set and not empty.  Safe to
 * call from several threads as long as none of them changes the
 * environment meanwhile.
 *
 * Return: as ktcp_family_from_path(); -ENOENT means ktcp is not loaded.
 */
int ktcp_family(void);

/**
 * ktcp_socket() - Create a ktcp stream socket.
 * @type_flags: 0, or any of SOCK_NONBLOCK and SOCK_CLOEXEC or'ed
 *              together; they act as in socket(2).  The socket type is
 *              always SOCK_STREAM, so it must not be passed.
 *
 * Equivalent to socket(ktcp_family(), SOCK_STREAM | @type_flags, 0).
 *
 * Return: a new file descriptor on success;
 * -EINVAL if @type_flags holds anything besides the two flags above;
 * otherwise any error of ktcp_family() (-ENOENT: ktcp is not loaded;
 * -EINVAL: the family file is malformed), or the negative errno of
 * socket(2), e.g. -EAFNOSUPPORT if the family belongs to no loaded
 * protocol.
 */
int ktcp_socket(int type_flags);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_SOCKET_H */
