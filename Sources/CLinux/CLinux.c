#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <malloc.h>
#include <sys/socket.h>
#include <string.h>
#include "CLinux.h"

int cl_accept4(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cl_recvmmsg(int fd, uint8_t *buffer, int slot_size, int slots, int *lengths, int *truncated, int wait) {
    struct mmsghdr messages[128];
    struct iovec vectors[128];
    if (slots > 128) slots = 128;
    for (int i = 0; i < slots; i++) {
        vectors[i].iov_base = buffer + (size_t)i * (size_t)slot_size;
        vectors[i].iov_len = (size_t)slot_size;
        memset(&messages[i], 0, sizeof(messages[i]));
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, messages, (unsigned int)slots, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
        lengths[i] = (int)messages[i].msg_len;
        truncated[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
}

int cl_stamp_arrivals(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

ssize_t cl_recv_stamped(int fd, void *buffer, size_t size, struct timespec *arrived, int *stamped) {
    struct iovec vector = { .iov_base = buffer, .iov_len = size };
    union { char bytes[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control;
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes };
    ssize_t n = recvmsg(fd, &message, 0);
    *stamped = 0;
    if (n <= 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            memcpy(arrived, CMSG_DATA(c), sizeof *arrived);
            *stamped = 1;
        }
    }
    return n;
}

void cl_malloc_thresholds(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

const int cl_o_noatime = O_NOATIME;
const int cl_seek_data = SEEK_DATA;

/* The kernel's struct sched_attr (glibc has no wrapper for sched_setattr). */
struct cl_sched_attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

int cl_request_slice(uint64_t nanoseconds) {
    struct cl_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = 0; /* SCHED_OTHER */
    attr.sched_nice = getpriority(PRIO_PROCESS, 0);
    attr.sched_runtime = nanoseconds;
    return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}

uint64_t cl_current_slice(void) {
    struct cl_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return 0;
    return attr.sched_runtime;
}

int cl_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
