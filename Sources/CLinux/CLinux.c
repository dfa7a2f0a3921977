#include <fcntl.h>
#include <unistd.h>
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

void cl_malloc_thresholds(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

const int cl_o_noatime = O_NOATIME;
const int cl_seek_data = SEEK_DATA;
