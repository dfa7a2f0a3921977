#ifndef TELEWALL_CLINUX_H
#define TELEWALL_CLINUX_H



#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/// epoll_event is packed on x86_64; these accessors keep Swift away from its layout.
static inline int cl_epoll_add(int epfd, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data = { .u64 = data } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static inline int cl_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data = { .u64 = data } };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

static inline int cl_epoll_del(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/// Waits and copies ready events into two plain arrays (events, data).
static inline int cl_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms) {
    struct epoll_event buf[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, buf, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i] = buf[i].events;
        data[i] = buf[i].data.u64;
    }
    return n;
}

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; defined in CLinux.c, which is built with _GNU_SOURCE.
int cl_accept4(int fd, struct sockaddr_storage *addr, socklen_t *len);

/// recvmmsg into `slots` buffers of `slot_size` bytes laid end to end in `buffer`; blocks until at least one
/// datagram (MSG_WAITFORONE) or the socket's receive timeout, or not at all when `wait` is 0. Lengths go to `lengths`, truncation to `truncated`.
/// Defined in CLinux.c, built with _GNU_SOURCE.
int cl_recvmmsg(int fd, uint8_t *buffer, int slot_size, int slots, int *lengths, int *truncated, int wait);

/// Asks the kernel to stamp the time each segment a socket receives arrives (SO_TIMESTAMPNS, on the wall clock).
int cl_stamp_arrivals(int fd);

/// recv into `buffer`; when the kernel stamped the arrival of the bytes read (the last of them, if several
/// segments), that wall-clock time goes to `arrived` and `stamped` is set to 1, otherwise to 0. Defined in CLinux.c.
ssize_t cl_recv_stamped(int fd, void *buffer, size_t size, struct timespec *arrived, int *stamped);

/// O_NOATIME and SEEK_DATA, which the headers only give under _GNU_SOURCE; defined in CLinux.c.
extern const int cl_o_noatime;
extern const int cl_seek_data;

/// Asks the scheduler for a time slice of `nanoseconds` for the calling thread (sched_setattr's
/// sched_runtime for SCHED_OTHER, honoured by EEVDF since Linux 6.12); 0 on success, -1 with errno.
int cl_request_slice(uint64_t nanoseconds);

/// The calling thread's requested slice in nanoseconds (0 when unknown).
uint64_t cl_current_slice(void);

/// Names the calling thread for the OS (at most 15 bytes); defined in CLinux.c, built with _GNU_SOURCE.
int cl_set_thread_name(const char *name);

static inline int cl_errno(void) { return errno; }

static inline void cl_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/// glibc malloc: blocks up to `mmap_threshold` bytes come from the heap; free memory past `trim_threshold` is returned.
void cl_malloc_thresholds(int mmap_threshold, int trim_threshold);

#endif
